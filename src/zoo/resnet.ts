// Residual networks for 32x32-class images, as in He et al. 2016 (CIFAR ResNet) with torchvision's
// parameter names: a 3x3 stem (conv1, bn1), three stages of basic blocks (layer1..layer3, widths
// 16/32/64 by default, stride 2 into stages 2 and 3), global average pooling and a linear head (fc).
// plainnet() is the same network without shortcuts (the paper's PlainNet). BasicBlock() builds one
// block on a symbolic tensor for models of your own. Shortcuts at stage transitions: 'projection'
// (1x1 conv + BN, torchvision) or 'zero-pad' (the original CIFAR ResNet's parameter-free option A:
// x[:, :, ::2, ::2] with zero channels added equally on both sides, as the widely used akamaster
// pytorch_resnet_cifar10 code does, so its weights port by name).
import { ArgumentError, checkOptions, describeValue } from '../core/errors.js';
import { Conv2D } from '../layers/conv2d.js';
import { ChannelPad } from '../layers/channel-pad.js';
import { BatchNorm2D } from '../layers/batchnorm.js';
import { ReLU } from '../layers/activation.js';
import { Add } from '../layers/merge.js';
import { GlobalAvgPool2D } from '../layers/pool2d.js';
import { Dense } from '../layers/dense.js';
import { Model } from '../graph/model.js';
import { input, type SymbolicTensor } from '../graph/tensor.js';

/** Options of `BasicBlock(x, options)`. */
export interface BasicBlockOptions {
  inChannels: number;
  outChannels: number;
  /** Stride of the first conv (2 halves the map; default 1). */
  stride?: number;
  /**
   * The shortcut when shapes change: 'projection' (1x1 conv + BatchNorm, as torchvision; default);
   * 'zero-pad' (parameter-free, the original CIFAR ResNet's option A: the input subsampled by the
   * stride, x[:, :, ::s, ::s], with outChannels - inChannels zero channels, half before and half
   * after the input's (the odd one after), as `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4,
   * planes // 4))` in akamaster's pytorch_resnet_cifar10; a ChannelPad layer named
   * `${name}.shortcut`; needs outChannels >= inChannels); 'none' for a PlainNet block (no shortcut
   * at all). Equal shapes always use the identity.
   */
  shortcut?: 'projection' | 'zero-pad' | 'none';
  /** Prefix of the block's layer names, e.g. 'layer2.0' (tensors 'layer2.0.conv1.weight', ...). */
  name?: string;
}

/**
 * A basic residual block on `x`: conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus the shortcut
 * (identity, or when the shape changes a 1x1 projection or the zero-pad shortcut), then ReLU.
 * Returns the block's output.
 */
export function BasicBlock(x: SymbolicTensor, options: BasicBlockOptions): SymbolicTensor {
  options = checkOptions(options, 'BasicBlock');
  const { inChannels, outChannels } = options;
  const stride = options.stride ?? 1;
  const shortcut = options.shortcut ?? 'projection';
  if (shortcut !== 'projection' && shortcut !== 'zero-pad' && shortcut !== 'none') {
    throw new ArgumentError(`BasicBlock: options.shortcut must be 'projection', 'zero-pad' or 'none', got ${typeof shortcut === 'string' ? JSON.stringify(shortcut) : describeValue(shortcut)}`);
  }
  if (shortcut === 'zero-pad' && typeof inChannels === 'number' && typeof outChannels === 'number' && outChannels < inChannels) {
    throw new ArgumentError(`BasicBlock: the 'zero-pad' shortcut adds channels, so outChannels (${outChannels}) must be at least inChannels (${inChannels}); use 'projection' to reduce channels`);
  }
  const at = (part: string) => (options.name ? { name: `${options.name}.${part}` } : {});
  let h = new Conv2D(inChannels, outChannels, 3, { stride, padding: 1, bias: false, ...at('conv1') }).apply(x);
  h = new ReLU().apply(new BatchNorm2D(outChannels, at('bn1')).apply(h));
  h = new BatchNorm2D(outChannels, at('bn2')).apply(new Conv2D(outChannels, outChannels, 3, { padding: 1, bias: false, ...at('conv2') }).apply(h));
  if (shortcut === 'none') return new ReLU().apply(h);
  let s = x;
  if ((stride !== 1 || inChannels !== outChannels) && shortcut === 'zero-pad') {
    const extra = outChannels - inChannels;
    s = new ChannelPad(extra >> 1, extra - (extra >> 1), { stride, ...at('shortcut') }).apply(x);
  } else if (stride !== 1 || inChannels !== outChannels) {
    s = new Conv2D(inChannels, outChannels, 1, { stride, bias: false, ...at('downsample.0') }).apply(x);
    s = new BatchNorm2D(outChannels, at('downsample.1')).apply(s);
  }
  return new ReLU().apply(new Add().apply([h, s]));
}

