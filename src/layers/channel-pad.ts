// ChannelPad: zero channels added before and after a [C, H, W] map, optionally subsampling it by a
// stride (x[:, :, ::sh, ::sw]): the parameter-free shortcut of the original CIFAR ResNet ("option
// A", resnet({ shortcut: 'zero-pad' })). Kernels: assembly/channel-pad.ts. To the EC optimizers it
// is a 'join': Concat([zeros, x, zeros]) along the channels (its units are the input's, moved by
// `before`, plus units that are always 0); EC on chains refuses joins by name.
import type { Kernels } from '../core/wasm.js';
import type { LayerSpecType, Field } from './fields.js';
import { FIELD } from './fields.js';
import { Layer, checkLayerName, type LayerIO, type LayerOptions, type ECRole } from './layer.js';
import { checkOptions } from '../core/errors.js';
import { checkDim, isDim } from '../core/sizes.js';
import { pair, pairStr, check3D, checkElements, type Pair } from './spatial.js';

/** Options of `new ChannelPad(before, after, options)`. */
export interface ChannelPadOptions extends LayerOptions {
  /**
   * Keep every stride-th row and column, starting with the first (default 1: all): a number or
   * [strideH, strideW]. The output map is ceil(H / strideH) x ceil(W / strideW), as PyTorch's
   * x[:, :, ::strideH, ::strideW].
   */
  stride?: Pair;
}

const COUNT: Field = { required: true, ok: (v: unknown) => isDim(v, 0), expect: 'a non-negative integer' };

/**
 * Pads the channels of a [C, H, W] map with zeros: [C, H, W] -> [before + C + after, ceil(H / sh),
 * ceil(W / sw)], output channel before + c = input channel c (subsampled by the stride), the others
 * 0. In PyTorch: `F.pad(x[:, :, ::sh, ::sw], (0, 0, 0, 0, before, after))`. No parameters.
 */
export class ChannelPad extends Layer {
  /** The spec schema of ChannelPad. */
  static readonly spec: LayerSpecType = {
    type: 'ChannelPad',
    fields: { before: COUNT, after: COUNT, stride: FIELD.pair(false) },
    make: (f) => new ChannelPad(f.before, f.after, { stride: f.stride }),
  };
  readonly kind = 'ChannelPad';
  readonly ecRole: ECRole = 'join';
  /** Zero channels before and after the input's. */
  readonly before: number;
  readonly after: number;
  readonly stride: [number, number];

  constructor(before: number, after: number, options: ChannelPadOptions = {}) {
    super();
    options = checkOptions(options, 'ChannelPad');
    this.before = checkDim(before, 'ChannelPad: before (zero channels before the input\'s)', 0);
    this.after = checkDim(after, 'ChannelPad: after (zero channels after the input\'s)', 0);
    this.stride = pair(options.stride ?? 1, 'ChannelPad: options.stride');
    this.name = checkLayerName(options.name, 'ChannelPad');
  }

  override describe(): string {
    const s = this.stride[0] !== 1 || this.stride[1] !== 1 ? `, stride ${pairStr(this.stride)}` : '';
    return `ChannelPad ${this.before}+C+${this.after}${s}`;
  }

  build(inShape: number[]): number[] {
    const [C, H, W] = check3D(this, inShape);
    const O = this.before + C + this.after;
    const Ho = Math.ceil(H / this.stride[0]), Wo = Math.ceil(W / this.stride[1]);
    checkElements(this, C * H * W, 'the input map');
    checkElements(this, O * Ho * Wo, 'the output map');
    this.inShape = inShape.slice();
    this.outShape = [O, Ho, Wo];
    return this.outShape;
  }

  forward(k: Kernels, io: LayerIO): void {
    const [C, H, W] = this.inShape;
    k.channel_pad_forward(io.y, io.x, io.B, C, H, W, this.before, this.after, this.stride[0], this.stride[1]);
  }

  backward(k: Kernels, io: LayerIO): void {
    if (!io.dx) return;
    const [C, H, W] = this.inShape;
    k.channel_pad_backward(io.dx, io.dy, io.B, C, H, W, this.before, this.after, this.stride[0], this.stride[1]);
  }

  config(): Record<string, unknown> {
    return { before: this.before, after: this.after, stride: this.stride.slice() };
  }
}
