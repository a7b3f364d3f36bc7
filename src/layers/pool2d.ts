// Pooling on per-sample [C, H, W] maps: MaxPool2D (argmax kept for backward in the model's plan),
// AvgPool2D and GlobalAvgPool2D; the loops are in assembly/pool2d.ts.
import type { Kernels } from '../core/wasm.js';
import { FIELD, type LayerSpecType } from './fields.js';
import { Layer, checkLayerName, type LayerIO, type LayerOptions, type ECRole } from './layer.js';
import { ShapeError, ArgumentError, checkOptions } from '../core/errors.js';
import { pair, pairStr, shapeStr, check3D, checkElements, type Pair } from './spatial.js';

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
  /** The spec schema of MaxPool2D. */
  static readonly spec: LayerSpecType = { type: 'MaxPool2D', fields: { kernel: FIELD.pair(true), stride: FIELD.pair(false) }, make: (f) => new MaxPool2D(f.kernel, { stride: f.stride }) };
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
  /** The spec schema of AvgPool2D. */
  static readonly spec: LayerSpecType = { type: 'AvgPool2D', fields: { kernel: FIELD.pair(true), stride: FIELD.pair(false) }, make: (f) => new AvgPool2D(f.kernel, { stride: f.stride }) };
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
  /** The spec schema of GlobalAvgPool2D. */
  static readonly spec: LayerSpecType = { type: 'GlobalAvgPool2D', fields: {}, make: () => new GlobalAvgPool2D() };
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

