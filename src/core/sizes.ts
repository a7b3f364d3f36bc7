// Sizes and integer bounds, in one place (docs/reliability.md, "memory rules"): every integer a
// layer, spec or file gives and every byte count the model plans is checked here, in safe-integer
// (f64) arithmetic, before anything is allocated or passed to a kernel. Kernels take i32 sizes
// and compute offsets in 32 bits, so a value that would wrap there is refused here with an error
// naming it, never truncated on the way into wasm.
import { ArgumentError, ShapeError, describeValue } from './errors.js';

/**
 * Largest integer hyperparameter or dimension a layer accepts (features, channels, kernel, stride,
 * dilation, padding, input dimensions): 2^24. Products of such values are checked separately.
 */
export const MAX_DIM = 2 ** 24;

/**
 * Largest single buffer, in bytes, that the kernels address (sizes travel as i32 byte counts):
 * 2^31 - 16. A tensor, an activation buffer or the parameter region beyond it is refused.
 */
export const MAX_BUFFER_BYTES = 2 ** 31 - 16;

/** Largest element count of one buffer of f32/i32 values. */
export const MAX_BUFFER_ELEMENTS = Math.floor(MAX_BUFFER_BYTES / 4);

/** True for an integer in [min, max] (no NaN, no Infinity, no 2^32 wrapping to 0 in wasm). */
export function isDim(v: unknown, min = 1, max = MAX_DIM): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

/** An integer field of a layer or option in [min, MAX_DIM]; ArgumentError naming it otherwise. */
export function checkDim(v: unknown, what: string, min = 1, max = MAX_DIM): number {
  if (!isDim(v, min, max)) {
    const kind = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new ArgumentError(`${what} must be ${kind}${tooLarge(v, max) ? ` at most ${max}` : ''}, got ${describeValue(v)}`);
  }
  return v;
}

/** True for an integer above `max` (messages then state the bound). */
export function tooLarge(v: unknown, max = MAX_DIM): boolean {
  const big = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x > max;
  return big(v) || (Array.isArray(v) && v.some(big));
}

/** The product of `dims` as a safe integer; ShapeError naming `what` when it is not one. */
export function product(dims: readonly number[], what: string): number {
  let p = 1;
  for (const d of dims) {
    p *= d;
    if (!Number.isSafeInteger(p)) throw new ShapeError(`${what}: the size ${dims.join(' × ')} is too large to represent exactly`);
  }
  return p;
}

/**
 * Bytes of a buffer of `elements` 4-byte values, checked against MAX_BUFFER_BYTES: a ShapeError
 * (or ArgumentError when a caller-chosen batch makes it too large) that names the buffer, the
 * size and the limit.
 */
export function bufferBytes(elements: number, what: string, batchHint?: number): number {
  const bytes = elements * 4;
  if (!Number.isSafeInteger(elements) || elements < 0 || bytes > MAX_BUFFER_BYTES) {
    const msg = `${what} would need ${Number.isFinite(bytes) ? bytes : 'more than 2^53'} bytes, more than the ${MAX_BUFFER_BYTES} bytes ` +
      '(2 GiB) one buffer may have (kernels address buffers with 32-bit sizes)';
    if (batchHint !== undefined) throw new ArgumentError(`${msg}; use a batch smaller than ${batchHint}`);
    throw new ShapeError(msg);
  }
  return bytes;
}

/** a + b for byte counts, refusing anything that is not a safe integer. */
export function addBytes(a: number, b: number, what: string): number {
  const s = a + b;
  if (!Number.isSafeInteger(s)) throw new ShapeError(`${what}: the byte count is too large to represent exactly`);
  return s;
}
