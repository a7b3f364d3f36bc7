// Dense (fully connected) layer: y = x · Wᵀ + b with W (out, in) as PyTorch, on the GEMM kernels.
import type { Kernels } from '../core/wasm.js';
import { ShapeError, ArgumentError, checkOptions } from '../core/errors.js';
import { checkDim } from '../core/sizes.js';
import { FIELD, type LayerSpecType } from './fields.js';
import { Layer, sizeOf, checkLayerName, WEIGHT_INITS, biasInit, type LayerIO, type InitKind, type LayerOptions } from './layer.js';

/** Options of `new Dense(inFeatures, outFeatures, options)`. */
export interface DenseOptions extends LayerOptions {
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Weight initializer (default 'he-uniform', suited to ReLU networks). Biases start at 0, except with 'torch-uniform' (PyTorch's default: weight and bias U(±1/√fanIn)). */
  init?: InitKind;
}

const INITS = WEIGHT_INITS;

/** Fully connected layer: y = x · Wᵀ + b, W is (out, in) row-major as in PyTorch. */
export class Dense extends Layer {
  /** The spec schema of Dense (layers/fields.ts). */
  static readonly spec: LayerSpecType = {
    type: 'Dense',
    fields: { inFeatures: FIELD.posInt, outFeatures: FIELD.posInt, bias: FIELD.bool, init: FIELD.init },
    make: (f) => new Dense(f.inFeatures, f.outFeatures, { bias: f.bias, init: f.init }),
  };
  readonly kind = 'Dense';
  readonly ecRole = 'weight';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  readonly init: InitKind;

  constructor(inFeatures: number, outFeatures: number, options: DenseOptions = {}) {
    super();
    options = checkOptions(options, 'Dense');
    this.inFeatures = checkDim(inFeatures, 'Dense: inFeatures');
    this.outFeatures = checkDim(outFeatures, 'Dense: outFeatures');
    this.bias = options.bias ?? true;
    if (typeof this.bias !== 'boolean') throw new ArgumentError(`Dense: options.bias must be a boolean, got ${typeof options.bias}`);
    this.name = checkLayerName(options.name, 'Dense');
    this.init = options.init ?? 'he-uniform';
    if (!INITS.includes(this.init)) throw new ArgumentError(`Dense: options.init must be one of ${INITS.join(', ')}, got ${String(options.init)}`);
  }

  override describe(): string {
    return `Dense ${this.inFeatures}->${this.outFeatures}${this.bias ? '' : ', no bias'}`;
  }

  build(inShape: number[]): number[] {
    const n = sizeOf(inShape);
    if (n !== this.inFeatures) {
      throw new ShapeError(`${this.label} expects ${this.inFeatures} input features per sample, but its input has shape [${inShape.join(', ')}] (${n} values)`);
    }
    this.inShape = inShape.slice();
    this.outShape = [this.outFeatures];
    this.params = [{ name: 'weight', shape: [this.outFeatures, this.inFeatures], init: this.init, fanIn: this.inFeatures, fanOut: this.outFeatures }];
    if (this.bias) this.params.push({ name: 'bias', shape: [this.outFeatures], init: biasInit(this.init), fanIn: this.inFeatures, fanOut: this.outFeatures });
    return this.outShape;
  }

  forward(k: Kernels, io: LayerIO): void {
    k.dense_forward(io.y, io.x, this.paramPtr[0], this.bias ? this.paramPtr[1] : 0, io.B, this.inFeatures, this.outFeatures, io.scratch);
  }

  backward(k: Kernels, io: LayerIO): void {
    k.dense_backward(io.dx, this.gradPtr[0], this.bias ? this.gradPtr[1] : 0, io.dy, io.x, this.paramPtr[0], io.B, this.inFeatures, this.outFeatures, io.scratch);
  }

  override scratchBytes(k: Kernels, B: number): number {
    return Math.max(
      k.gemm_scratch_bytes(B, this.outFeatures, this.inFeatures),
      k.gemm_scratch_bytes(this.outFeatures, this.inFeatures, B),
      k.gemm_scratch_bytes(B, this.inFeatures, this.outFeatures));
  }

  config(): Record<string, unknown> {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias, init: this.init };
  }
}

