// fit(): callbacks (onBatchEnd, onEpochEnd), learning-rate schedules computed in wasm, early
// stopping with best-weight restore, and up-front validation of the whole dataset.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, SGD, stepDecay, exponentialDecay, cosineDecay, type Dataset } from '../src/index.js';
import { runtime, rng } from './helpers.js';

function toyData(n: number, seed: number): Dataset {
  const r = rng(seed);
  const images = r.uniform(n * 6, -1, 1);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = images[i * 6] + images[i * 6 + 1] > 0 ? 1 : 0;
  return { images, labels, count: n, shape: [6], classes: 2 };
}

const model = () => new Sequential([new Dense(6, 8), new ReLU(), new Dense(8, 2)], { seed: 4 });

describe('fit callbacks and schedules', () => {
  beforeAll(runtime);

  it('exponentialDecay sets lr0 * exp(-rate * epoch) before every batch (the paper MLP schedule)', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const seen: [number, number][] = [];
    await m.fit(toyData(64, 1), { optimizer: opt, epochs: 4, batchSize: 16, lrSchedule: exponentialDecay({ rate: 0.5 }), onBatchEnd: (e) => { seen.push([e.epoch, e.lr]); } });
    expect(seen).toHaveLength(16);
    for (const [epoch, lr] of seen) expect(Math.abs(lr - 0.1 * Math.exp(-0.5 * (epoch - 1)))).toBeLessThan(1e-16);
    m.dispose();
  });

  it('stepDecay and cosineDecay', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.2 });
    const lrs: number[] = [];
    await m.fit(toyData(40, 2), { optimizer: opt, epochs: 5, batchSize: 20, lrSchedule: stepDecay({ stepSize: 2, gamma: 0.5 }), onBatchEnd: (e) => { lrs.push(e.lr); } });
    expect(lrs.filter((_, i) => i % 2 === 0)).toEqual([0.2, 0.2, 0.1, 0.1, 0.05]);
    opt.setLearningRate(0.3);
    const cos: number[] = [];
    await m.fit(toyData(40, 2), { optimizer: opt, epochs: 3, batchSize: 10, lrSchedule: cosineDecay({ minLr: 0.01 }), onBatchEnd: (e) => { cos.push(e.lr); } });
    expect(cos[0]).toBeCloseTo(0.3, 12);
    expect(cos[cos.length - 1]).toBeCloseTo(0.01, 12);
    for (let i = 1; i < cos.length; i++) expect(cos[i]).toBeLessThanOrEqual(cos[i - 1]);
    m.dispose();
  });

  // Regression: cosineDecay() (minLr 0) reaches lr 0 at the last batch and fit threw there
  // ("SGD: lr must be a finite number in (0, Infinity], got 0"). lr 0 is a legal step.
  it('cosineDecay() with its defaults runs the whole fit; the last batch has lr 0', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const lrs: number[] = [];
    const res = await m.fit(toyData(40, 2), { optimizer: opt, epochs: 2, batchSize: 10, lrSchedule: cosineDecay(), onBatchEnd: (e) => { lrs.push(e.lr); } });
    expect(res.history).toHaveLength(2);
    expect(opt.t).toBe(8);
    expect(lrs[7]).toBe(0);
    m.dispose();
  });

  it('onBatchEnd returning false stops training after that batch', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    let calls = 0;
    const res = await m.fit(toyData(64, 3), { optimizer: opt, epochs: 3, batchSize: 8, onBatchEnd: () => ++calls < 5 });
    expect(calls).toBe(5);
    expect(opt.t).toBe(5);
    expect(res.stoppedEpoch).toBe(1);
    m.dispose();
  });

  it('early stopping waits `patience` epochs and can restore the best weights', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 1e-9 }); // loss can't improve by minDelta
    const weights: Float32Array[][] = [];
    const res = await m.fit(toyData(32, 4), {
      optimizer: opt, epochs: 20, batchSize: 8,
      earlyStopping: { monitor: 'loss', patience: 2, minDelta: 0.5, restoreBestWeights: true },
      onEpochEnd: () => { weights.push(m.getWeights()); },
    });
    expect(res.history).toHaveLength(4);
    expect(res.stoppedEpoch).toBe(4);
    expect(res.bestEpoch).toBe(1);
    expect(m.getWeights()).toEqual(weights[0]);
    m.dispose();
  });

  it('early stopping on validation accuracy needs validation data', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    await expect(m.fit(toyData(16, 5), { optimizer: opt, earlyStopping: { monitor: 'valAccuracy' } })).rejects.toThrow(/needs options.validation/);
    const res = await m.fit(toyData(64, 5), { optimizer: opt, epochs: 30, batchSize: 8, validation: toyData(64, 6), earlyStopping: { monitor: 'valAccuracy', patience: 3 } });
    expect(res.history.every((h) => typeof h.valAccuracy === 'number')).toBe(true);
    expect(res.bestEpoch).toBeGreaterThanOrEqual(1);
    m.dispose();
  });

  it('a bad sample anywhere is rejected before any step', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const before = m.getWeights();
    const ds = toyData(64, 7);
    ds.images[63 * 6 + 2] = NaN;
    await expect(m.fit(ds, { optimizer: opt, batchSize: 8 })).rejects.toThrow(/sample 63 has a non-finite value/);
    const ds2 = toyData(64, 7);
    ds2.labels[40] = 2;
    await expect(m.fit(ds2, { optimizer: opt, batchSize: 8 })).rejects.toThrow(/label 2 of sample 40/);
    expect(m.getWeights()).toEqual(before);
    expect(opt.t).toBe(0);
    m.dispose();
  });

  it('an AbortSignal stops training after the current batch', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const ctl = new AbortController();
    let batches = 0;
    const res = await m.fit(toyData(64, 8), { optimizer: opt, epochs: 5, batchSize: 8, signal: ctl.signal, onBatchEnd: () => { if (++batches === 3) ctl.abort(); } });
    expect(opt.t).toBe(3);
    expect(res.stoppedEpoch).toBe(1);
    m.dispose();
  });

  it('predictProba is the softmax of predict', () => {
    const m = model();
    const x = toyData(700, 9).images;
    const logits = m.predict(x, 700);
    const p = m.predictProba(x, 700);
    for (let b = 0; b < 700; b += 37) {
      const z = [logits[2 * b], logits[2 * b + 1]];
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      expect(p[2 * b]).toBeCloseTo(e[0] / (e[0] + e[1]), 6);
      expect(p[2 * b] + p[2 * b + 1]).toBeCloseTo(1, 6);
    }
    m.dispose();
  });
});
