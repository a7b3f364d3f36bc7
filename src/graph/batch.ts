// Checks of the arrays a model is called with (inputs, labels, batch sizes), before anything is
// copied into wasm memory, and the copies of dataset samples (float32 or bytes) into the batch
// buffers, checked, scaled, augmented and normalized in wasm: each error names the call, the array
// or sample, and the expected form.
import type { Kernels } from '../core/wasm.js';
import type { Arena } from '../core/arena.js';
import type { CheckedData, Dataset, DatasetImages } from '../data/dataset.js';
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
    const hint = y instanceof Float32Array ? ' (float targets need a model whose loss reads them: \'bce-with-logits\', \'mse\' or \'huber\')' : '';
    throw new ShapeError(`${what}: labels must be a Uint8Array or Int32Array of class indices, got ${describeValue(y)}${hint}`);
  }
  if (y.length !== B) throw new ShapeError(`${what}: got ${y.length} labels for a batch of ${B} samples`);
  return y;
}

/**
 * What a model's loss trains on: class labels in [0, classes), or `width` float targets per
 * sample (its outputs).
 */
export interface TargetKind {
  values: boolean;
  width: number;
  classes: number;
}

/** Float targets of a batch: a Float32Array of B × width values (finiteness is checked in wasm). */
export function checkTargetValues(y: unknown, width: number, what: string): number {
  if (!(y instanceof Float32Array)) {
    throw new ShapeError(`${what}: the model's loss trains on float targets: y must be a Float32Array of batch × ${width} values, got ${describeValue(y)}`);
  }
  if (y.length === 0 || y.length % width !== 0) {
    throw new ShapeError(`${what}: y has ${y.length} values, which is not a whole, non-zero number of samples of ${width} targets (the model's outputs)`);
  }
  return y.length / width;
}

/** The batch size of a targets argument: labels (one per sample) or float targets (width per sample). */
export function targetBatch(y: unknown, kind: TargetKind, what: string): number {
  if (kind.values) return checkTargetValues(y, kind.width, what);
  return checkLabels(y, lengthOf(y), what).length;
}

/**
 * Copies B samples' targets into the target buffer and checks them in wasm: labels are class
 * indices, float targets finite. `sample(r)` is row r's index in the caller's data (for messages).
 */
export function loadTargets(k: Kernels, arena: Arena, ptr: number, y: Uint8Array | Int32Array | Float32Array, B: number,
  kind: TargetKind, what: string, sample: (r: number) => number = (r) => r): void {
  if (kind.values) {
    const w = kind.width;
    arena.f32(ptr, B * w).set(y.subarray(0, B * w));
    const bad = k.first_nonfinite(ptr, B * w);
    if (bad >= 0) throw new ShapeError(`${what}: the target ${y[bad]} of sample ${sample(Math.floor(bad / w))} (output ${bad % w}) is not finite`);
    return;
  }
  arena.i32(ptr, B).set(y);
  const bad = k.first_bad_label(ptr, B, kind.classes);
  if (bad >= 0) throw new ShapeError(`${what}: label ${y[bad]} at index ${sample(bad)} is not a class index in [0, ${kind.classes})`);
}

/** Copies the targets (labels or float rows) of samples idx(0..B) of a dataset into the target buffer, checked in wasm. */
function loadDataTargets(k: Kernels, arena: Arena, ptr: number, ds: CheckedData, B: number, kind: TargetKind,
  idx: (r: number) => number, what: string, where = 'of sample'): void {
  if (kind.values) {
    const w = kind.width;
    const dst = arena.f32(ptr, B * w);
    for (let r = 0; r < B; r++) dst.set(ds.targets!.subarray(idx(r) * w, (idx(r) + 1) * w), r * w);
    const bad = k.first_nonfinite(ptr, B * w);
    if (bad >= 0) {
      const i = idx(Math.floor(bad / w));
      throw new ShapeError(`${what}: the target ${dst[bad]} of sample ${i} (targets[${i * w + (bad % w)}]) is not finite`);
    }
    return;
  }
  const lab = arena.i32(ptr, B);
  for (let r = 0; r < B; r++) lab[r] = ds.labels![idx(r)];
  const bad = k.first_bad_label(ptr, B, kind.classes);
  if (bad >= 0) throw new ShapeError(`${what}: label ${lab[bad]} ${where} ${idx(bad)} is not a class index in [0, ${kind.classes})`);
}

