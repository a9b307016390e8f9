import type { Clock } from '../../core/clock.js';
import type { Env } from '../../config/config.js';
import type { AzureDeps } from '../azure.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is an interactive terminal (progress lines). */
  tty: boolean;
  /** Writes raw text to standard output and resolves when it may take more (exports); `out` collects otherwise. */
  write?: (chunk: string) => Promise<void>;
  /** Time source; the system clock unless a test pins it. */
  clock?: Clock;
  /** Azure SDK credential and HTTP client (doctor's Log Analytics checks); the SDK defaults unless a test injects them. */
  azure?: AzureDeps;
}

/** One subcommand of the table: its name, usage, one-line summary and what it runs (the exit code). */
export interface Subcommand {
  name: string;
  usage: string;
  summary: string;
  run(args: string[], env: Env, io: Io): Promise<number>;
}
