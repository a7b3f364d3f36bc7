// Convolutional layers on per-sample [C, H, W] maps (NCHW batches): Conv2D, MaxPool2D, AvgPool2D,
// GlobalAvgPool2D and Flatten. Shape logic and validation live here; the loops are the kernels in
// assembly/conv2d.ts and assembly/pool2d.ts. Layers own no memory: the model that holds a layer
// allocates its blocks (the conv shape descriptor, the max-pool argmax cache) in its own plan.
// Every integer is bounded (src/core/sizes.ts) and every derived size checked here, so nothing the
// kernels compute in 32 bits can wrap.
import type { Kernels } from '../core/wasm.js';
import { Layer, sizeOf, checkLayerName, type LayerIO, type InitKind, type LayerOptions, type ECRole } from './layer.js';
import { ShapeError, ArgumentError, describeValue, checkOptions } from '../core/errors.js';
import { checkDim, isDim, tooLarge, MAX_DIM, MAX_BUFFER_ELEMENTS } from '../core/sizes.js';
import { warnDeprecated } from '../core/deprecation.js';

type Pair = number | [number, number];

const INITS: InitKind[] = ['he-uniform', 'he-normal', 'glorot-uniform', 'glorot-normal', 'zeros'];

function pair(v: unknown, what: string, min = 1): [number, number] {
  const ok = (x: unknown) => isDim(x, min);
  if (ok(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  const kind = min === 0 ? 'non-negative' : 'positive';
  const bound = tooLarge(v) ? ` (each at most ${MAX_DIM})` : '';
  throw new ArgumentError(`${what} must be a ${kind} integer or a pair of them${bound}, got ${Array.isArray(v) ? JSON.stringify(v).slice(0, 60) : describeValue(v)}`);
}

/** Largest padded extent or window span a 32-bit kernel index may reach (oh*stride + kh*dilation). */
const MAX_SPAN = 2 ** 30;

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
const pairStr = (p: readonly [number, number]) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`);

/** Checks a per-sample [C, H, W] input; returns it. */
function check3D(layer: Layer, inShape: number[]): [number, number, number] {
  if (inShape.length !== 3) {
    throw new ShapeError(`${layer.label} expects a per-sample input of shape [channels, height, width], got ${shapeStr(inShape)}` +
      (inShape.length === 1 ? ' (pass { inputShape: [C, H, W] } to Sequential, or put Flatten after the conv layers, not before)' : ''));
  }
  return [inShape[0], inShape[1], inShape[2]];
}

/** Refuses a per-batch-independent element count the 32-bit kernels cannot index. */
function checkElements(layer: Layer, n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n > MAX_BUFFER_ELEMENTS) {
    throw new ShapeError(`${layer.label}: ${what} has ${n} elements, more than the ${MAX_BUFFER_ELEMENTS} one buffer may hold (2 GiB of float32)`);
  }
}

/** Options of `new Conv2D(inChannels, outChannels, kernel, options)`. */
export interface Conv2DOptions extends LayerOptions {
  /** Step between windows (default 1); a number or [strideH, strideW]. */
  stride?: Pair;
  /**
   * Zero padding (default 0): a number or [padH, padW] added on both sides, or 'same'. 'same' pads
   * total = max((ceil(H / stride) - 1) * stride + dilation * (k - 1) + 1 - H, 0), top = floor(total / 2),
   * the rest at the bottom (the right for W): with stride 1 that is PyTorch's padding='same' (output
   * size = input size, even kernels pad one more at the bottom/right); with stride > 1 it is
   * TensorFlow's 'SAME' (output size ceil(H / stride)).
   */
  padding?: Pair | 'same';
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
  /** Spacing of the kernel taps (default 1); a number or [dilH, dilW]. */
  dilation?: Pair;
  /** Weight initializer (default 'he-uniform'). fanIn = inC·kh·kw, fanOut = outC·kh·kw. Biases start at 0. */
  init?: InitKind;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's Conv2d): input [inC, H, W] -> [outC, Ho, Wo],
 * weight (outC, inC, kh, kw), bias (outC).
 */
export class Conv2D extends Layer {
  readonly kind = 'Conv2D';
  readonly ecRole: ECRole = 'weight';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: [number, number];
  /** The padding option as given: [padH, padW] or 'same'. The resolved amounts are in `pad` after build. */
  readonly padding: [number, number] | 'same';
  readonly dilation: [number, number];
  readonly bias: boolean;
  readonly init: InitKind;
  /** Padding resolved by build(): rows added at the top/bottom, columns at the left/right. */
  pad = { top: 0, bottom: 0, left: 0, right: 0 };
  private desc = 0;
  private descShape: number[] = [];

  constructor(inChannels: number, outChannels: number, kernel: Pair, options: Conv2DOptions = {}) {
    super();
    options = checkOptions(options, 'Conv2D');
    this.inChannels = checkDim(inChannels, 'Conv2D: inChannels');
    this.outChannels = checkDim(outChannels, 'Conv2D: outChannels');
    [this.kernelH, this.kernelW] = pair(kernel, 'Conv2D: kernel');
    this.stride = pair(options.stride ?? 1, 'Conv2D: options.stride');
    this.dilation = pair(options.dilation ?? 1, 'Conv2D: options.dilation');
    const p = options.padding ?? 0;
    this.padding = p === 'same' ? 'same' : pair(p, "Conv2D: options.padding (or 'same')", 0);
    this.bias = options.bias ?? true;
    if (typeof this.bias !== 'boolean') throw new ArgumentError(`Conv2D: options.bias must be a boolean, got ${typeof options.bias}`);
    this.name = checkLayerName(options.name, 'Conv2D');
    this.init = options.init ?? 'he-uniform';
    if (!INITS.includes(this.init)) throw new ArgumentError(`Conv2D: options.init must be one of ${INITS.join(', ')}, got ${String(options.init)}`);
  }

  override describe(): string {
    const parts = [`Conv2D ${this.inChannels}->${this.outChannels} ${this.kernelH}x${this.kernelW}`];
    if (this.stride[0] !== 1 || this.stride[1] !== 1) parts.push(`stride ${pairStr(this.stride)}`);
    if (this.padding === 'same') parts.push('padding same');
    else if (this.padding[0] || this.padding[1]) parts.push(`padding ${pairStr(this.padding)}`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`dilation ${pairStr(this.dilation)}`);
    if (!this.bias) parts.push('no bias');
    return parts.join(', ');
  }

  build(inShape: number[]): number[] {
    const [C, H, W] = check3D(this, inShape);
    if (C !== this.inChannels) {
      throw new ShapeError(`${this.label} expects ${this.inChannels} input channels, but its input has shape ${shapeStr(inShape)} (${C} channels)`);
    }
    const [sh, sw] = this.stride, [dh, dw] = this.dilation;
    const span = (k: number, d: number) => d * (k - 1) + 1;
    const resolve = (n: number, k: number, s: number, d: number, p: number): [number, number] => {
      if (this.padding !== 'same') return [p, p];
      const total = Math.max((Math.ceil(n / s) - 1) * s + span(k, d) - n, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    const [pt, pb] = resolve(H, this.kernelH, sh, dh, this.padding === 'same' ? 0 : this.padding[0]);
    const [pl, pr] = resolve(W, this.kernelW, sw, dw, this.padding === 'same' ? 0 : this.padding[1]);
    const eh = span(this.kernelH, dh), ew = span(this.kernelW, dw);
    if (H + pt + pb > MAX_SPAN || W + pl + pr > MAX_SPAN || eh > MAX_SPAN || ew > MAX_SPAN) {
      throw new ShapeError(`${this.label}: the padded input ${H + pt + pb}x${W + pl + pr} or the kernel window ${eh}x${ew} ` +
        `exceeds ${MAX_SPAN} (the kernels index rows and columns with 32-bit integers)`);
    }
    if (eh > H + pt + pb || ew > W + pl + pr) {
      throw new ShapeError(`${this.label}: the ${eh}x${ew} kernel window (kernel ${this.kernelH}x${this.kernelW}, dilation ${pairStr(this.dilation)}) ` +
        `is larger than the padded input ${H + pt + pb}x${W + pl + pr} (input shape ${shapeStr(inShape)}, padding ${pt}/${pb} rows, ${pl}/${pr} columns)`);
    }
    const Ho = Math.floor((H + pt + pb - eh) / sh) + 1;
    const Wo = Math.floor((W + pl + pr - ew) / sw) + 1;
    const kk = this.kernelH * this.kernelW;
    // every count the kernels form in 32 bits: K = C·kh·kw, P = Ho·Wo, the unfolded input K·P,
    // the weight O·K and the per-sample maps
    const K = C * kk, P = Ho * Wo;
    checkElements(this, K, 'the unfolded kernel (inChannels × kh × kw)');
    checkElements(this, P, 'the output map (Ho × Wo)');
    checkElements(this, C * H * W, 'the input map');
    checkElements(this, this.outChannels * P, 'the output map');
    checkElements(this, this.outChannels * K, 'the weight');
    checkElements(this, K * P, 'the unfolded input of one sample (im2col scratch)');
    this.pad = { top: pt, bottom: pb, left: pl, right: pr };
    this.inShape = inShape.slice();
    this.outShape = [this.outChannels, Ho, Wo];
    this.params = [{ name: 'weight', shape: [this.outChannels, C, this.kernelH, this.kernelW], init: this.init, fanIn: C * kk, fanOut: this.outChannels * kk }];
    if (this.bias) this.params.push({ name: 'bias', shape: [this.outChannels], init: 'zeros', fanIn: C * kk, fanOut: this.outChannels * kk });
    this.descShape = [C, H, W, this.outChannels, this.kernelH, this.kernelW, sh, sw, pt, pl, dh, dw, Ho, Wo];
    return this.outShape;
  }

  override descriptorBytes(k: Kernels): number {
    return k.conv2d_desc_bytes();
  }

  override bindDescriptor(k: Kernels, ptr: number | null): void {
    this.desc = ptr ?? 0;
    if (ptr === null) return;
    const d = this.descShape;
    k.conv2d_desc(ptr, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13]);
  }

  override scratchBytes(k: Kernels, _B: number): number {
    return k.conv2d_scratch_bytes(this.desc);
  }

  forward(k: Kernels, io: LayerIO): void {
    k.conv2d_forward(io.y, io.x, this.paramPtr[0], this.bias ? this.paramPtr[1] : 0, io.B, this.desc, io.scratch);
  }

  backward(k: Kernels, io: LayerIO): void {
    k.conv2d_backward(io.dx, this.gradPtr[0], this.bias ? this.gradPtr[1] : 0, io.dy, io.x, this.paramPtr[0], io.B, this.desc, io.scratch);
  }

  /**
   * Does nothing: the model owns the descriptor block.
   *
   * @deprecated Since 0.2.0: layers own no memory; free it with `model.dispose()`. Warns once;
   * removed in 1.0.0.
   */
  override dispose(): void {
    warnDeprecated('ECOPT_DEP001', 'Conv2D.dispose() is deprecated since ecopt 0.2.0 and does nothing: layers own no memory (model.dispose() frees it); it will be removed in 1.0.0');
  }

  config(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, kernel: [this.kernelH, this.kernelW],
      stride: this.stride.slice(), padding: this.padding === 'same' ? 'same' : this.padding.slice(),
      dilation: this.dilation.slice(), bias: this.bias, init: this.init,
    };
  }
}

/** Options of `new MaxPool2D(kernel, options)` and `new AvgPool2D(kernel, options)`. */
export interface PoolOptions extends LayerOptions {
  /** Step between windows (default: the kernel size, non-overlapping windows). */
  stride?: Pair;
}

/** Shared shape logic of the windowed pools: no padding, Ho = floor((H - kh) / sh) + 1. */
abstract class Pool2D extends Layer {
  readonly ecRole: ECRole = 'homogeneous';
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: [number, number];

  constructor(name: string, kernel: Pair, options: PoolOptions) {
    super();
    this.name = checkLayerName(options.name, name);
    [this.kernelH, this.kernelW] = pair(kernel, `${name}: kernel`);
    this.stride = options.stride === undefined ? [this.kernelH, this.kernelW] : pair(options.stride, `${name}: options.stride`);
  }

  override describe(): string {
    const s = this.stride[0] === this.kernelH && this.stride[1] === this.kernelW ? '' : `, stride ${pairStr(this.stride)}`;
    return `${this.kind} ${this.kernelH}x${this.kernelW}${s}`;
  }

  build(inShape: number[]): number[] {
    const [C, H, W] = check3D(this, inShape);
    if (this.kernelH > H || this.kernelW > W) {
      throw new ShapeError(`${this.label}: the ${this.kernelH}x${this.kernelW} window is larger than the input ${H}x${W} (input shape ${shapeStr(inShape)}; pooling does not pad)`);
    }
    checkElements(this, C * H * W, 'the input map');
    this.inShape = inShape.slice();
    this.outShape = [C, Math.floor((H - this.kernelH) / this.stride[0]) + 1, Math.floor((W - this.kernelW) / this.stride[1]) + 1];
    return this.outShape;
  }

  /** Kernel arguments B, C, H, W, KH, KW, sh, sw, Ho, Wo. */
  protected dims(B: number): [number, number, number, number, number, number, number, number, number, number] {
    const [C, H, W] = this.inShape;
    return [B, C, H, W, this.kernelH, this.kernelW, this.stride[0], this.stride[1], this.outShape[1], this.outShape[2]];
  }

  config(): Record<string, unknown> {
    return { kernel: [this.kernelH, this.kernelW], stride: this.stride.slice() };
  }
}

/** Max over each window; backward routes the gradient to the (first) maximum of its window. */
export class MaxPool2D extends Pool2D {
  readonly kind = 'MaxPool2D';

  constructor(kernel: Pair, options: PoolOptions = {}) {
    super('MaxPool2D', kernel, checkOptions(options, 'MaxPool2D'));
  }

  /** The argmax of every output (an i32 index per output element), kept for backward. */
  override cacheFloatsPerSample(): number {
    return this.outSize;
  }

  forward(k: Kernels, io: LayerIO): void {
    if (!io.cache) throw new ArgumentError(`${this.label}: forward needs the argmax cache (io.cache) its model plans`);
    const [B, C, H, W, KH, KW, sh, sw, Ho, Wo] = this.dims(io.B);
    k.maxpool2d_forward(io.y, io.cache, io.x, B, C, H, W, KH, KW, sh, sw, Ho, Wo);
  }

  backward(k: Kernels, io: LayerIO): void {
    if (!io.dx) return;
    if (!io.cache) throw new ArgumentError(`${this.label}: backward needs the argmax cache (io.cache) of its forward`);
    const [B, C, H, W, , , , , Ho, Wo] = this.dims(io.B);
    k.maxpool2d_backward(io.dx, io.dy, io.cache, B, C, H, W, Ho, Wo);
  }
}

/** Mean over each window (divides by kh·kw). */
export class AvgPool2D extends Pool2D {
  readonly kind = 'AvgPool2D';
  constructor(kernel: Pair, options: PoolOptions = {}) {
    super('AvgPool2D', kernel, checkOptions(options, 'AvgPool2D'));
  }
  forward(k: Kernels, io: LayerIO): void {
    k.avgpool2d_forward(io.y, io.x, ...this.dims(io.B));
  }
  backward(k: Kernels, io: LayerIO): void {
    if (io.dx) k.avgpool2d_backward(io.dx, io.dy, ...this.dims(io.B));
  }
}

/** Mean of each channel: [C, H, W] -> [C]. */
export class GlobalAvgPool2D extends Layer {
  readonly kind = 'GlobalAvgPool2D';
  readonly ecRole: ECRole = 'homogeneous';
  constructor(options: LayerOptions = {}) {
    super();
    this.name = checkLayerName(checkOptions(options, 'GlobalAvgPool2D').name, 'GlobalAvgPool2D');
  }
  build(inShape: number[]): number[] {
    const [C] = check3D(this, inShape);
    this.inShape = inShape.slice();
    this.outShape = [C];
    return this.outShape;
  }
  forward(k: Kernels, io: LayerIO): void {
    k.global_avgpool_forward(io.y, io.x, io.B, this.inShape[0], this.inShape[1] * this.inShape[2]);
  }
  backward(k: Kernels, io: LayerIO): void {
    if (io.dx) k.global_avgpool_backward(io.dx, io.dy, io.B, this.inShape[0], this.inShape[1] * this.inShape[2]);
  }
  config(): Record<string, unknown> { return {}; }
}

/** Any per-sample shape -> one vector (row-major, C then H then W): a copy into the layer's own buffer. */
export class Flatten extends Layer {
  readonly kind = 'Flatten';
  readonly ecRole: ECRole = 'homogeneous';
  constructor(options: LayerOptions = {}) {
    super();
    this.name = checkLayerName(checkOptions(options, 'Flatten').name, 'Flatten');
  }
  /** A view: inside a model it shares its input's buffer (no copy); forward/backward copy when called directly. */
  override readonly isView: boolean = true;
  build(inShape: number[]): number[] {
    this.inShape = inShape.slice();
    this.outShape = [sizeOf(inShape)];
    return this.outShape;
  }
  forward(k: Kernels, io: LayerIO): void {
    k.copy_bytes(io.y, io.x, io.B * this.inSize * 4);
  }
  backward(k: Kernels, io: LayerIO): void {
    if (io.dx) k.copy_bytes(io.dx, io.dy, io.B * this.inSize * 4);
  }
  config(): Record<string, unknown> { return {}; }
}
