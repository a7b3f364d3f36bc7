// Batch normalisation as torch.nn.BatchNorm1d / BatchNorm2d: affine weight and bias, running mean
// and variance (momentum 0.1, eps 1e-5, unbiased running variance), batch statistics in training
// mode and running statistics in evaluation mode. Kernels: assembly/batchnorm.ts. Its output does
// not depend on the scale of its input's units, so to the EC optimizers it is a 'scale-cut'.
import type { Kernels } from '../core/wasm.js';
import { ShapeError, checkNumber, checkOptions, ArgumentError } from '../core/errors.js';
import { checkDim } from '../core/sizes.js';
import { Layer, sizeOf, checkLayerName, type LayerIO, type LayerOptions, type ECRole } from './layer.js';
import { FIELD, type LayerSpecType } from './fields.js';

/** Options of `new BatchNorm1D(numFeatures, options)` and `new BatchNorm2D(numFeatures, options)`. */
export interface BatchNormOptions extends LayerOptions {
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1, as PyTorch). */
  momentum?: number;
  /** Learn a per-channel scale (weight, init 1) and shift (bias, init 0) (default true). */
  affine?: boolean;
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The shared logic of BatchNorm1D and BatchNorm2D: per-channel statistics over (batch, spatial). */
abstract class BatchNorm extends Layer {
  readonly ecRole: ECRole = 'scale-cut';
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;

  constructor(who: string, numFeatures: number, options: BatchNormOptions) {
    super();
    options = checkOptions(options, who);
    this.name = checkLayerName(options.name, who);
    this.numFeatures = checkDim(numFeatures, `${who}: numFeatures`);
    this.eps = checkNumber(options.eps ?? 1e-5, `${who}: options.eps`, 0, 1, true);
    this.momentum = checkNumber(options.momentum ?? 0.1, `${who}: options.momentum`, 0, 1);
    this.affine = options.affine ?? true;
    if (typeof this.affine !== 'boolean') throw new ArgumentError(`${who}: options.affine must be a boolean, got ${typeof options.affine}`);
  }

  override describe(): string {
    return `${this.kind} ${this.numFeatures}${this.affine ? '' : ', no affine'}`;
  }

  /** Values per channel and sample (H*W for maps, L for [C, L] vectors, 1 for [C]). */
  protected get spatial(): number {
    return sizeOf(this.inShape.slice(1));
  }

  protected setUp(inShape: number[]): number[] {
    if (inShape[0] !== this.numFeatures) {
      throw new ShapeError(`${this.label} expects ${this.numFeatures} channels (features), but its input has shape ${shapeStr(inShape)} (${inShape[0]})`);
    }
    this.inShape = inShape.slice();
    this.outShape = inShape.slice();
    const C = this.numFeatures;
    this.params = this.affine
      ? [{ name: 'weight', shape: [C], init: 'constant', value: 1, fanIn: 1, fanOut: 1 }, { name: 'bias', shape: [C], init: 'zeros', fanIn: 1, fanOut: 1 }]
      : [];
    this.buffers = [
      { name: 'running_mean', shape: [C], init: 'zeros', fanIn: 1, fanOut: 1 },
      { name: 'running_var', shape: [C], init: 'constant', value: 1, fanIn: 1, fanOut: 1 },
    ];
    return this.outShape;
  }

  /** mean and invstd per channel, kept from a training forward for backward. */
  override cacheFloats(): number {
    return 2 * this.numFeatures;
  }

  forward(k: Kernels, io: LayerIO): void {
    const [gamma, beta] = this.affine ? this.paramPtr : [0, 0];
    const [rmean, rvar] = this.bufferPtr;
    if (io.training) {
      if (!io.cache) throw new ArgumentError(`${this.label}: a training forward needs the statistics cache (io.cache) its model plans`);
      k.batchnorm_forward_train(io.y, io.x, gamma, beta, rmean, rvar, io.cache, io.B, this.numFeatures, this.spatial, this.eps, this.momentum);
    } else {
      k.batchnorm_forward_eval(io.y, io.x, gamma, beta, rmean, rvar, io.B, this.numFeatures, this.spatial, this.eps);
    }
  }

  backward(k: Kernels, io: LayerIO): void {
    const [gamma] = this.affine ? this.paramPtr : [0];
    const [dgamma, dbeta] = this.affine ? this.gradPtr : [0, 0];
    const [rmean, rvar] = this.bufferPtr;
    k.batchnorm_backward(io.dx, dgamma, dbeta, io.dy, io.x, gamma, io.training ? io.cache ?? 0 : 0, rmean, rvar,
      io.B, this.numFeatures, this.spatial, this.eps);
  }

  config(): Record<string, unknown> {
    return { numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.affine };
  }
}

const FIELDS = { numFeatures: FIELD.posInt, eps: FIELD.finite, momentum: FIELD.finite, affine: FIELD.bool };

/** BatchNorm over the features of vectors [C] (or the channels of [C, L] sequences), as torch.nn.BatchNorm1d. */
export class BatchNorm1D extends BatchNorm {
  /** The spec schema of BatchNorm1D. */
  static readonly spec: LayerSpecType = {
    type: 'BatchNorm1D', fields: FIELDS,
    make: (f) => new BatchNorm1D(f.numFeatures, { eps: f.eps, momentum: f.momentum, affine: f.affine }),
  };
  readonly kind = 'BatchNorm1D';
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm1D', numFeatures, options);
  }
  build(inShape: number[]): number[] {
    if (inShape.length !== 1 && inShape.length !== 2) throw new ShapeError(`${this.label} expects per-sample [features] or [channels, length], got ${shapeStr(inShape)}`);
    return this.setUp(inShape);
  }
}

/** BatchNorm over the channels of [C, H, W] maps, as torch.nn.BatchNorm2d. */
export class BatchNorm2D extends BatchNorm {
  /** The spec schema of BatchNorm2D. */
  static readonly spec: LayerSpecType = {
    type: 'BatchNorm2D', fields: FIELDS,
    make: (f) => new BatchNorm2D(f.numFeatures, { eps: f.eps, momentum: f.momentum, affine: f.affine }),
  };
  readonly kind = 'BatchNorm2D';
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm2D', numFeatures, options);
  }
  build(inShape: number[]): number[] {
    if (inShape.length !== 3) throw new ShapeError(`${this.label} expects a per-sample [channels, height, width] map, got ${shapeStr(inShape)}`);
    return this.setUp(inShape);
  }
}
