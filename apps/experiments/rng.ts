// Seeded integer generators for the experiments' own draws (torch-style initial weights, rescaling
// factors): integer operations only (Math.imul is exact 32-bit multiplication), so every engine draws
// the same numbers and no JS Math.exp/log/sin/random feeds training.

/** mulberry32: a seeded generator of uint32 values (the library's, which Fashion-MNIST's split uses). */
export { mulberry32 } from 'ecopt';

/** The largest k with 2^k <= c (0 for c < 2), by exact doubling. */
export function log2Floor(c: number): number {
  let k = 0;
  for (let p = 2; p <= c; p *= 2) k++;
  return k;
}

/** 2^k for an integer k, exact (doublings or halvings of 1). */
export function powerOf2(k: number): number {
  let f = 1;
  for (; k > 0; k--) f *= 2;
  for (; k < 0; k++) f /= 2;
  return f;
}

/**
 * sqrt(n) for a positive integer n in float64 from + - * / only (IEEE-exact operations, so the same bits
 * in every engine): the integer root when n is a perfect square, else 60 Newton steps from n, which
 * converge to within an ulp of the true root (the sequence is fixed, so so is the result).
 */
export function sqrtInt(n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`sqrtInt: expected a positive integer, got ${n}`);
  let r = 0;
  while ((r + 1) * (r + 1) <= n) r++;
  if (r * r === n) return r;
  let x = n;
  for (let i = 0; i < 60; i++) x = (x + n / x) / 2;
  return x;
}
