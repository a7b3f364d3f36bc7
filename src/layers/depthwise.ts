// DepthwiseConv2D: a convolution per channel (PyTorch's nn.Conv2d with groups = in_channels), shape
// logic and validation here, the loops in assembly/depthwise.ts (direct, no im2col). The shape
// travels in the Conv2D descriptor block the model allocates. To the EC optimizers it is a 'weight'
// layer (a linear map between channel units) whose edges are per channel, not all-to-all: the EC
// structure (src/ec/structure.ts) knows only Dense and Conv2D and refuses it by name.
import type { Kernels } from '../core/wasm.js';
import { FIELD, type LayerSpecType } from './fields.js';
import { Layer, checkLayerName, biasInit, type LayerIO, type InitKind, type LayerOptions, type ECRole } from './layer.js';
import { ShapeError, checkOptions } from '../core/errors.js';
import { checkDim } from '../core/sizes.js';
import { pair, shapeStr, check3D, checkElements, convGeometry, convSettings, convSettingsText, type Pair } from './spatial.js';

/** Options of `new DepthwiseConv2D(channels, kernel, options)`. */
export interface DepthwiseConv2DOptions extends LayerOptions {
  /** Output channels per input channel (default 1): channel c gives outputs c*M .. c*M + M - 1. */
  depthMultiplier?: number;
  /** Step between windows (default 1); a number or [strideH, strideW]. */
  stride?: Pair;
  /** Zero padding (default 0): a number or [padH, padW] added on both sides, or 'same' (as Conv2D). */
  padding?: Pair | 'same';
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
  /** Spacing of the kernel taps (default 1); a number or [dilH, dilW]. */
  dilation?: Pair;
  /** Weight initializer (default 'he-uniform'). fanIn = kh·kw, fanOut = channels·M·kh·kw (PyTorch's for groups = channels). Bias 0, except with 'torch-uniform' (U(±1/√fanIn), as torch). */
  init?: InitKind;
}

/**
 * Depthwise 2-D convolution: each input channel convolved with its own M filters (M = depth
 * multiplier), input [C, H, W] -> [C·M, Ho, Wo]. Weight (C·M, 1, kh, kw) and bias (C·M) in
 * PyTorch's layout, so `nn.Conv2d(C, C*M, k, groups=C)` loads its tensors.
 */
export class DepthwiseConv2D extends Layer {
  /** The spec schema of DepthwiseConv2D. */
  static readonly spec: LayerSpecType = {
    type: 'DepthwiseConv2D',
    fields: {
      channels: FIELD.posInt, kernel: FIELD.pair(true), depthMultiplier: { ...FIELD.posInt, required: false }, stride: FIELD.pair(false),
      padding: FIELD.padding, dilation: FIELD.pair(false), bias: FIELD.bool, init: FIELD.init,
    },
    make: (f) => new DepthwiseConv2D(f.channels, f.kernel, {
      depthMultiplier: f.depthMultiplier, stride: f.stride, padding: f.padding, dilation: f.dilation, bias: f.bias, init: f.init,
    }),
  };
  readonly kind = 'DepthwiseConv2D';
  readonly ecRole: ECRole = 'weight';
  readonly channels: number;
  readonly depthMultiplier: number;
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

  constructor(channels: number, kernel: Pair, options: DepthwiseConv2DOptions = {}) {
    super();
    options = checkOptions(options, 'DepthwiseConv2D');
    this.channels = checkDim(channels, 'DepthwiseConv2D: channels');
    this.depthMultiplier = checkDim(options.depthMultiplier ?? 1, 'DepthwiseConv2D: options.depthMultiplier');
    [this.kernelH, this.kernelW] = pair(kernel, 'DepthwiseConv2D: kernel');
    ({ stride: this.stride, dilation: this.dilation, padding: this.padding, bias: this.bias, init: this.init } = convSettings(options, 'DepthwiseConv2D'));
    this.name = checkLayerName(options.name, 'DepthwiseConv2D');
  }

  /** Input channels (= channels; lets a Sequential infer a square input shape as for Conv2D). */
  get inChannels(): number { return this.channels; }
  /** Output channels: channels × depthMultiplier. */
  get outChannels(): number { return this.channels * this.depthMultiplier; }

  override describe(): string {
    return [`DepthwiseConv2D ${this.channels}->${this.outChannels} ${this.kernelH}x${this.kernelW}`, ...convSettingsText(this)].join(', ');
  }

  build(inShape: number[]): number[] {
    const [C, H, W] = check3D(this, inShape);
    if (C !== this.channels) {
      throw new ShapeError(`${this.label} expects ${this.channels} input channels, but its input has shape ${shapeStr(inShape)} (${C} channels)`);
    }
    const { pt, pb, pl, pr, Ho, Wo } = convGeometry(this, inShape, [this.kernelH, this.kernelW], this.stride, this.dilation, this.padding);
    const O = this.outChannels, kk = this.kernelH * this.kernelW;
    checkElements(this, O, 'the output channels (channels × depthMultiplier)');
    checkElements(this, O * kk, 'the weight');
    checkElements(this, C * H * W, 'the input map');
    checkElements(this, O * Ho * Wo, 'the output map');
    this.pad = { top: pt, bottom: pb, left: pl, right: pr };
    this.inShape = inShape.slice();
    this.outShape = [O, Ho, Wo];
    this.params = [{ name: 'weight', shape: [O, 1, this.kernelH, this.kernelW], init: this.init, fanIn: kk, fanOut: O * kk }];
    if (this.bias) this.params.push({ name: 'bias', shape: [O], init: biasInit(this.init), fanIn: kk, fanOut: O * kk });
    const [sh, sw] = this.stride, [dh, dw] = this.dilation;
    this.descShape = [C, H, W, O, this.kernelH, this.kernelW, sh, sw, pt, pl, dh, dw, Ho, Wo];
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

  forward(k: Kernels, io: LayerIO): void {
    k.depthwise_conv2d_forward(io.y, io.x, this.paramPtr[0], this.bias ? this.paramPtr[1] : 0, io.B, this.desc);
  }

  backward(k: Kernels, io: LayerIO): void {
    k.depthwise_conv2d_backward(io.dx, this.gradPtr[0], this.bias ? this.gradPtr[1] : 0, io.dy, io.x, this.paramPtr[0], io.B, this.desc);
  }

  config(): Record<string, unknown> {
    return {
      channels: this.channels, kernel: [this.kernelH, this.kernelW], depthMultiplier: this.depthMultiplier,
      stride: this.stride.slice(), padding: this.padding === 'same' ? 'same' : this.padding.slice(),
      dilation: this.dilation.slice(), bias: this.bias, init: this.init,
    };
  }
}
