/** Levenshtein distance (insert, delete, substitute), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/**
 * The candidate closest to the start of `text` (compared word for word with each candidate's
 * leading words), or null when nothing is reasonably close.
 */
export function closest(text: string, candidates: readonly string[]): string | null {
  const words = text.toLowerCase().trim().split(/\s+/);
  let best: { name: string; d: number } | null = null;
  for (const c of candidates) {
    const n = c.split(' ').length;
    const head = words.slice(0, n).join(' ');
    const d = editDistance(head, c);
    if (!best || d < best.d) best = { name: c, d };
  }
  if (!best) return null;
  // Allow about one typo per four characters.
  return best.d <= Math.max(1, Math.floor(best.name.length / 4)) ? best.name : null;
}
