// resnet(), plainnet() and BasicBlock(): torchvision's parameter names, the CIFAR ResNet layout
// (depth 6n + 2, three stages, stride 2 into stages 2 and 3, projection shortcuts), parameter counts,
// PlainNet without shortcuts, and the errors. Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import { resnet, plainnet, BasicBlock, input, Model, Dense, GlobalAvgPool2D, Momentum, ArgumentError } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';

beforeAll(async () => { await runtime(); });

/** Parameters of a CIFAR ResNet with projection shortcuts, counted from the paper's layout. */
function resnetParams(depth: number, inC: number, classes: number, w = [16, 32, 64], plain = false): number {
  const n = (depth - 2) / 6;
  let count = 9 * inC * w[0] + 2 * w[0];
  let c = w[0];
  w.forEach((width, s) => {
    for (let i = 0; i < n; i++) {
      count += 9 * c * width + 2 * width + 9 * width * width + 2 * width;
      if (!plain && (s > 0 && i === 0)) count += c * width + 2 * width;
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
    expect(() => resnet({ depth: 8, inputShape: [3, 32, 32], classes: 10, shortcut: 'zero-pad' as never })).toThrow(ArgumentError);
    expect(() => BasicBlock(input([2, 4, 4]), { inChannels: 2, outChannels: 2, shortcut: 'x' as never })).toThrow(/shortcut must be/);
  });
});
