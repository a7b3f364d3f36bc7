// unbalanced-init's rescaling: the same network, its hidden units rescaled by powers of 2 within
// [1/c, c] (model.rescaleHiddenUnit), with factors from a seeded integer generator, so the function is
// unchanged bit for bit and no JS Math.exp/log feeds training.
import type { Dataset, Dense, Sequential } from 'ecopt';
import { mulberry32, log2Floor, powerOf2 } from './rng.js';

/**
 * Rescales every hidden unit of an MLP by 2^k, k a uniform integer in [-K, K], K = floor(log2 c), the
 * factors seeded by (seed, c) so every optimizer gets the same ones. Returns the largest change of the
 * logits on `probe` relative to their largest magnitude (0 when the function is unchanged).
 */
export function rescaleHiddenUnits(m: Sequential, seed: number, c: number, probe: Dataset): number {
  const next = mulberry32(1000003 * (seed + 1) + Math.round(c * 1000));
  const K = log2Floor(c);
  const before = m.predict(probe.images, probe.count);
  const dense = m.layers.map((l, i) => (l.kind === 'Dense' ? i : -1)).filter((i) => i >= 0).slice(0, -1);
  for (const li of dense) {
    const units = (m.layers[li] as Dense).outFeatures;
    for (let u = 0; u < units; u++) m.rescaleHiddenUnit(li, u, powerOf2((next() % (2 * K + 1)) - K));
  }
  const after = m.predict(probe.images, probe.count);
  let change = 0, scale = 0;
  for (let i = 0; i < before.length; i++) { change = Math.max(change, Math.abs(after[i] - before[i])); scale = Math.max(scale, Math.abs(before[i])); }
  return change / Math.max(scale, 1e-30);
}
