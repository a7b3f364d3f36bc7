// "Did you mean" for the command line: the closest known command, option or value to a typo, by
// edit distance (or the only candidate a word is the prefix of).

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` when it is close enough (edit distance at most 1 for words of up
 * to 3 letters, 2 up to 6, else 3; a tie gives none), or the only candidate `word` is a prefix of.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  let tie = false;
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase());
    if (dist < bestD) { best = c; bestD = dist; tie = false; } else if (dist === bestD) tie = true;
  }
  const reach = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  if (best !== undefined && bestD > 0 && bestD <= reach && !tie) return best;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(w));
  return w.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined;
}

/** "; did you mean 'x'?" (with `pre` before the name, e.g. '--'), or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[], pre = '', quote = "'"): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : `; did you mean ${quote}${pre}${s}${quote}?`;
}
