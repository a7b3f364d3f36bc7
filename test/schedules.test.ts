// Learning-rate schedules run a whole fit, and a learning rate of 0 is a legal step that changes no
// weight. Regression: cosineDecay() with its defaults reaches exactly 0 at the last batch, and
// setLearningRate(0) used to be refused, so fit threw on the last batch
// ("SGD: lr must be a finite number in (0, Infinity], got 0").
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD, ArgumentError,
  stepDecay, exponentialDecay, cosineDecay, type Dataset, type Optimizer, type LRSchedule,
} from '../src/index.js';
import { runtime, rng, hashArrays } from './helpers.js';

function toyData(n: number, seed: number): Dataset {
  const r = rng(seed);
  const images = r.uniform(n * 6, -1, 1);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = images[i * 6] + images[i * 6 + 1] > 0 ? 1 : 0;
  return { images, labels, count: n, shape: [6], classes: 2 };
}

const model = () => new Sequential([new Dense(6, 8), new ReLU(), new Dense(8, 2)], { seed: 4 });

const OPTIMIZERS: [string, (m: Sequential) => Optimizer][] = [
  ['SGD', (m) => new SGD(m, { lr: 0.1 })],
  ['Momentum', (m) => new Momentum(m, { lr: 0.05 })],
  ['Adam', (m) => new Adam(m, { lr: 1e-3, weightDecay: 0.01, decoupled: true })],
  ['ECSGD', (m) => new ECSGD(m, { lr: 0.05 })],
  ['ECMomentum', (m) => new ECMomentum(m, { lr: 0.05, momentum: 0.9 })],
  ['ECAdam', (m) => new ECAdam(m, { lr: 1e-3 })],
  ['PathSGD', (m) => new PathSGD(m, { lr: 0.01 })],
];

describe('learning rate 0', () => {
  beforeAll(runtime);

  it.each(OPTIMIZERS)('%s: setLearningRate(0) is accepted and a step at lr 0 changes no weight', (_name, mk) => {
    const m = model();
    const opt = mk(m);
    const data = toyData(16, 1);
    m.trainBatch(data.images.subarray(0, 8 * 6), data.labels.subarray(0, 8), opt); // some optimizer state first
    opt.setLearningRate(0);
    expect(opt.lr).toBe(0);
    const before = hashArrays(m.getWeights());
    const loss = m.trainBatch(data.images.subarray(8 * 6), data.labels.subarray(8), opt);
    expect(Number.isFinite(loss)).toBe(true);
    expect(hashArrays(m.getWeights())).toBe(before);
    expect(opt.t).toBe(2);
    m.dispose();
  });

  it('setLearningRate(-0) stores +0; negative, NaN, Infinity and non-numbers are still refused', () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    opt.setLearningRate(-0);
    expect(Object.is(opt.lr, 0)).toBe(true);
    for (const bad of [-1e-9, -1, NaN, Infinity, -Infinity, '0.1', null]) {
      opt.setLearningRate(0.1);
      expect(() => opt.setLearningRate(bad as unknown as number)).toThrow(ArgumentError);
      expect(() => opt.setLearningRate(bad as unknown as number)).toThrow(/SGD: lr must be a finite number in \[0, Infinity\]/);
      expect(opt.lr).toBe(0.1);
    }
    m.dispose();
  });

  it('the public lr field set to 0 passes the per-step check; -0.1 does not', () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const d = toyData(8, 2);
    opt.lr = 0;
    const before = hashArrays(m.getWeights());
    m.trainBatch(d.images, d.labels, opt);
    expect(hashArrays(m.getWeights())).toBe(before);
    opt.lr = -0.1;
    expect(() => m.trainBatch(d.images, d.labels, opt)).toThrow(/SGD: lr must be a finite number in \[0, Infinity\], got -0.1/);
    m.dispose();
  });

  it('optimizer constructors still refuse lr 0', () => {
    const m = model();
    expect(() => new SGD(m, { lr: 0 })).toThrow(/SGD: lr must be a finite number in \(0, Infinity\], got 0/);
    m.dispose();
  });
});

