// Residual networks for 32x32-class images, as in He et al. 2016 (CIFAR ResNet) with torchvision's
// parameter names: a 3x3 stem (conv1, bn1), three stages of basic blocks (layer1..layer3, widths
// 16/32/64 by default, stride 2 into stages 2 and 3), global average pooling and a linear head (fc).
// plainnet() is the same network without shortcuts (the paper's PlainNet). BasicBlock() builds one
// block on a symbolic tensor for models of your own.
import { ArgumentError, checkOptions, describeValue } from '../core/errors.js';
import { Conv2D } from '../layers/conv2d.js';
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
   * 'none' for a PlainNet block (no shortcut at all). Equal shapes always use the identity.
   */
  shortcut?: 'projection' | 'none';
  /** Prefix of the block's layer names, e.g. 'layer2.0' (tensors 'layer2.0.conv1.weight', ...). */
  name?: string;
}

/**
 * A basic residual block on `x`: conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus the shortcut
 * (identity, or a 1x1 projection when the shape changes), then ReLU. Returns the block's output.
 */
export function BasicBlock(x: SymbolicTensor, options: BasicBlockOptions): SymbolicTensor {
  options = checkOptions(options, 'BasicBlock');
  const { inChannels, outChannels } = options;
  const stride = options.stride ?? 1;
  const shortcut = options.shortcut ?? 'projection';
  if (shortcut !== 'projection' && shortcut !== 'none') throw new ArgumentError(`BasicBlock: options.shortcut must be 'projection' or 'none', got ${describeValue(shortcut)}`);
  const at = (part: string) => (options.name ? { name: `${options.name}.${part}` } : {});
  let h = new Conv2D(inChannels, outChannels, 3, { stride, padding: 1, bias: false, ...at('conv1') }).apply(x);
  h = new ReLU().apply(new BatchNorm2D(outChannels, at('bn1')).apply(h));
  h = new BatchNorm2D(outChannels, at('bn2')).apply(new Conv2D(outChannels, outChannels, 3, { padding: 1, bias: false, ...at('conv2') }).apply(h));
  if (shortcut === 'none') return new ReLU().apply(h);
  let s = x;
  if (stride !== 1 || inChannels !== outChannels) {
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
  /** resnet(): the shortcut at stage transitions ('projection', default). */
  shortcut?: 'projection';
  /** Weight seed (default 0). */
  seed?: number;
}

function build(options: ResNetOptions, who: string, plain: boolean): Model {
  options = checkOptions(options, who);
  const { depth, inputShape, classes } = options;
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) throw new ArgumentError(`${who}: depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, ...), got ${describeValue(depth)}`);
  const widths = options.widths ?? [16, 32, 64];
  if (!Array.isArray(widths) || widths.length !== 3) throw new ArgumentError(`${who}: widths must be three channel counts, got ${describeValue(widths)}`);
  if (options.shortcut !== undefined && options.shortcut !== 'projection') {
    throw new ArgumentError(`${who}: shortcut must be 'projection' (the parameter-free 'zero-pad' option is not available yet), got ${describeValue(options.shortcut)}`);
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
      h = BasicBlock(h, { inChannels: channels, outChannels: w, stride, shortcut: plain ? 'none' : 'projection', name: `layer${s + 1}.${i}` });
      channels = w;
    }
  });
  const logits = new Dense(channels, classes, { name: 'fc' }).apply(new GlobalAvgPool2D().apply(h));
  return new Model({ inputs: x, outputs: logits, seed: options.seed ?? 0 });
}

/**
 * A CIFAR-style ResNet (He et al. 2016): depth 6n + 2, three stages of n basic blocks, BatchNorm,
 * global average pooling, a linear head; torchvision's parameter names (conv1, bn1,
 * layer1.0.conv1, layer2.0.downsample.0, fc, ...).
 */
export function resnet(options: ResNetOptions): Model {
  return build(options, 'resnet', false);
}

/** The same network as resnet() without shortcuts (the paper's PlainNet). */
export function plainnet(options: ResNetOptions): Model {
  return build(options, 'plainnet', true);
}
