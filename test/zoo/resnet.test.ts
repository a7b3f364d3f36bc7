// resnet(), plainnet() and BasicBlock(): torchvision's parameter names, the CIFAR ResNet layout
// (depth 6n + 2, three stages, stride 2 into stages 2 and 3, projection or zero-pad shortcuts),
// parameter counts, PlainNet without shortcuts, and the errors. Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import { resnet, plainnet, BasicBlock, input, Model, Dense, GlobalAvgPool2D, Momentum, ArgumentError, ChannelPad } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';

beforeAll(async () => { await runtime(); });

/** Parameters of a CIFAR ResNet with projection shortcuts, counted from the paper's layout. */
function resnetParams(depth: number, inC: number, classes: number, w = [16, 32, 64], plain = false, zeroPad = false): number {
  const n = (depth - 2) / 6;
  let count = 9 * inC * w[0] + 2 * w[0];
  let c = w[0];
  w.forEach((width, s) => {
    for (let i = 0; i < n; i++) {
      count += 9 * c * width + 2 * width + 9 * width * width + 2 * width;
      if (!plain && !zeroPad && (s > 0 && i === 0)) count += c * width + 2 * width;
      c = width;
    }
  });
  return count + c * classes + classes;
}

describe('resnet / plainnet', () => {
  it('ResNet-20 for CIFAR-10: torchvision names, layout and parameter count', () => {
    const m = resnet({ depth: 20, inputShape: [3, 32, 32], classes: 10 });
    const names = m.weightSpecs().map((s) => s.name);
    expect(names.slice(0, 3)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias']);
    for (const n of ['layer1.0.conv1.weight', 'layer1.2.bn2.bias', 'layer2.0.downsample.0.weight', 'layer2.0.downsample.1.weight', 'layer3.2.conv2.weight', 'fc.weight', 'fc.bias']) expect(names).toContain(n);
    expect(names).not.toContain('layer1.0.downsample.0.weight');
    expect(m.bufferSpecs().map((s) => s.name)).toContain('layer3.0.downsample.1.running_var');
    expect(m.parameterCount).toBe(resnetParams(20, 3, 10));
    expect(m.outputShape).toEqual([10]);
    const spec = m.weightSpecs();
    expect(spec.find((s) => s.name === 'layer3.0.conv1.weight')!.shape).toEqual([64, 32, 3, 3]);
    m.dispose();
  });

  it("shortcut 'zero-pad': ResNet-20 without downsample tensors (0.27M parameters, as the paper), ChannelPad shortcuts padding both sides equally", () => {
    const m = resnet({ depth: 20, inputShape: [3, 32, 32], classes: 10, shortcut: 'zero-pad' });
    expect(m.weightSpecs().some((s) => s.name.includes('downsample'))).toBe(false);
    expect(m.parameterCount).toBe(resnetParams(20, 3, 10, [16, 32, 64], false, true));
    expect(m.parameterCount).toBe(269722); // He et al. 2016, table 6: ResNet-20 0.27M (269,722 in akamaster's count)
    const pads = m.layers.filter((l): l is ChannelPad => l instanceof ChannelPad);
    expect(pads.map((p) => [p.name, p.before, p.after, p.stride, p.inShape, p.outShape])).toEqual([
      ['layer2.0.shortcut', 8, 8, [2, 2], [16, 32, 32], [32, 16, 16]],
      ['layer3.0.shortcut', 16, 16, [2, 2], [32, 16, 16], [64, 8, 8]],
    ]);
    expect(m.outputShape).toEqual([10]);
    m.dispose();
  });

  it("shortcut 'zero-pad': odd channel growth puts the extra zero channel after; stride-only and channel-only blocks", () => {
    const x = input([5, 7, 7]);
    const h = BasicBlock(x, { inChannels: 5, outChannels: 8, stride: 2, shortcut: 'zero-pad', name: 'b1' });
    const h2 = BasicBlock(h, { inChannels: 8, outChannels: 8, stride: 2, shortcut: 'zero-pad', name: 'b2' });
    const h3 = BasicBlock(h2, { inChannels: 8, outChannels: 10, shortcut: 'zero-pad', name: 'b3' });
    expect([h.shape, h2.shape, h3.shape]).toEqual([[8, 4, 4], [8, 2, 2], [10, 2, 2]]);
    const m = new Model({ inputs: x, outputs: new Dense(10, 2).apply(new GlobalAvgPool2D().apply(h3)) });
    const pads = m.layers.filter((l): l is ChannelPad => l instanceof ChannelPad);
    expect(pads.map((p) => [p.name, p.before, p.after, p.stride])).toEqual([['b1.shortcut', 1, 2, [2, 2]], ['b2.shortcut', 0, 0, [2, 2]], ['b3.shortcut', 1, 1, [1, 1]]]);
    m.dispose();
  });

  it("trains with shortcut 'zero-pad': the loss falls on a fixed batch (ResNet-8, small widths)", () => {
    const m = resnet({ depth: 8, widths: [4, 8, 8], inputShape: [3, 8, 8], classes: 3, seed: 1, shortcut: 'zero-pad' });
    const opt = new Momentum(m, { lr: 0.05 });
    const r = rng(2);
    const x = r.uniform(16 * 3 * 64), y = r.int(16, 3);
    const first = m.trainBatch(x, y, opt);
    let last = first;
    for (let i = 0; i < 25; i++) last = m.trainBatch(x, y, opt);
    expect(last).toBeLessThan(first * 0.7);
    m.dispose();
  });

  it('PlainNet-8 has no shortcuts (no Add, no downsample) and the same convolutions', () => {
    const p = plainnet({ depth: 8, inputShape: [1, 28, 28], classes: 10 });
    expect(p.layers.some((l) => l.kind === 'Add')).toBe(false);
    expect(p.weightSpecs().some((s) => s.name.includes('downsample'))).toBe(false);
    expect(p.parameterCount).toBe(resnetParams(8, 1, 10, [16, 32, 64], true));
    p.dispose();
  });

  it('trains: the loss falls on a fixed batch (ResNet-8, small widths)', () => {
    const m = resnet({ depth: 8, widths: [4, 8, 8], inputShape: [3, 8, 8], classes: 3, seed: 1 });
    const opt = new Momentum(m, { lr: 0.05 });
    const r = rng(2);
    const x = r.uniform(16 * 3 * 64), y = r.int(16, 3);
    const first = m.trainBatch(x, y, opt);
    let last = first;
    for (let i = 0; i < 25; i++) last = m.trainBatch(x, y, opt);
    expect(last).toBeLessThan(first * 0.7);
    m.dispose();
  });

  it('BasicBlock builds a block with named layers for models of your own', () => {
    const x = input([4, 8, 8]);
    const h = BasicBlock(x, { inChannels: 4, outChannels: 8, stride: 2, name: 'blk' });
    expect(h.shape).toEqual([8, 4, 4]);
    const m = new Model({ inputs: x, outputs: new Dense(8, 2).apply(new GlobalAvgPool2D().apply(h)) });
    expect(m.weightSpecs().map((s) => s.name).filter((n) => n.startsWith('blk.'))).toEqual([
      'blk.conv1.weight', 'blk.bn1.weight', 'blk.bn1.bias', 'blk.conv2.weight', 'blk.bn2.weight', 'blk.bn2.bias',
      'blk.downsample.0.weight', 'blk.downsample.1.weight', 'blk.downsample.1.bias',
    ]);
    m.dispose();
  });

  it('bad options are refused by name', () => {
    expect(() => resnet({ depth: 10, inputShape: [3, 32, 32], classes: 10 })).toThrow(/depth must be 6n \+ 2/);
    expect(() => resnet({ depth: 8, inputShape: [784], classes: 10 })).toThrow(/inputShape must be \[channels, height, width\]/);
    expect(() => resnet({ depth: 8, inputShape: [3, 32, 32], classes: 10, shortcut: 'conv' as never })).toThrow(/shortcut must be 'projection' or 'zero-pad', got "conv"/);
    expect(() => plainnet({ depth: 8, inputShape: [3, 32, 32], classes: 10, shortcut: 'zero-pad' })).toThrow(/a PlainNet has no shortcuts/);
    expect(() => resnet({ depth: 8, widths: [16, 32, 16], inputShape: [3, 32, 32], classes: 10, shortcut: 'zero-pad' })).toThrow(/widths must not decrease/);
    expect(() => BasicBlock(input([8, 4, 4]), { inChannels: 8, outChannels: 4, shortcut: 'zero-pad' })).toThrow(ArgumentError);
    expect(() => BasicBlock(input([8, 4, 4]), { inChannels: 8, outChannels: 4, shortcut: 'zero-pad' })).toThrow(/outChannels \(4\) must be at least inChannels \(8\)/);
    expect(() => BasicBlock(input([2, 4, 4]), { inChannels: 2, outChannels: 2, shortcut: 'x' as never })).toThrow(/shortcut must be/);
  });
});
