/** `ask` (a chat command from the command line, and evidence exports) and `digest --print`. */
import { existsSync } from 'node:fs';
import { systemClock } from '../../core/clock.js';
import { AppError, UsageError } from '../../core/errors.js';
import { loadConfig } from '../../config/config.js';
import { loadCardTemplates } from '../../cards/index.js';
import { createChat } from '../../commands/chat.js';
import { toCsv, toJson, toText, writeExport } from '../../commands/format.js';
import { compileKql } from '../../queries/kql.js';
import { buildChat, replyCard } from '../chat.js';
import { ASK_FORMATS, commandLogger, openCheckedStore, parse, parseWithText, withEnvFiles } from './options.js';
import type { Subcommand } from './types.js';

export const askCommand: Subcommand = {
  name: 'ask',
  usage: 'defender-audit-bot ask "<chat text>" [--format text|card|json|csv|kql] [--env FILE]',
  summary: 'answer a chat command from the store, exactly as the bot would',
  async run(args, env, io) {
    const { values, positionals } = parseWithText(
      args,
      { format: { type: 'string', default: 'text' }, env: { type: 'string', multiple: true } },
      this.usage,
    );
    const format = values.format as (typeof ASK_FORMATS)[number];
    if (!ASK_FORMATS.includes(format))
      throw new UsageError(
        `--format must be one of ${ASK_FORMATS.join(', ')} (got "${values.format}").\nUsage: ${this.usage}`,
      );
    if (positionals.length !== 1)
      throw new UsageError(`ask takes the chat text as one quoted argument.\nUsage: ${this.usage}`);
    const text = positionals[0] as string;
    if (text.trim() === '')
      throw new UsageError(
        `ask needs the chat text, e.g. ask "summary 7d" (ask "help" lists the commands).\nUsage: ${this.usage}`,
      );
    const config = loadConfig(withEnvFiles(values.env, env));
    const logger = commandLogger(config);
    if (format === 'kql') {
      // Compilation only: no store, no network.
      const chat = createChat({
        backend: {
          name: 'sqlite',
          run: () => Promise.reject(new Error('not used')),
          rows: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('not used')) }) }),
        },
        kqlOf: (spec) => compileKql(spec, config.commands.kqlSchema),
        clock: io.clock ?? systemClock,
        logger,
        status: () => ({ facts: [], problem: null }),
        requestorNames: config.commands.requestorNames,
      });
      const parsed = chat.parse(text);
      if (
        parsed.planned.kind === 'reply' &&
        (parsed.planned.reply.kind === 'error' ||
          (parsed.planned.reply.kind === 'help' && parsed.planned.reply.message !== null))
      ) {
        io.err(toText(parsed.planned.reply, config.commands.requestorNames).trimEnd());
        return 2;
      }
      if (parsed.queries.length === 0) {
        io.err(`"${text}" runs no query.`);
        return 0;
      }
      io.out(parsed.queries.map((q) => q.kql).join('\n\n'));
      return 0;
    }
    if (!existsSync(config.store.path)) {
      throw new AppError('STORE_FAILED', `No store at ${config.store.path}.`, {
        fix: 'Run "defender-audit-bot ingest --once" (or npm run demo) first, or set STORE_PATH.',
      });
    }
    const store = openCheckedStore(config.store);
    try {
      const clock = io.clock ?? systemClock;
      const chat = buildChat(config, { store, clock, logger, rateLimit: false });
      if (format === 'json' || format === 'csv') {
        // Evidence export: every matching row, streamed (a chat answer is one page).
        const exported = await chat.export(text);
        if (exported.kind === 'rows') {
          let collected = '';
          const write = io.write ?? ((chunk: string) => Promise.resolve(void (collected += chunk)));
          const n = await writeExport(exported.rows, format, write);
          if (io.write === undefined) io.out(collected.trimEnd());
          io.err(
            `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}: every matching one. The same query in Log Analytics:\n${exported.kql}`,
          );
          return 0;
        }
      }
      const reply = await chat.handle(text);
      const names = config.commands.requestorNames;
      if (format === 'text') io.out(toText(reply, names).trimEnd());
      else if (format === 'json') io.out(toJson(reply).trimEnd());
      else if (format === 'csv') io.out(toCsv(reply).trimEnd());
      else io.out(JSON.stringify(replyCard(reply, config, await loadCardTemplates(), clock.now()), null, 2));
      if (reply.kind === 'error') return reply.reason === 'failed' ? 1 : 2;
      if (reply.kind === 'help' && reply.message !== null) return 2;
      return 0;
    } finally {
      store.close();
    }
  },
};

export const digestCommand: Subcommand = {
  name: 'digest',
  usage: 'defender-audit-bot digest --print [--format text|card|json] [--env FILE]',
  summary: "print the daily digest now, from the store (posting it on schedule is the bot's job)",
  async run(args, env, io) {
    const { values } = parse(
      args,
      {
        print: { type: 'boolean' },
        format: { type: 'string', default: 'text' },
        env: { type: 'string', multiple: true },
      },
      this.usage,
    );
    if (values.print !== true) throw new UsageError(`digest needs --print.\nUsage: ${this.usage}`);
    const format = values.format ?? 'text';
    if (!['text', 'card', 'json'].includes(format))
      throw new UsageError(`--format must be text, card or json (got "${format}").\nUsage: ${this.usage}`);
    const config = loadConfig(withEnvFiles(values.env, env));
    if (!existsSync(config.store.path)) {
      throw new AppError('STORE_FAILED', `No store at ${config.store.path}.`, {
        fix: 'Run "defender-audit-bot ingest --once" (or npm run demo) first, or set STORE_PATH.',
      });
    }
    const clock = io.clock ?? systemClock;
    const store = openCheckedStore(config.store);
    try {
      const chat = buildChat(config, { store, clock, logger: commandLogger(config), rateLimit: false });
      const reply = await chat.handle('digest');
      if (reply.kind !== 'digest') {
        io.err(toText(reply, config.commands.requestorNames).trimEnd());
        return 1;
      }
      if (format === 'text') io.out(toText(reply, config.commands.requestorNames).trimEnd());
      else if (format === 'json') io.out(toJson(reply).trimEnd());
      else io.out(JSON.stringify(replyCard(reply, config, await loadCardTemplates(), clock.now()), null, 2));
      return 0;
    } finally {
      store.close();
    }
  },
};
