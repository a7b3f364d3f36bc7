// Dropout (torch.nn.Dropout) and Dropout2D (torch.nn.Dropout2d: whole channels), inverted: in
// training mode values are kept with probability 1 - p and scaled by 1 / (1 - p); in evaluation mode
// the layer passes its input on. Masks are drawn in wasm from (model seed, training step, node), so
// a run replays bit-identically; the mask is kept for backward in the model's plan. Kernels:
// assembly/dropout.ts. Positively homogeneous (a mask times a fixed scale), keeps the units.
import type { Kernels } from '../core/wasm.js';
import { ShapeError, checkNumber, checkOptions } from '../core/errors.js';
import { Layer, sizeOf, checkLayerName, type LayerIO, type LayerOptions, type ECRole } from './layer.js';
import { FIELD, type LayerSpecType } from './fields.js';

const splitSeed = (seed: number): [number, number] => [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];

/** The shared logic: p, the draw groups, the kernels. */
abstract class DropoutBase extends Layer {
  readonly ecRole: ECRole = 'homogeneous';
  override readonly usesStep: boolean = true;
  /** Probability of dropping a value (Dropout) or a channel (Dropout2D), in [0, 1). */
  readonly p: number;

  constructor(who: string, p: number, options: LayerOptions) {
    super();
    this.name = checkLayerName(checkOptions(options, who).name, who);
    this.p = checkNumber(p, `${who}: p`, 0, 1, false, true);
  }

  override describe(): string {
    return `${this.kind} p=${this.p}`;
  }

  /** Values that share one draw. */
  protected abstract get group(): number;

  build(inShape: number[]): number[] {
    this.inShape = inShape.slice();
    this.outShape = inShape.slice();
    return this.outShape;
  }

  /** One mask value per draw and sample. */
  override cacheFloatsPerSample(): number {
    return this.inSize / this.group;
  }

  forward(k: Kernels, io: LayerIO): void {
    const count = io.B * this.inSize;
    if (!io.training) {
      k.copy_bytes(io.y, io.x, count * 4);
      return;
    }
    const [lo, hi] = splitSeed(io.seed ?? 0);
    k.dropout_forward(io.y, io.cache ?? 0, io.x, count, this.group, this.p, lo, hi, this.index, io.step ?? 0);
  }

  backward(k: Kernels, io: LayerIO): void {
    if (!io.dx) return;
    const count = io.B * this.inSize;
    if (!io.training) k.copy_bytes(io.dx, io.dy, count * 4);
    else k.dropout_backward(io.dx, io.dy, io.cache ?? 0, count, this.group);
  }

  config(): Record<string, unknown> {
    return { p: this.p };
  }
}

/** Drops single values with probability p (training mode only). */
export class Dropout extends DropoutBase {
  /** The spec schema of Dropout. */
  static readonly spec: LayerSpecType = { type: 'Dropout', fields: { p: { ...FIELD.finite, required: true } }, make: (f) => new Dropout(f.p) };
  readonly kind = 'Dropout';
  constructor(p = 0.5, options: LayerOptions = {}) {
    super('Dropout', p, options);
  }
  protected get group(): number { return 1; }
}

/** Drops whole channels of [C, H, W] maps with probability p (training mode only). */
export class Dropout2D extends DropoutBase {
  /** The spec schema of Dropout2D. */
  static readonly spec: LayerSpecType = { type: 'Dropout2D', fields: { p: { ...FIELD.finite, required: true } }, make: (f) => new Dropout2D(f.p) };
  readonly kind = 'Dropout2D';
  constructor(p = 0.5, options: LayerOptions = {}) {
    super('Dropout2D', p, options);
  }
  protected get group(): number { return sizeOf(this.inShape.slice(1)); }
  override build(inShape: number[]): number[] {
    if (inShape.length !== 3) throw new ShapeError(`${this.label} drops channels of per-sample [channels, height, width] maps, got [${inShape.join(', ')}]`);
    return super.build(inShape);
  }
}
