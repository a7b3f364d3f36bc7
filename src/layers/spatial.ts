// Argument and shape helpers of the layers on per-sample [C, H, W] maps (Conv2D, DepthwiseConv2D,
// the pools, ChannelPad): pairs of sizes, 3-D input checks, convolution geometry (padding and output
// size), element bounds the 32-bit kernels can index.
import { WEIGHT_INITS, type Layer, type InitKind } from './layer.js';
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


/** Padding amounts and output size of a convolution window over a [C, H, W] input (Conv2D, DepthwiseConv2D). */
export interface ConvGeometry { pt: number; pb: number; pl: number; pr: number; Ho: number; Wo: number }

/**
 * Resolves the padding ('same': total = max((ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0), the
 * odd row/column at the bottom/right) and the output size; ShapeError naming the layer when the
 * window does not fit the padded input or a span exceeds what 32-bit kernels index.
 */
export function convGeometry(layer: Layer, inShape: number[], kernel: [number, number], stride: [number, number],
  dilation: [number, number], padding: [number, number] | 'same'): ConvGeometry {
  const [, H, W] = inShape;
  const [kh, kw] = kernel, [sh, sw] = stride, [dh, dw] = dilation;
  const span = (k: number, d: number) => d * (k - 1) + 1;
  const resolve = (n: number, k: number, s: number, d: number, p: number): [number, number] => {
    if (padding !== 'same') return [p, p];
    const total = Math.max((Math.ceil(n / s) - 1) * s + span(k, d) - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [pt, pb] = resolve(H, kh, sh, dh, padding === 'same' ? 0 : padding[0]);
  const [pl, pr] = resolve(W, kw, sw, dw, padding === 'same' ? 0 : padding[1]);
  const eh = span(kh, dh), ew = span(kw, dw);
  if (H + pt + pb > MAX_SPAN || W + pl + pr > MAX_SPAN || eh > MAX_SPAN || ew > MAX_SPAN) {
    throw new ShapeError(`${layer.label}: the padded input ${H + pt + pb}x${W + pl + pr} or the kernel window ${eh}x${ew} ` +
      `exceeds ${MAX_SPAN} (the kernels index rows and columns with 32-bit integers)`);
  }
  if (eh > H + pt + pb || ew > W + pl + pr) {
    throw new ShapeError(`${layer.label}: the ${eh}x${ew} kernel window (kernel ${kh}x${kw}, dilation ${pairStr(dilation)}) ` +
      `is larger than the padded input ${H + pt + pb}x${W + pl + pr} (input shape ${shapeStr(inShape)}, padding ${pt}/${pb} rows, ${pl}/${pr} columns)`);
  }
  return { pt, pb, pl, pr, Ho: Math.floor((H + pt + pb - eh) / sh) + 1, Wo: Math.floor((W + pl + pr - ew) / sw) + 1 };
}

/** The options every convolution (Conv2D, DepthwiseConv2D) takes, as given by the user. */
export interface ConvOptionsIn { stride?: Pair; padding?: Pair | 'same'; dilation?: Pair; bias?: boolean; init?: InitKind }

/** Those options checked and resolved (defaults: stride 1, padding 0, dilation 1, bias, 'he-uniform'). */
export interface ConvSettings { stride: [number, number]; padding: [number, number] | 'same'; dilation: [number, number]; bias: boolean; init: InitKind }

/** Checks a convolution's shared options; errors name `who` and the option. */
export function convSettings(options: ConvOptionsIn, who: string): ConvSettings {
  const stride = pair(options.stride ?? 1, `${who}: options.stride`);
  const dilation = pair(options.dilation ?? 1, `${who}: options.dilation`);
  const p = options.padding ?? 0;
  const padding = p === 'same' ? 'same' : pair(p, `${who}: options.padding (or 'same')`, 0);
  const bias = options.bias ?? true;
  if (typeof bias !== 'boolean') throw new ArgumentError(`${who}: options.bias must be a boolean, got ${typeof options.bias}`);
  const init = options.init ?? 'he-uniform';
  if (!INITS.includes(init)) throw new ArgumentError(`${who}: options.init must be one of ${INITS.join(', ')}, got ${String(options.init)}`);
  return { stride, padding, dilation, bias, init };
}

/** describe()'s words for the settings that differ from the defaults: 'stride 2', 'padding same', 'no bias', ... */
export function convSettingsText(s: Omit<ConvSettings, 'init'>): string[] {
  const parts: string[] = [];
  if (s.stride[0] !== 1 || s.stride[1] !== 1) parts.push(`stride ${pairStr(s.stride)}`);
  if (s.padding === 'same') parts.push('padding same');
  else if (s.padding[0] || s.padding[1]) parts.push(`padding ${pairStr(s.padding)}`);
  if (s.dilation[0] !== 1 || s.dilation[1] !== 1) parts.push(`dilation ${pairStr(s.dilation)}`);
  if (!s.bias) parts.push('no bias');
  return parts;
}
