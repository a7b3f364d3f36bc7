// Checks of the arrays a model is called with (inputs, labels, batch sizes), before anything is
// copied into wasm memory, and the copies of dataset samples into the batch buffers (checked in
// wasm): each error names the call, the array or sample, and the expected form.
import type { Kernels } from '../core/wasm.js';
import type { Arena } from '../core/arena.js';
import type { Dataset } from '../data/dataset.js';
import { ShapeError, checkPositiveInt, describeValue } from '../core/errors.js';

/** The batch size of `x` for a model of per-sample size `n`, checked against `batch`. */
export function checkInput(x: unknown, batch: unknown, inputShape: readonly number[], n: number, what: string): number {
  const B = checkPositiveInt(batch, `${what}: batch`);
  if (!(x instanceof Float32Array)) throw new ShapeError(`${what}: x must be a Float32Array, got ${describeValue(x)}`);
  if (x.length !== B * n) {
    throw new ShapeError(`${what}: x has ${x.length} values, expected batch × [${inputShape.join(', ')}] = ${B} × ${n} = ${B * n}`);
  }
  return B;
}

/**
 * The batch size of a call without one: x.length / the sample size, which must be a whole,
 * non-zero number of samples (ShapeError naming both numbers otherwise).
 */
export function inferBatch(x: unknown, inputShape: readonly number[], n: number, what: string): number {
  if (!(x instanceof Float32Array)) throw new ShapeError(`${what}: x must be a Float32Array, got ${describeValue(x)}`);
  const shape = `inputShape [${inputShape.join(', ')}]`;
  if (x.length === 0) throw new ShapeError(`${what}: x has 0 values; expected at least one sample of ${n} values (${shape})`);
  if (x.length % n !== 0) {
    throw new ShapeError(`${what}: x has ${x.length} values, which is not a whole number of samples of ${n} values (${shape}); pass the batch size as the second argument or fix x's length`);
  }
  return x.length / n;
}

/** Class labels: a Uint8Array or Int32Array of length B (values are checked in wasm). */
export function checkLabels(y: unknown, B: number, what: string): Uint8Array | Int32Array {
  if (!(y instanceof Uint8Array || y instanceof Int32Array)) {
    throw new ShapeError(`${what}: labels must be a Uint8Array or Int32Array of class indices, got ${describeValue(y)}`);
  }
  if (y.length !== B) throw new ShapeError(`${what}: got ${y.length} labels for a batch of ${B} samples`);
  return y;
}

/** The length of a labels argument, whatever it is (0 when it has none), for checkLabels. */
export const lengthOf = (y: unknown): number => (y as { length?: number } | null)?.length ?? 0;

/**
 * Copies samples perm[s..s+B) (or s..s+B without a permutation) and their labels into the input
 * and label buffers, then checks both in wasm (fit's batches).
 */
export function loadShuffled(k: Kernels, arena: Arena, inputPtr: number, labelsPtr: number, ds: Dataset, n: number,
  perm: Int32Array | null, s: number, B: number, classes: number): void {
  const input = arena.f32(inputPtr, B * n);
  const lab = arena.i32(labelsPtr, B);
  for (let r = 0; r < B; r++) {
    const idx = perm ? perm[s + r] : s + r;
    input.set(ds.images.subarray(idx * n, idx * n + n), r * n);
    lab[r] = ds.labels[idx];
  }
  const bad = k.first_nonfinite(inputPtr, B * n);
  if (bad >= 0) throw new ShapeError(`fit: sample ${perm ? perm[s + Math.floor(bad / n)] : s + Math.floor(bad / n)} has a non-finite value`);
  const badLab = k.first_bad_label(labelsPtr, B, classes);
  if (badLab >= 0) throw new ShapeError(`fit: label ${lab[badLab]} of sample ${perm ? perm[s + badLab] : s + badLab} is not a class index in [0, ${classes})`);
}

/** Checks every image (finite) and label (a class index) of a dataset in wasm, `chunk` samples at a time. */
export function checkDatasetInWasm(k: Kernels, arena: Arena, inputPtr: number, labelsPtr: number, ds: Dataset, n: number,
  chunk: number, classes: number, what: string): void {
  for (let s = 0; s < ds.count; s += chunk) {
    const b = Math.min(chunk, ds.count - s);
    arena.f32(inputPtr, b * n).set(ds.images.subarray(s * n, (s + b) * n));
    const bad = k.first_nonfinite(inputPtr, b * n);
    if (bad >= 0) {
      const at = s * n + bad;
      throw new ShapeError(`${what}: sample ${Math.floor(at / n)} has a non-finite value (${ds.images[at]}) at index ${at}`);
    }
    arena.i32(labelsPtr, b).set(ds.labels.subarray(s, s + b));
    const badLab = k.first_bad_label(labelsPtr, b, classes);
    if (badLab >= 0) throw new ShapeError(`${what}: label ${ds.labels[s + badLab]} of sample ${s + badLab} is not a class index in [0, ${classes})`);
  }
}
