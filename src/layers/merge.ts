// Joins of a functional graph: Add (sum of same-shape inputs: identity and projection shortcuts)
// and Concat (inputs side by side along one per-sample axis). Both take several inputs, have no
// parameters, and are the only layers whose forward reads io.xs and whose backward writes io.dxs.
import type { Kernels } from '../core/wasm.js';
import { ArgumentError, ShapeError, checkOptions, describeValue } from '../core/errors.js';
import { FIELD, type LayerSpecType } from './fields.js';
import { Layer, sizeOf, checkLayerName, type LayerIO, type LayerOptions, type ECRole } from './layer.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Inputs and input gradients of a join call (the model passes io.xs / io.dxs). */
function joinIO(layer: Layer, io: LayerIO, what: 'forward' | 'backward'): { xs: number[]; dxs: number[] } {
  const xs = io.xs ?? [];
  if (xs.length !== layer.inShapes.length) {
    throw new ArgumentError(`${layer.label}: ${what} needs its ${layer.inShapes.length} inputs in io.xs, got ${xs.length}`);
  }
  return { xs, dxs: io.dxs ?? [] };
}

/**
 * y = x_0 + x_1 + ... (elementwise, summed in input order), all inputs of the same shape: the join
 * of a residual block (`new Add().apply([body, shortcut])`). Backward: every input gets dy.
 */
export class Add extends Layer {
  /** The spec schema of Add. */
  static readonly spec: LayerSpecType = { type: 'Add', fields: {}, make: () => new Add() };
  readonly kind = 'Add';
  readonly ecRole: ECRole = 'join';

  constructor(options: LayerOptions = {}) {
    super();
    this.name = checkLayerName(checkOptions(options, 'Add').name, 'Add');
  }

  build(): number[] {
    throw new ShapeError(`${this.label} sums several inputs: apply it to an array of tensors, e.g. add.apply([a, b])`);
  }

  override buildInputs(inShapes: number[][]): number[] {
    if (inShapes.length < 2) throw new ShapeError(`${this.label} sums at least 2 inputs, got ${inShapes.length}`);
    const first = inShapes[0];
    inShapes.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, j) => d !== first[j])) {
        throw new ShapeError(`${this.label}: every input must have the same shape; input 0 is ${shapeStr(first)}, input ${i} is ${shapeStr(s)} (a projection shortcut, e.g. a 1x1 Conv2D with a stride, makes them match)`);
      }
    });
    this.inShapes = inShapes.map((s) => s.slice());
    this.inShape = first.slice();
    this.outShape = first.slice();
    return this.outShape;
  }

  forward(k: Kernels, io: LayerIO): void {
    const { xs } = joinIO(this, io, 'forward');
    const n = io.B * this.outSize;
    k.copy_bytes(io.y, xs[0], n * 4);
    for (let i = 1; i < xs.length; i++) k.axpy_f32(io.y, xs[i], n, 1);
  }

  backward(k: Kernels, io: LayerIO): void {
    const { dxs } = joinIO(this, io, 'backward');
    const n = io.B * this.outSize;
    for (const dx of dxs) if (dx) k.copy_bytes(dx, io.dy, n * 4);
  }

  config(): Record<string, unknown> { return {}; }
}

/** Options of `new Concat(options)`. */
export interface ConcatOptions extends LayerOptions {
  /**
   * The per-sample axis the inputs are joined along (no batch dimension): 0 (default) is the
   * channels of [C, H, W] maps and the features of vectors; negative counts from the end.
   */
  axis?: number;
}

/**
 * The inputs side by side along one per-sample axis (default 0: channels or features); every other
 * dimension must agree. Backward: each input gets its slice of dy.
 */
export class Concat extends Layer {
  /** The spec schema of Concat. */
  static readonly spec: LayerSpecType = { type: 'Concat', fields: { axis: FIELD.axis }, make: (f) => new Concat({ axis: f.axis }) };
  readonly kind = 'Concat';
  readonly ecRole: ECRole = 'join';
  /** The axis as given (may be negative). */
  readonly axis: number;
  /** Per input: floats per outer step of its block; and the output's (set by build). */
  private blocks: number[] = [];
  private outerCount = 1;
  private outBlock = 0;

  constructor(options: ConcatOptions = {}) {
    super();
    options = checkOptions(options, 'Concat');
    this.name = checkLayerName(options.name, 'Concat');
    const axis = options.axis ?? 0;
    if (!Number.isInteger(axis) || axis < -8 || axis > 7) throw new ArgumentError(`Concat: options.axis must be an integer in [-8, 7] (a per-sample axis), got ${describeValue(options.axis)}`);
    this.axis = axis;
  }

  override describe(): string {
    return this.axis === 0 ? 'Concat' : `Concat axis ${this.axis}`;
  }

  build(): number[] {
    throw new ShapeError(`${this.label} joins several inputs: apply it to an array of tensors, e.g. concat.apply([a, b])`);
  }

  override buildInputs(inShapes: number[][]): number[] {
    if (inShapes.length < 2) throw new ShapeError(`${this.label} joins at least 2 inputs, got ${inShapes.length}`);
    const rank = inShapes[0].length;
    const a = this.axis < 0 ? rank + this.axis : this.axis;
    if (a < 0 || a >= rank) throw new ShapeError(`${this.label}: axis ${this.axis} does not exist for inputs of shape ${shapeStr(inShapes[0])}`);
    inShapes.forEach((s, i) => {
      if (s.length !== rank || s.some((d, j) => j !== a && d !== inShapes[0][j])) {
        throw new ShapeError(`${this.label}: inputs must agree on every dimension but axis ${a}; input 0 is ${shapeStr(inShapes[0])}, input ${i} is ${shapeStr(s)}`);
      }
    });
    const out = inShapes[0].slice();
    out[a] = inShapes.reduce((t, s) => t + s[a], 0);
    sizeOf(out); // a safe integer (ShapeError otherwise)
    this.outerCount = sizeOf(out.slice(0, a));
    this.blocks = inShapes.map((s) => sizeOf(s.slice(a)));
    this.outBlock = sizeOf(out.slice(a));
    this.inShapes = inShapes.map((s) => s.slice());
    this.inShape = inShapes[0].slice();
    this.outShape = out;
    return out;
  }

  forward(k: Kernels, io: LayerIO): void {
    const { xs } = joinIO(this, io, 'forward');
    const rows = io.B * this.outerCount;
    let offset = 0;
    xs.forEach((x, i) => {
      k.copy_rows_f32(io.y + offset * 4, this.outBlock, x, this.blocks[i], rows, this.blocks[i]);
      offset += this.blocks[i];
    });
  }

  backward(k: Kernels, io: LayerIO): void {
    const { dxs } = joinIO(this, io, 'backward');
    const rows = io.B * this.outerCount;
    let offset = 0;
    this.blocks.forEach((n, i) => {
      if (dxs[i]) k.copy_rows_f32(dxs[i], n, io.dy + offset * 4, this.outBlock, rows, n);
      offset += n;
    });
  }

  config(): Record<string, unknown> { return { axis: this.axis }; }
}
