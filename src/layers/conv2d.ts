// Conv2D on per-sample [C, H, W] maps (NCHW batches, PyTorch's layouts): shape logic and validation
// here, the loops in assembly/conv2d.ts (im2col + GEMM). The layer owns no memory: the model that
// holds it allocates its shape descriptor in its own plan. Every integer is bounded
// (src/core/sizes.ts) and every derived size checked, so nothing the kernels compute in 32 bits can wrap.
import type { Kernels } from '../core/wasm.js';
import { FIELD, type LayerSpecType } from './fields.js';
import { Layer, checkLayerName, biasInit, type LayerIO, type InitKind, type LayerOptions, type ECRole } from './layer.js';
import { ShapeError, checkOptions } from '../core/errors.js';
import { checkDim } from '../core/sizes.js';
import { warnDeprecated } from '../core/deprecation.js';
import { pair, shapeStr, check3D, checkElements, convGeometry, convSettings, convSettingsText, type Pair } from './spatial.js';

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
  /** Weight initializer (default 'he-uniform'). fanIn = inC·kh·kw, fanOut = outC·kh·kw. Biases start at 0, except with 'torch-uniform' (PyTorch's default: weight and bias U(±1/√fanIn)). */
  init?: InitKind;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's Conv2d): input [inC, H, W] -> [outC, Ho, Wo],
 * weight (outC, inC, kh, kw), bias (outC).
 */
export class Conv2D extends Layer {
  /** The spec schema of Conv2D. */
  static readonly spec: LayerSpecType = {
    type: 'Conv2D',
    fields: {
      inChannels: FIELD.posInt, outChannels: FIELD.posInt, kernel: FIELD.pair(true), stride: FIELD.pair(false), padding: FIELD.padding,
      dilation: FIELD.pair(false), bias: FIELD.bool, init: FIELD.init,
    },
    make: (f) => new Conv2D(f.inChannels, f.outChannels, f.kernel, { stride: f.stride, padding: f.padding, dilation: f.dilation, bias: f.bias, init: f.init }),
  };
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
    ({ stride: this.stride, dilation: this.dilation, padding: this.padding, bias: this.bias, init: this.init } = convSettings(options, 'Conv2D'));
    this.name = checkLayerName(options.name, 'Conv2D');
  }

  override describe(): string {
    return [`Conv2D ${this.inChannels}->${this.outChannels} ${this.kernelH}x${this.kernelW}`, ...convSettingsText(this)].join(', ');
  }

  build(inShape: number[]): number[] {
    const [C, H, W] = check3D(this, inShape);
    if (C !== this.inChannels) {
      throw new ShapeError(`${this.label} expects ${this.inChannels} input channels, but its input has shape ${shapeStr(inShape)} (${C} channels)`);
    }
    const [sh, sw] = this.stride, [dh, dw] = this.dilation;
    const { pt, pb, pl, pr, Ho, Wo } = convGeometry(this, inShape, [this.kernelH, this.kernelW], this.stride, this.dilation, this.padding);
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
    if (this.bias) this.params.push({ name: 'bias', shape: [this.outChannels], init: biasInit(this.init), fanIn: C * kk, fanOut: this.outChannels * kk });
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

