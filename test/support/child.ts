import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = resolve(ROOT, 'src', 'cli.ts');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI child process: what it wrote so far (appended as it arrives) and how it ended. */
export type SpawnedCli = ChildProcess & { output: { stdout: string; stderr: string }; finished: Promise<Finished> };

/** Starts the CLI (through tsx) as a child process with exactly the given environment; `nodeArgs` go to Node before tsx. */
export function spawnCli(args: string[], env: Record<string, string>, nodeArgs: string[] = []): SpawnedCli {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output.stderr += d));
  const finished = new Promise<Finished>((res) => {
    child.on('close', (code, signal) => res({ code, signal, ...output }));
  });
  return Object.assign(child, { output, finished });
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: Record<string, string>, nodeArgs: string[] = []): Promise<Finished> {
  return spawnCli(args, env, nodeArgs).finished;
}

/** Polls `check` every `everyMs` until it returns true (bounded by `tries`, not by wall-clock assertions). */
export async function waitFor(check: () => boolean, what: string, tries = 3000, everyMs = 10): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * Waits, without polling, until `check` holds while `child` runs: checked at once and again after
 * each chunk the child writes (after `output` has it). Fails as soon as the child has exited (and
 * closed its output) without `check` holding, or after `boundMs` ms: a generous bound that only
 * turns a hang into a failure, never part of the condition.
 */
export function waitForChild(child: SpawnedCli, check: () => boolean, what: string, boundMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.off('data', recheck);
      child.stderr?.off('data', recheck);
      child.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const holds = (): boolean => {
      try {
        return check();
      } catch (err) {
        settle(err instanceof Error ? err : new Error(String(err)));
        return false;
      }
    };
    const recheck = (): void => {
      if (holds()) settle();
    };
    const closed = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (holds()) settle();
      else
        settle(
          new Error(
            `gave up waiting for ${what}: the process ended first (code ${code}, signal ${signal})\n${child.output.stderr.slice(-4000)}`,
          ),
        );
    };
    const timer = setTimeout(() => settle(new Error(`gave up waiting for ${what} after ${boundMs} ms`)), boundMs);
    child.stdout?.on('data', recheck);
    child.stderr?.on('data', recheck);
    child.on('close', closed);
    // Already over (its 'close' was emitted before we listened): judge what it left.
    if (child.exitCode !== null || child.signalCode !== null) void child.finished.then((f) => closed(f.code, f.signal));
    recheck();
  });
}