/** Options of `resnet(options)` and `plainnet(options)`. */
export interface ResNetOptions {
  /** 6n + 2: 8, 14, 20, 32, 44, 56, 110, ... (n basic blocks per stage). */
  depth: number;
  /** Channels of the three stages (default [16, 32, 64]). */
  widths?: [number, number, number];
  /** Per-sample input shape [C, H, W], e.g. [3, 32, 32] or [1, 28, 28]. */
  inputShape: number[];
  classes: number;
  /**
   * resnet(): the shortcut at stage transitions: 'projection' (1x1 conv + BN, torchvision; default)
   * or 'zero-pad' (parameter-free option A of the original CIFAR ResNet: subsample by 2 and add
   * zero channels equally on both sides; see BasicBlockOptions.shortcut).
   */
  shortcut?: 'projection' | 'zero-pad';
  /** Weight seed (default 0). */
  seed?: number;
}

function build(options: ResNetOptions, who: string, plain: boolean): Model {
  options = checkOptions(options, who);
  const { depth, inputShape, classes } = options;
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) throw new ArgumentError(`${who}: depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, ...), got ${describeValue(depth)}`);
  const widths = options.widths ?? [16, 32, 64];
  if (!Array.isArray(widths) || widths.length !== 3) throw new ArgumentError(`${who}: widths must be three channel counts, got ${describeValue(widths)}`);
  const shortcut = options.shortcut ?? 'projection';
  if (shortcut !== 'projection' && shortcut !== 'zero-pad') {
    throw new ArgumentError(`${who}: shortcut must be 'projection' or 'zero-pad', got ${typeof options.shortcut === 'string' ? JSON.stringify(options.shortcut) : describeValue(options.shortcut)}`);
  }
  if (plain && shortcut === 'zero-pad') throw new ArgumentError(`${who}: a PlainNet has no shortcuts, so shortcut 'zero-pad' does not apply (use resnet())`);
  if (shortcut === 'zero-pad' && !(widths[0] <= widths[1] && widths[1] <= widths[2])) {
    throw new ArgumentError(`${who}: the 'zero-pad' shortcut adds channels, so widths must not decrease, got ${describeValue(widths)}; use shortcut 'projection'`);
  }
  if (!Array.isArray(inputShape) || inputShape.length !== 3) throw new ArgumentError(`${who}: inputShape must be [channels, height, width], got ${describeValue(inputShape)}`);
  const n = (depth - 2) / 6;
  const x = input(inputShape);
  let h = new Conv2D(inputShape[0], widths[0], 3, { padding: 1, bias: false, name: 'conv1' }).apply(x);
  h = new ReLU().apply(new BatchNorm2D(widths[0], { name: 'bn1' }).apply(h));
  let channels = widths[0];
  widths.forEach((w, s) => {
    for (let i = 0; i < n; i++) {
      const stride = s > 0 && i === 0 ? 2 : 1;
      h = BasicBlock(h, { inChannels: channels, outChannels: w, stride, shortcut: plain ? 'none' : shortcut, name: `layer${s + 1}.${i}` });
      channels = w;
    }
  });
  const logits = new Dense(channels, classes, { name: 'fc' }).apply(new GlobalAvgPool2D().apply(h));
  return new Model({ inputs: x, outputs: logits, seed: options.seed ?? 0 });
}

/**
 * A CIFAR-style ResNet (He et al. 2016): depth 6n + 2, three stages of n basic blocks, BatchNorm,
 * global average pooling, a linear head; torchvision's parameter names (conv1, bn1,
 * layer1.0.conv1, layer2.0.downsample.0, fc, ...). `shortcut: 'zero-pad'` gives the paper's
 * parameter-free CIFAR variant (no downsample tensors; ResNet-20 then has 0.27M parameters).
 */
export function resnet(options: ResNetOptions): Model {
  return build(options, 'resnet', false);
}

/** The same network as resnet() without shortcuts (the paper's PlainNet). */
export function plainnet(options: ResNetOptions): Model {
  return build(options, 'plainnet', true);
}
