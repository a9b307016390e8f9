/**
 * Fault injection for `/api/` requests: a queue of scripted faults (applied first, in order) and
 * random faults drawn per request from the seeded PRNG according to a `FaultSpec`.
 */
import type { Random } from './prng.js';
import type { FaultSpec, ScriptedFault } from './types.js';

/** Default delay of a random slow response, ms. */
export const DEFAULT_SLOW_MS = 2000;

const KEYS: Record<string, keyof FaultSpec> = {
  '429': 'rate429',
  '5xx': 'rate5xx',
  slow: 'rateSlow',
  malformed: 'rateMalformed',
  drop: 'rateDrop',
};

/**
 * Parses the CLI form `429=0.1,5xx=0.05,slow=0.1:2000,malformed=0.02,drop=0.01` (any subset, any
 * order; `slow` takes an optional `:ms`). Throws an Error naming the bad part.
 */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = {};
  const trimmed = text.trim();
  if (trimmed === '') return spec;
  const seen = new Set<string>();
  for (const raw of trimmed.split(',')) {
    const part = raw.trim();
    const m = /^([^=\s]+)\s*=\s*([^:\s]+)(?::(\S+))?$/.exec(part);
    if (!m)
      throw new Error(`Invalid fault spec part '${part}': expected name=probability, e.g. 429=0.1 or slow=0.1:2000`);
    const [, name = '', rateText = '', msText] = m;
    const key = KEYS[name.toLowerCase()];
    if (!key)
      throw new Error(
        `Invalid fault spec part '${part}': unknown fault '${name}' (known: ${Object.keys(KEYS).join(', ')})`,
      );
    if (seen.has(key)) throw new Error(`Invalid fault spec part '${part}': '${name}' given twice`);
    seen.add(key);
    const rate = Number(rateText);
    if (!/^\d*\.?\d+$/.test(rateText) || !(rate >= 0 && rate <= 1)) {
      throw new Error(`Invalid fault spec part '${part}': probability '${rateText}' must be a number from 0 to 1`);
    }
    spec[key] = rate;
    if (msText !== undefined) {
      if (key !== 'rateSlow') throw new Error(`Invalid fault spec part '${part}': only 'slow' takes a ':ms' delay`);
      if (!/^\d+$/.test(msText))
        throw new Error(`Invalid fault spec part '${part}': delay '${msText}' must be whole milliseconds`);
      spec.slowMs = Number(msText);
    }
  }
  const total =
    (spec.rate429 ?? 0) + (spec.rate5xx ?? 0) + (spec.rateSlow ?? 0) + (spec.rateMalformed ?? 0) + (spec.rateDrop ?? 0);
  if (total > 1 + 1e-9) throw new Error(`Invalid fault spec '${text}': probabilities add up to ${total}, more than 1`);
  return spec;
}

/** What to do with one API request. `status` faults carry the status and optional headers/body. */
export type FaultAction =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  | { kind: 'malformed' }
  | { kind: 'drop' }
  | { kind: 'slow'; ms: number };

export interface FaultInjector {
  enqueue(f: ScriptedFault): void;
  clear(): void;
  /** The fault for the next API request, or undefined to serve it normally. */
  next(): FaultAction | undefined;
}

export function createFaultInjector(spec: FaultSpec | undefined, random: Random): FaultInjector {
  const queue: ScriptedFault[] = [];
  const s = spec ?? {};
  const enabled = [s.rate429, s.rate5xx, s.rateSlow, s.rateMalformed, s.rateDrop].some((r) => (r ?? 0) > 0);
  return {
    enqueue(f) {
      queue.push({ ...f });
    },
    clear() {
      queue.length = 0;
    },
    next() {
      const scripted = queue.shift();
      if (scripted) return scripted;
      if (!enabled) return undefined;
      // One draw per request against the cumulative rates, in a fixed order.
      let r = random.next();
      if ((r -= s.rate429 ?? 0) < 0) return { kind: 'status', status: 429, retryAfterSeconds: random.int(1, 3) };
      if ((r -= s.rate5xx ?? 0) < 0) return { kind: 'status', status: random.chance(0.5) ? 500 : 503 };
      if ((r -= s.rateSlow ?? 0) < 0) return { kind: 'slow', ms: s.slowMs ?? DEFAULT_SLOW_MS };
      if ((r -= s.rateMalformed ?? 0) < 0) return { kind: 'malformed' };
      if ((r -= s.rateDrop ?? 0) < 0) return { kind: 'drop' };
      return undefined;
    },
  };
}
