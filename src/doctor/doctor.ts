import { describeError } from '../core/errors.js';

/**
 * `defender-audit-bot doctor`: a list of independent checks, each reporting one line with the fix.
 * This file only runs and prints checks; the concrete checks (config, token, API, store, Teams,
 * Log Analytics) are built by checks.ts, one function per check in checks-*.ts.
 */

export type DoctorStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorOutcome {
  status: DoctorStatus;
  /** What was found (for 'skip': why the check did not run). One line. */
  detail: string;
  /** What to do about it; shown for 'fail' and 'warn'. */
  fix?: string;
}

export interface DoctorCheck {
  name: string;
  run(): Promise<DoctorOutcome>;
}

export interface DoctorResult extends DoctorOutcome {
  name: string;
}

export interface RunDoctorOptions {
  /** Longest one check may take before it counts as failed, milliseconds (default 60 s). */
  timeoutMs?: number;
}

/**
 * Runs the checks one after the other (later checks may use what earlier ones found, through the
 * context they share: see checks.ts). Each check is isolated: a throw, a rejection or a
 * check that outlives `timeoutMs` becomes a 'fail' result, and the next check still runs.
 */
export async function runDoctor(
  checks: readonly DoctorCheck[],
  options: RunDoctorOptions = {},
): Promise<DoctorResult[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const results: DoctorResult[] = [];
  for (const check of checks) {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `did not finish within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`,
              ),
            ),
          timeoutMs,
        );
      });
      const outcome = await Promise.race([Promise.resolve().then(() => check.run()), timeout]);
      results.push({ name: check.name, ...outcome });
    } catch (err) {
      results.push({ name: check.name, status: 'fail', detail: describeError(err) });
    } finally {
      clearTimeout(timer);
    }
  }
  return results;
}

const SYMBOL: Record<DoctorStatus, string> = { ok: '✔', fail: '✖', warn: '!', skip: '-' };

/** Collapses whitespace (including newlines) so that each check stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** One line per check: `✔ name: detail`, `✖ name: detail — Fix: …`, `! name: detail — Fix: …`, `- name (skipped: …)`. */
export function formatDoctor(results: readonly DoctorResult[]): string {
  return results
    .map((r) => {
      const detail = oneLine(r.detail);
      if (r.status === 'skip') return `${SYMBOL.skip} ${r.name} (skipped: ${detail})`;
      const fixText = r.fix === undefined || r.status === 'ok' ? '' : oneLine(r.fix);
      const fix = fixText === '' ? '' : ` — Fix: ${fixText.charAt(0).toUpperCase()}${fixText.slice(1)}`;
      return `${SYMBOL[r.status]} ${r.name}: ${detail}${fix}`;
    })
    .join('\n');
}

/** `5 ok, 1 warning, 0 failed, 2 skipped`. */
export function summarizeDoctor(results: readonly DoctorResult[]): string {
  const n = (s: DoctorStatus): number => results.filter((r) => r.status === s).length;
  const warnings = n('warn');
  return `${n('ok')} ok, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}, ${n('fail')} failed, ${n('skip')} skipped`;
}

/** The CLI's exit code: 0 when no check failed, 1 otherwise (warnings and skips do not fail). */
export function doctorExitCode(results: readonly DoctorResult[]): number {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
