// Elementwise activations: ReLU, LeakyReLU, PReLU (learned slopes), and the non-homogeneous
// Sigmoid and Tanh (no rescaling symmetry: EC optimizers refuse them by name).
import type { Kernels } from '../core/wasm.js';
import { checkNumber, checkOptions } from '../core/errors.js';
import { FIELD, type LayerSpecType } from './fields.js';
import { Layer, sizeOf, checkLayerName, type LayerIO, type LayerOptions, type ECRole } from './layer.js';

/** Shape-preserving activation: the output shape is the input shape. */
abstract class Elementwise extends Layer {
  readonly ecRole: ECRole = 'homogeneous';
  constructor(options: LayerOptions | undefined, who: string) {
    super();
    this.name = checkLayerName(checkOptions(options, who).name, who);
  }
  build(inShape: number[]): number[] {
    this.inShape = inShape.slice();
    this.outShape = inShape.slice();
    return this.outShape;
  }
}

/** y = max(x, 0). */
export class ReLU extends Elementwise {
  /** The spec schema of ReLU. */
  static readonly spec: LayerSpecType = { type: 'ReLU', fields: {}, make: () => new ReLU() };
  readonly kind = 'ReLU';
  constructor(options: LayerOptions = {}) {
    super(options, 'ReLU');
  }
  forward(k: Kernels, io: LayerIO): void {
    k.relu_forward(io.y, io.x, io.B * this.inSize);
  }
  backward(k: Kernels, io: LayerIO): void {
    if (io.dx) k.relu_backward(io.dx, io.dy, io.x, io.B * this.inSize);
  }
  config(): Record<string, unknown> { return {}; }
}

/** y = x > 0 ? x : alpha * x, fixed alpha (default 0.01). */
export class LeakyReLU extends Elementwise {
  /** The spec schema of LeakyReLU. */
  static readonly spec: LayerSpecType = { type: 'LeakyReLU', fields: { alpha: FIELD.finite }, make: (f) => new LeakyReLU(f.alpha) };
  readonly kind = 'LeakyReLU';
  readonly alpha: number;
  constructor(alpha = 0.01, options: LayerOptions = {}) {
    super(options, 'LeakyReLU');
    this.alpha = checkNumber(alpha, 'LeakyReLU: alpha', -Infinity, Infinity);
  }
  override describe(): string { return `LeakyReLU alpha=${this.alpha}`; }
  forward(k: Kernels, io: LayerIO): void {
    k.leaky_relu_forward(io.y, io.x, io.B * this.inSize, this.alpha);
  }
  backward(k: Kernels, io: LayerIO): void {
    if (io.dx) k.leaky_relu_backward(io.dx, io.dy, io.x, io.B * this.inSize, this.alpha);
  }
  config(): Record<string, unknown> { return { alpha: this.alpha }; }
}

/** Options of `new PReLU(options)`. */
export interface PReLUOptions extends LayerOptions {
  /** Initial slope of every unit (default 0.25, as PyTorch). */
  init?: number;
}

/**
 * y = x > 0 ? x : a_c * x with a learnable slope per unit: per feature after Dense, per channel
 * (first dimension) for (C, H, W) maps. The slope count is inferred from the input shape.
 */
export class PReLU extends Elementwise {
  /** The spec schema of PReLU. */
  static readonly spec: LayerSpecType = { type: 'PReLU', fields: { init: FIELD.finite }, make: (f) => new PReLU({ init: f.init }) };
  readonly kind = 'PReLU';
  readonly initSlope: number;
  constructor(options: PReLUOptions = {}) {
    super(options, 'PReLU');
    options = checkOptions(options, 'PReLU');
    this.initSlope = checkNumber(options.init ?? 0.25, 'PReLU: options.init', -Infinity, Infinity);
  }
  get units(): number { return this.inShape[0]; }
  private get inner(): number { return sizeOf(this.inShape.slice(1)); }
  override build(inShape: number[]): number[] {
    super.build(inShape);
    this.params = [{ name: 'weight', shape: [this.units], init: 'constant', value: this.initSlope, fanIn: 1, fanOut: 1 }];
    return this.outShape;
  }
  forward(k: Kernels, io: LayerIO): void {
    k.prelu_forward(io.y, io.x, this.paramPtr[0], io.B, this.units, this.inner);
  }
  backward(k: Kernels, io: LayerIO): void {
    k.prelu_backward(io.dx, this.gradPtr[0], io.dy, io.x, this.paramPtr[0], io.B, this.units, this.inner);
  }
  config(): Record<string, unknown> { return { init: this.initSlope }; }
}

/**
 * y = 1 / (1 + exp(-x)). Not positively homogeneous: a network containing it has no rescaling
 * symmetry, so EC optimizers refuse it (classic optimizers work).
 */
export class Sigmoid extends Elementwise {
  /** The spec schema of Sigmoid. */
  static readonly spec: LayerSpecType = { type: 'Sigmoid', fields: {}, make: () => new Sigmoid() };
  readonly kind = 'Sigmoid';
  override readonly ecRole: ECRole = 'none';
  constructor(options: LayerOptions = {}) {
    super(options, 'Sigmoid');
  }
  forward(k: Kernels, io: LayerIO): void {
    k.sigmoid_forward(io.y, io.x, io.B * this.inSize);
  }
  backward(k: Kernels, io: LayerIO): void {
    if (io.dx) k.sigmoid_backward(io.dx, io.dy, io.y, io.B * this.inSize);
  }
  config(): Record<string, unknown> { return {}; }
}

/** y = tanh(x). Not positively homogeneous (see Sigmoid). */
export class Tanh extends Elementwise {
  /** The spec schema of Tanh. */
  static readonly spec: LayerSpecType = { type: 'Tanh', fields: {}, make: () => new Tanh() };
  readonly kind = 'Tanh';
  override readonly ecRole: ECRole = 'none';
  constructor(options: LayerOptions = {}) {
    super(options, 'Tanh');
  }
  forward(k: Kernels, io: LayerIO): void {
    k.tanh_forward(io.y, io.x, io.B * this.inSize);
  }
  backward(k: Kernels, io: LayerIO): void {
    if (io.dx) k.tanh_backward(io.dx, io.dy, io.y, io.B * this.inSize);
  }
  config(): Record<string, unknown> { return {}; }
}
