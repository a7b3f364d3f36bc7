// Shared setup for the benny suites: loads the built package (dist/) and its wasm kernels.
import { init, getRuntime } from '../dist/index.js';

export async function kernels() {
  await init();
  return getRuntime();
}

/** Random f32 data (not timed). */
export function randomF32(n, seed = 1) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

/** Converts a benny result (ops/s) to a rate with `perOp` units per operation. */
export function rate(result, perOp) {
  return result.ops * perOp;
}