describe('every schedule runs a whole fit', () => {
  beforeAll(runtime);

  const SCHEDULES: [string, () => LRSchedule][] = [
    ['cosineDecay()', () => cosineDecay()],
    ['cosineDecay({ per: "epoch" })', () => cosineDecay({ per: 'epoch' })],
    ['cosineDecay({ minLr: 0.001 })', () => cosineDecay({ minLr: 0.001 })],
    ['stepDecay({ stepSize: 1 })', () => stepDecay({ stepSize: 1 })],
    ['stepDecay({ stepSize: 2, gamma: 0.5 })', () => stepDecay({ stepSize: 2, gamma: 0.5 })],
    ['exponentialDecay({ rate: 0.01 })', () => exponentialDecay({ rate: 0.01 })],
    ['exponentialDecay({ rate: 0.5, per: "step" })', () => exponentialDecay({ rate: 0.5, per: 'step' })],
    ['exponentialDecay({ rate: 0 })', () => exponentialDecay({ rate: 0 })],
    ['exponentialDecay({ rate: 0.01, offset: 1 })', () => exponentialDecay({ rate: 0.01, offset: 1 })],
  ];

  for (const [sname, sched] of SCHEDULES) {
    it.each(OPTIMIZERS)(`${sname} with %s: 3 epochs of 4 batches, every step taken`, async (_name, mk) => {
      const m = model();
      const opt = mk(m);
      const lrs: number[] = [];
      const res = await m.fit(toyData(40, 3), { optimizer: opt, epochs: 3, batchSize: 10, lrSchedule: sched(), onBatchEnd: (e) => { lrs.push(e.lr); } });
      expect(res.history).toHaveLength(3);
      expect(res.stoppedEpoch).toBeUndefined();
      expect(opt.t).toBe(12);
      expect(lrs).toHaveLength(12);
      for (let i = 1; i < lrs.length; i++) expect(lrs[i]).toBeLessThanOrEqual(lrs[i - 1]);
      expect(lrs.every((lr) => lr >= 0 && Number.isFinite(lr))).toBe(true);
      expect(m.getWeights().every((w) => w.every(Number.isFinite))).toBe(true);
      m.dispose();
    });
  }

  it('exponentialDecay({ offset }) shifts the clock: offset 1 starts at lr0 exp(-rate) (the authors count epochs from 1); bad offsets are refused', () => {
    const ctx = (epoch: number, step = 0) => ({ epoch, step, stepsPerEpoch: 10, epochs: 300, initialLr: 0.1 });
    const plain = exponentialDecay({ rate: 0.01 }), shifted = exponentialDecay({ rate: 0.01, offset: 1 });
    for (const e of [0, 1, 7, 299]) expect(shifted(ctx(e))).toBe(plain(ctx(e + 1)));
    expect(Math.abs(shifted(ctx(0)) - 0.1 * Math.exp(-0.01))).toBeLessThan(1e-16);
    expect(exponentialDecay({ rate: 0.5, per: 'step', offset: 3 })(ctx(0, 2))).toBe(exponentialDecay({ rate: 0.5, per: 'step' })(ctx(4, 5)));
    for (const bad of [-1, 0.5, NaN, '1']) expect(() => exponentialDecay({ rate: 0.01, offset: bad as number })).toThrow(/exponentialDecay: offset must be a non-negative integer/);
  });

  it('cosineDecay() ends at exactly 0 (per step: the last batch; per epoch: the last epoch) and that step changes nothing', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const lrs: number[] = [];
    const hashes: string[] = [];
    await m.fit(toyData(40, 4), {
      optimizer: opt, epochs: 2, batchSize: 10, lrSchedule: cosineDecay(),
      onBatchEnd: (e) => { lrs.push(e.lr); hashes.push(hashArrays(m.getWeights())); },
    });
    expect(lrs[0]).toBe(0.1);
    expect(lrs[7]).toBe(0);
    expect(hashes[7]).toBe(hashes[6]);
    const lrsE: number[] = [];
    opt.setLearningRate(0.1);
    await m.fit(toyData(40, 4), { optimizer: opt, epochs: 3, batchSize: 20, lrSchedule: cosineDecay({ per: 'epoch' }), onBatchEnd: (e) => { lrsE.push(e.lr); } });
    expect(lrsE.slice(4)).toEqual([0, 0]);
    expect(lrsE[2]).toBeCloseTo(0.05, 12);
    m.dispose();
  });

  it('decays that underflow to 0 run to the end (exponentialDecay per step, stepDecay over many epochs)', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const lrs: number[] = [];
    // exp(-1 * t) is 0 in float64 from t = 746 on
    await m.fit(toyData(800, 5), { optimizer: opt, epochs: 1, batchSize: 1, shuffle: false, lrSchedule: exponentialDecay({ rate: 1, per: 'step' }), onBatchEnd: (e) => { lrs.push(e.lr); } });
    expect(opt.t).toBe(800);
    expect(lrs[799]).toBe(0);
    const lrs2: number[] = [];
    opt.setLearningRate(0.1); // fit's initialLr is the optimizer's lr when it starts
    // 0.1 * 0.1^k is 0 in float64 from k = 324 on
    await m.fit(toyData(2, 6), { optimizer: opt, epochs: 330, batchSize: 2, lrSchedule: stepDecay({ stepSize: 1 }), onBatchEnd: (e) => { lrs2.push(e.lr); } });
    expect(lrs2).toHaveLength(330);
    expect(lrs2[329]).toBe(0);
    m.dispose();
  });

  it('bases: ScheduleContext.epoch and .step count from 0, EpochLog.epoch and BatchEndEvent.epoch from 1', async () => {
    const m = model();
    const opt = new SGD(m, { lr: 0.1 });
    const ctx: [number, number][] = [];
    const batchEpochs: number[] = [];
    const logEpochs: number[] = [];
    const res = await m.fit(toyData(20, 7), {
      optimizer: opt, epochs: 2, batchSize: 10,
      lrSchedule: (c) => { ctx.push([c.epoch, c.step]); expect([c.stepsPerEpoch, c.epochs, c.initialLr]).toEqual([2, 2, 0.1]); return c.initialLr; },
      onBatchEnd: (e) => { batchEpochs.push(e.epoch); },
      onEpochEnd: (l) => { logEpochs.push(l.epoch); },
    });
    expect(ctx).toEqual([[0, 0], [0, 1], [1, 2], [1, 3]]);
    expect(batchEpochs).toEqual([1, 1, 2, 2]);
    expect(logEpochs).toEqual([1, 2]);
    expect(res.history.map((h) => h.epoch)).toEqual([1, 2]);
    m.dispose();
  });
});
