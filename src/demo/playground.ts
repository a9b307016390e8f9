import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * The Microsoft 365 Agents Playground (`@microsoft/m365agentsplayground`, a devDependency under
 * Microsoft's pre-release licence, never bundled): a local Teams-like client with its own Bot
 * Connector, started as a child process and pointed at the bot. Facts from
 * shared/reference/teams.md §14: it prints `Listening on <port>`, falls back to a random port when
 * the asked one is taken, listens on all interfaces (it has no bind-address option), and has
 * internal JSON routes used here for automation (they may change in any release; the version is
 * pinned). While no browser is connected it buffers the bot's messages and writes them as JSON
 * lines (`createMessage`, `updateMessage`) to `<cwd>/devTools/m365agentsplayground.log`; a page
 * opened later does not show those buffered messages, and with a page open nothing is written
 * there (seen with 0.2.28). So users open the page first, and the automated test runs headless.
 */

/** Ids of the Playground's mock tenant (its defaults). */
export const PLAYGROUND = {
  tenantId: '00000000-0000-0000-0000-0000000000001',
  botId: '00000000-0000-0000-0000-00000000000011',
  botName: 'Test Bot',
  userId: 'user-id-0',
  /** The team "My Team"; its General channel has the team's id. */
  teamId: 'team-id',
} as const;

export interface Playground {
  /** Base URL of its web UI and routes, e.g. `http://localhost:56150`. */
  readonly url: string;
  readonly port: number;
  /** The JSON-lines log the Playground writes the bot's messages to. */
  readonly logFile: string;
  /** Stops the child process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Where the Playground's CLI is, or an error saying how to get it. */
export function playgroundCli(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@microsoft/m365agentsplayground/package.json')), 'cli.js');
  } catch (err) {
    throw new AppError('INTERNAL', 'The Microsoft 365 Agents Playground is not installed.', {
      cause: err,
      fix: 'Run "npm install" in the project (it is a devDependency); the demo needs the development install.',
    });
  }
}

/**
 * Starts the Playground against the bot's messaging endpoint. `cwd` receives its `devTools/` log
 * folder. Resolves once it listens (at most `timeoutMs`).
 */
export async function startPlayground(options: {
  botMessagesUrl: string;
  port: number;
  cwd: string;
  /** Environment of the child (the caller's process environment). */
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  timeoutMs?: number;
}): Promise<Playground> {
  mkdirSync(options.cwd, { recursive: true });
  const child: ChildProcess = spawn(
    process.execPath,
    [playgroundCli(), '-e', options.botMessagesUrl, '-c', 'msteams', '--dt', '-p', String(options.port)],
    {
      cwd: options.cwd,
      // No browser is opened; telemetry stays off (--dt).
      env: { ...options.env, TEAMSAPPTESTER_BROWSER: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = options.logger.child({ component: 'playground' });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new AppError(
          'INTERNAL',
          `The Agents Playground did not start within ${options.timeoutMs ?? 30_000} ms. Its output: ${output.slice(-500)}`,
        ),
      );
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = /Listening on (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new AppError(
          'INTERNAL',
          `The Agents Playground exited (code ${code ?? 'signal'}) before listening. Its output: ${output.slice(-500)}`,
        ),
      );
    });
  });
  child.stdout?.on('data', (d: Buffer) => log.debug('playground output', { text: d.toString('utf8').trim() }));
  if (port !== options.port && options.port !== 0)
    log.warn('the Playground port was taken; it chose another', { asked: options.port, port });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://localhost:${port}`,
    port,
    logFile: join(options.cwd, 'devTools', 'm365agentsplayground.log'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A message the bot created or updated, as the Playground recorded it. */
export interface PlaygroundMessage {
  action: 'createMessage' | 'updateMessage';
  conversationId: string;
  messageId: string;
  text: string | undefined;
  /** Adaptive Card contents of the message's attachments. */
  cards: unknown[];
}

/**
 * The bot's messages from the Playground's log (JSON lines, each a text prefix then one JSON
 * object with `action` `createMessage` or `updateMessage`), as written while no browser is
 * connected. Lines of other kinds are skipped.
 */
export function readPlaygroundMessages(logFile: string): PlaygroundMessage[] {
  if (!existsSync(logFile)) return [];
  const out: PlaygroundMessage[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"createMessage"') && !line.includes('"updateMessage"')) continue;
    const start = line.indexOf('{');
    if (start < 0) continue;
    let entry: {
      action?: unknown;
      actionConversationId?: unknown;
      message?: { messageId?: unknown; text?: unknown; attachments?: { content?: unknown }[] };
    };
    try {
      entry = JSON.parse(line.slice(start)) as typeof entry;
    } catch {
      continue;
    }
    if (entry.action !== 'createMessage' && entry.action !== 'updateMessage') continue;
    out.push({
      action: entry.action,
      conversationId: typeof entry.actionConversationId === 'string' ? entry.actionConversationId : '',
      messageId: typeof entry.message?.messageId === 'string' ? entry.message.messageId : '',
      text: typeof entry.message?.text === 'string' ? entry.message.text : undefined,
      cards: (entry.message?.attachments ?? []).map((a) => a.content).filter((c) => c !== undefined),
    });
  }
  return out;
}
