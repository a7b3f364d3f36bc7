// Flatten: any per-sample shape as one vector; inside a model a view of its input's buffer.
import type { Kernels } from '../core/wasm.js';
import type { LayerSpecType } from './fields.js';
import { Layer, sizeOf, checkLayerName, type LayerIO, type LayerOptions, type ECRole } from './layer.js';
import { checkOptions } from '../core/errors.js';

/** Any per-sample shape -> one vector (row-major, C then H then W): a copy into the layer's own buffer. */
export class Flatten extends Layer {
  /** The spec schema of Flatten. */
  static readonly spec: LayerSpecType = { type: 'Flatten', fields: {}, make: () => new Flatten() };
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