/** The length of a labels argument, whatever it is (0 when it has none), for checkLabels. */
export const lengthOf = (y: unknown): number => (y as { length?: number } | null)?.length ?? 0;

/** Copies B samples of x (n values each; x's sample `first` onwards) into the input buffer and checks them for NaN/Inf in wasm. */
export function loadInputArray(k: Kernels, arena: Arena, p: number, x: Float32Array, B: number, n: number, what: string, first = 0): void {
  arena.f32(p, B * n).set(x.subarray(0, B * n));
  const bad = k.first_nonfinite(p, B * n);
  if (bad >= 0) {
    const at = first * n + bad;
    throw new ShapeError(`${what}: input sample ${first + Math.floor(bad / n)} has a non-finite value (${x[bad]}) at index ${at}`);
  }
}

/**
 * Copies the images of samples idx(0..B) into the input buffer as float32: float32 images directly
 * (checked for NaN/Inf in wasm), bytes into the buffer's last quarter, then scaled to v / 255 in
 * place in wasm (bytes are always finite).
 */
function loadImages(k: Kernels, arena: Arena, inputPtr: number, ds: CheckedData | Dataset<DatasetImages>, n: number, B: number,
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
 * Copies samples perm[s..s+B) (or s..s+B without a permutation) and their targets into the input
 * and target buffers, checks both in wasm, then augments and normalizes the batch in place (fit's
 * batches; `prep` from its options).
 */
export function loadShuffled(k: Kernels, arena: Arena, inputPtr: number, targetPtr: number, ds: CheckedData, n: number,
  perm: Int32Array | null, s: number, B: number, kind: TargetKind, prep?: BatchPrep): void {
  const idx = perm ? (r: number) => perm[s + r] : (r: number) => s + r;
  loadImages(k, arena, inputPtr, ds, n, B, idx, 'fit');
  loadDataTargets(k, arena, targetPtr, ds, B, kind, idx, 'fit');
  if (prep?.augment) for (let r = 0; r < B; r++) prep.augment.apply(k, inputPtr + 4 * r * n, idx(r));
  prep?.normalize?.apply(k, inputPtr, B, 'fit', idx);
}

/**
 * Copies samples s..s+b of a dataset (float32 or bytes) and their targets into the input and
 * target buffers, checked, then normalizes the inputs when `normalize` is given (evaluate's chunks).
 */
export function loadSamples(k: Kernels, arena: Arena, inputPtr: number, targetPtr: number, ds: CheckedData, n: number, s: number, b: number,
  kind: TargetKind, normalize: Normalizer | null, what: string): void {
  loadImages(k, arena, inputPtr, ds, n, b, (r) => s + r, what, 'input sample');
  loadDataTargets(k, arena, targetPtr, ds, b, kind, (r) => s + r, what, 'at index');
  normalize?.apply(k, inputPtr, b, what, (r) => s + r);
}

/** Checks every image (finite; bytes always are) and target (a class index, or finite) of a dataset in wasm, `chunk` samples at a time. */
export function checkDatasetInWasm(k: Kernels, arena: Arena, inputPtr: number, targetPtr: number, ds: CheckedData, n: number,
  chunk: number, kind: TargetKind, what: string): void {
  const floats = ds.images instanceof Float32Array;
  for (let s = 0; s < ds.count; s += chunk) {
    const b = Math.min(chunk, ds.count - s);
    if (floats) loadImages(k, arena, inputPtr, ds, n, b, (r) => s + r, what);
    loadDataTargets(k, arena, targetPtr, ds, b, kind, (r) => s + r, what);
  }
}
