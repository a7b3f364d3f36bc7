// Checks of the arrays a model is called with (inputs, labels, batch sizes), before anything is
// copied into wasm memory, and the copies of dataset samples (float32 or bytes) into the batch
// buffers, checked, scaled, augmented and normalized in wasm: each error names the call, the array
// or sample, and the expected form.
import type { Kernels } from '../core/wasm.js';
import type { Arena } from '../core/arena.js';
import type { Dataset, DatasetImages } from '../data/dataset.js';
import type { BatchPrep, Normalizer } from '../data/augment.js';
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
 * Copies the images of samples idx(0..B) into the input buffer as float32: float32 images directly
 * (checked for NaN/Inf in wasm), bytes into the buffer's last quarter, then scaled to v / 255 in
 * place in wasm (bytes are always finite).
 */
function loadImages(k: Kernels, arena: Arena, inputPtr: number, ds: Dataset<DatasetImages>, n: number, B: number,
  idx: (r: number) => number, what: string, noun = 'sample'): void {
  const bytes = ds.images instanceof Uint8Array;
  const dst = bytes ? arena.u8(inputPtr + 3 * B * n, B * n) : arena.f32(inputPtr, B * n);
  let run = 0; // consecutive samples go in one copy (evaluate, unshuffled fits)
  for (let r = 0; r < B; r = run) {
    const i = idx(r);
    for (run = r + 1; run < B && idx(run) === i + run - r;) run++;
    dst.set(ds.images.subarray(i * n, (i + run - r) * n), r * n);
  }
  if (bytes) {
    k.bytes_to_unit(inputPtr, inputPtr + 3 * B * n, B * n);
    return;
  }
  const bad = k.first_nonfinite(inputPtr, B * n);
  if (bad >= 0) {
    const i = idx(Math.floor(bad / n));
    const at = i * n + (bad % n);
    throw new ShapeError(`${what}: ${noun} ${i} has a non-finite value (${ds.images[at]}) at index ${at}`);
  }
}

/**
 * Copies samples perm[s..s+B) (or s..s+B without a permutation) and their labels into the input
 * and label buffers, checks both in wasm, then augments and normalizes the batch in place (fit's
 * batches; `prep` from its options).
 */
export function loadShuffled(k: Kernels, arena: Arena, inputPtr: number, labelsPtr: number, ds: Dataset<DatasetImages>, n: number,
  perm: Int32Array | null, s: number, B: number, classes: number, prep?: BatchPrep): void {
  const idx = perm ? (r: number) => perm[s + r] : (r: number) => s + r;
  loadImages(k, arena, inputPtr, ds, n, B, idx, 'fit');
  const lab = arena.i32(labelsPtr, B);
  for (let r = 0; r < B; r++) lab[r] = ds.labels[idx(r)];
  const badLab = k.first_bad_label(labelsPtr, B, classes);
  if (badLab >= 0) throw new ShapeError(`fit: label ${lab[badLab]} of sample ${idx(badLab)} is not a class index in [0, ${classes})`);
  if (prep?.augment) for (let r = 0; r < B; r++) prep.augment.apply(k, inputPtr + 4 * r * n, idx(r));
  prep?.normalize?.apply(k, inputPtr, B, 'fit', idx);
}

/**
 * Copies samples s..s+b of a dataset (float32 or bytes) into the input buffer as float32, checked,
 * then normalizes them when `normalize` is given (evaluate's chunks).
 */
export function loadSamples(k: Kernels, arena: Arena, inputPtr: number, ds: Dataset<DatasetImages>, n: number, s: number, b: number,
  normalize: Normalizer | null, what: string): void {
  loadImages(k, arena, inputPtr, ds, n, b, (r) => s + r, what, 'input sample');
  normalize?.apply(k, inputPtr, b, what, (r) => s + r);
}

/** Checks every image (finite; bytes always are) and label (a class index) of a dataset in wasm, `chunk` samples at a time. */
export function checkDatasetInWasm(k: Kernels, arena: Arena, inputPtr: number, labelsPtr: number, ds: Dataset<DatasetImages>, n: number,
  chunk: number, classes: number, what: string): void {
  const floats = ds.images instanceof Float32Array;
  for (let s = 0; s < ds.count; s += chunk) {
    const b = Math.min(chunk, ds.count - s);
    if (floats) loadImages(k, arena, inputPtr, ds, n, b, (r) => s + r, what);
    arena.i32(labelsPtr, b).set(ds.labels.subarray(s, s + b));
    const badLab = k.first_bad_label(labelsPtr, b, classes);
    if (badLab >= 0) throw new ShapeError(`${what}: label ${ds.labels[s + badLab]} of sample ${s + badLab} is not a class index in [0, ${classes})`);
  }
}
