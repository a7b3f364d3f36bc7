// Argument and shape helpers of the layers on per-sample [C, H, W] maps (Conv2D and the pools):
// pairs of sizes, 3-D input checks, element bounds the 32-bit kernels can index.
import { WEIGHT_INITS, type Layer } from './layer.js';
import { ShapeError, ArgumentError, describeValue } from '../core/errors.js';
import { isDim, tooLarge, MAX_DIM, MAX_BUFFER_ELEMENTS } from '../core/sizes.js';

/** A size given once for both axes or as [height, width]. */
export type Pair = number | [number, number];

/** The initializers a weight layer accepts. */
/** The initializers of a spatial weight layer (those of every weight layer). */
export const INITS = WEIGHT_INITS;

export function pair(v: unknown, what: string, min = 1): [number, number] {
  const ok = (x: unknown) => isDim(x, min);
  if (ok(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  const kind = min === 0 ? 'non-negative' : 'positive';
  const bound = tooLarge(v) ? ` (each at most ${MAX_DIM})` : '';
  throw new ArgumentError(`${what} must be a ${kind} integer or a pair of them${bound}, got ${Array.isArray(v) ? JSON.stringify(v).slice(0, 60) : describeValue(v)}`);
}

/** Largest padded extent or window span a 32-bit kernel index may reach (oh*stride + kh*dilation). */
export const MAX_SPAN = 2 ** 30;

export const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
export const pairStr = (p: readonly [number, number]) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`);

/** Checks a per-sample [C, H, W] input; returns it. */
export function check3D(layer: Layer, inShape: number[]): [number, number, number] {
  if (inShape.length !== 3) {
    throw new ShapeError(`${layer.label} expects a per-sample input of shape [channels, height, width], got ${shapeStr(inShape)}` +
      (inShape.length === 1 ? ' (pass { inputShape: [C, H, W] } to Sequential, or put Flatten after the conv layers, not before)' : ''));
  }
  return [inShape[0], inShape[1], inShape[2]];
}

/** Refuses a per-batch-independent element count the 32-bit kernels cannot index. */
export function checkElements(layer: Layer, n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n > MAX_BUFFER_ELEMENTS) {
    throw new ShapeError(`${layer.label}: ${what} has ${n} elements, more than the ${MAX_BUFFER_ELEMENTS} one buffer may hold (2 GiB of float32)`);
  }
}

