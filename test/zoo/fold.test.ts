// foldBatchNorm(): BatchNorm after Conv2D/DepthwiseConv2D/Dense folded into it with evaluation-mode statistics; the
// folded model's outputs equal the original's (evaluation mode) to float32 rounding. Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  foldBatchNorm, resnet, Sequential, Dense, BatchNorm1D, BatchNorm2D, ReLU, Momentum, Conv2D, DepthwiseConv2D, GlobalAvgPool2D,
} from '../../src/index.js';
import { runtime, rng, closeness } from '../helpers.js';

beforeAll(async () => { await runtime(); });

describe('foldBatchNorm', () => {
  it('a trained ResNet-8: every BatchNorm folded, same outputs to float32 rounding', () => {
    const m = resnet({ depth: 8, widths: [4, 8, 8], inputShape: [3, 8, 8], classes: 5, seed: 3 });
    const opt = new Momentum(m, { lr: 0.05 });
    const r = rng(1);
    for (let i = 0; i < 5; i++) m.trainBatch(r.uniform(16 * 192), r.int(16, 5), opt); // running statistics move away from 0 / 1
    const x = r.uniform(10 * 192);
    const f = foldBatchNorm(m);
    expect(f.layers.some((l) => l.kind.startsWith('BatchNorm'))).toBe(false);
    expect(f.layers.length).toBe(m.layers.length - m.layers.filter((l) => l.kind === 'BatchNorm2D').length);
    expect(f.weightSpecs().map((s) => s.name)).toContain('layer2.0.downsample.0.bias');
    expect(closeness(f.predict(x), m.predict(x), 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    m.dispose(); f.dispose();
  });

  it('a Sequential with BatchNorm1D after Dense (and one that cannot fold: after ReLU)', () => {
    const m = new Sequential([new Dense(6, 8, { bias: false }), new BatchNorm1D(8), new ReLU(), new BatchNorm1D(8), new Dense(8, 3)], { seed: 2 });
    const opt = new Momentum(m, { lr: 0.05 });
    const r = rng(4);
    for (let i = 0; i < 5; i++) m.trainBatch(r.uniform(16 * 6), r.int(16, 3), opt);
    const f = foldBatchNorm(m);
    expect(f).toBeInstanceOf(Sequential);
    expect(f.layers.map((l) => l.kind)).toEqual(['Dense', 'ReLU', 'BatchNorm1D', 'Dense']);
    const x = r.uniform(7 * 6);
    expect(closeness(f.predict(x), m.predict(x), 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    m.dispose(); f.dispose();
  });

  it('a MobileNet-style block: BatchNorm2D after DepthwiseConv2D (multiplier 2, no bias) folds into it', () => {
    const m = new Sequential([
      new Conv2D(3, 4, 3, { padding: 1, bias: false }), new BatchNorm2D(4), new ReLU(),
      new DepthwiseConv2D(4, 3, { depthMultiplier: 2, stride: 2, padding: 1, bias: false }), new BatchNorm2D(8), new ReLU(),
      new GlobalAvgPool2D(), new Dense(8, 3),
    ], { inputShape: [3, 7, 7], seed: 5 });
    const opt = new Momentum(m, { lr: 0.05 });
    const r = rng(6);
    for (let i = 0; i < 5; i++) m.trainBatch(r.uniform(16 * 147), r.int(16, 3), opt);
    const f = foldBatchNorm(m);
    expect(f.layers.map((l) => l.kind)).toEqual(['Conv2D', 'ReLU', 'DepthwiseConv2D', 'ReLU', 'GlobalAvgPool2D', 'Dense']);
    expect(f.weightSpecs().map((s) => [s.name, s.shape])).toContainEqual(['2.bias', [8]]);
    const x = r.uniform(9 * 147);
    expect(closeness(f.predict(x), m.predict(x), 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    m.dispose(); f.dispose();
  });
});
