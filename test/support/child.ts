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

/** Starts the CLI (through tsx) as a child process with exactly the given environment; `nodeArgs` go to Node before tsx. */
export function spawnCli(args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess & { output: { stdout: string; stderr: string }; finished: Promise<Finished> } {
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
