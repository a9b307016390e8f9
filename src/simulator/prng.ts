/**
 * Seeded pseudo-random numbers for the simulator. Everything random in the simulator (generated
 * history, identifiers, lifecycle durations, fault draws, correlation ids) comes from a `Random`
 * derived from the one `seed` option, so the same seed and the same clock give the same tenant.
 *
 * The generator is sfc32 (128-bit state) seeded through splitmix32: fast, reproducible, and with
 * enough state that streams forked with different labels do not overlap (a 32-bit-state generator
 * such as mulberry32 walks one shared cycle, so two forks can replay each other's numbers and
 * produce duplicate ids). It is not cryptographic; nothing here protects a secret.
 */

export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p` (0..1). */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** One element chosen by weight; `weights[i]` belongs to `items[i]`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
  /** A picker over fixed weights: O(log n) per draw after O(n) set-up (use for long lists). */
  weightedPicker<T>(items: readonly T[], weights: readonly number[]): () => T;
  /** `length` lower-case hexadecimal characters. */
  hex(length: number): string;
  /** A random (version 4, RFC 4122 variant) GUID in lower case, e.g. `5382f7ea-7557-4ab7-9782-d50480024a4e`. */
  uuid(): string;
  /** An independent stream, derived from this stream's seed and `label` (does not consume this stream). */
  fork(label: string): Random;
}

/** FNV-1a over the label, mixed with the seed; used to derive independent sub-streams. */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so that nearby labels give unrelated seeds.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

const HEX = '0123456789abcdef';

export function createRandom(seed: number): Random {
  const origin = seed >>> 0;
  // splitmix32 expands the 32-bit seed into the four sfc32 state words.
  let sm = origin;
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextUint32();
  const next = (): number => nextUint32() / 4294967296;
  // Strings are assembled with Array.join so that they are flat: `+=` and template literals build
  // cons-string trees that cost several times the memory when a million ids are kept.
  const hex8 = (): string => {
    const v = nextUint32().toString(16);
    return v.length === 8 ? v : '00000000'.slice(v.length) + v;
  };
  const hexOf = (length: number): string => {
    const parts: string[] = [];
    for (let n = 0; n < length; n += 8) parts.push(hex8());
    const joined = parts.join('');
    return joined.length === length ? joined : joined.slice(0, length);
  };
  const random: Random = {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    chance(p) {
      return next() < p;
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty array');
      return items[Math.floor(next() * items.length)] as T;
    },
    weighted<T>(items: readonly T[], weights: readonly number[]): T {
      let total = 0;
      for (const w of weights) total += w;
      let r = next() * total;
      for (let i = 0; i < items.length; i++) {
        r -= weights[i] ?? 0;
        if (r < 0) return items[i] as T;
      }
      return items[items.length - 1] as T;
    },
    weightedPicker<T>(items: readonly T[], weights: readonly number[]): () => T {
      const cumulative: number[] = [];
      let total = 0;
      for (let i = 0; i < items.length; i++) {
        total += weights[i] ?? 0;
        cumulative.push(total);
      }
      return () => {
        const r = next() * total;
        let lo = 0;
        let hi = cumulative.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((cumulative[mid] as number) <= r) lo = mid + 1;
          else hi = mid;
        }
        return items[lo] as T;
      };
    },
    hex: hexOf,
    uuid() {
      const a = hex8();
      const b = hex8();
      const c = hex8();
      const d = hex8();
      const variant = HEX[8 + (nextUint32() & 3)] as string;
      return [a, '-', b.slice(0, 4), '-4', b.slice(5, 8), '-', variant, c.slice(1, 4), '-', c.slice(4, 8), d].join('');
    },
    fork(label) {
      return createRandom(deriveSeed(origin, label));
    },
  };
  return random;
}
