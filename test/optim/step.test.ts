// optimizer.step() (torch-style, after computeGradients), parameter groups, clipGradNorm and the
// linearWarmup schedule. Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, SGD, Momentum, Adam, ECSGD, NonFiniteError, StateError, ArgumentError, linearWarmup, cosineDecay,
  loadCheckpoint, type Optimizer, type Model,
} from '../../src/index.js';
import { runtime, rng, closeness } from '../helpers.js';

beforeAll(async () => { await runtime(); });

const net = (seed = 1) => new Sequential([new Dense(6, 8), new ReLU(), new Dense(8, 3)], { seed });
const data = (seed: number, B = 10) => { const r = rng(seed); return { x: r.uniform(B * 6), y: r.int(B, 3) }; };

describe('optimizer.step()', () => {
  it('computeGradients + step is trainBatch, bit for bit (SGD, Momentum, Adam)', () => {
    for (const make of [(m: Model) => new SGD(m, { lr: 0.1 }), (m: Model) => new Momentum(m, { lr: 0.05 }), (m: Model) => new Adam(m, { lr: 0.01 })]) {
      const a = net(), b = net();
      const oa = make(a), ob = make(b);
      for (let s = 0; s < 3; s++) {
        const { x, y } = data(s);
        a.trainBatch(x, y, oa);
        b.computeGradients(x, y);
        ob.step();
      }
      expect(ob.t).toBe(3);
      b.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
      a.dispose(); b.dispose();
    }
  });

  it('refuses a non-finite gradient (weights unchanged), a disposed optimizer and an inference-only model', () => {
    const m = net();
    const opt = new SGD(m, { lr: 0.1 });
    const x = new Float32Array(6).fill(3e38);
    m.computeGradients(x, new Int32Array([0]));
    const before = m.getWeights();
    expect(() => opt.step()).toThrow(NonFiniteError);
    m.getWeights().forEach((w, i) => expect(w).toEqual(before[i]));
    expect(opt.t).toBe(0);
    opt.dispose();
    expect(() => opt.step()).toThrow(StateError);
    const lean = Sequential.fromSafetensors(m.toSafetensors(), undefined, { training: false });
    expect(() => new SGD(lean, { lr: 0.1 })).toThrow(/inference only/);
    m.dispose(); lean.dispose();
  });
});

describe('parameter groups', () => {
  it('groups with the default settings give the same bits as no groups', () => {
    const a = net(), b = net();
    const oa = new Adam(a, { lr: 0.01, weightDecay: 0.1 });
    const ob = new Adam(b, { lr: 0.01, weightDecay: 0.1, groups: [{ layers: [b.layers[2]] }, { layers: [0] }] });
    for (let s = 0; s < 3; s++) { const { x, y } = data(s); a.trainBatch(x, y, oa); b.trainBatch(x, y, ob); }
    b.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
    a.dispose(); b.dispose();
  });

  it("a group's own weight decay and lr apply to its layers only (one step: each layer as a run with those settings)", () => {
    const { x, y } = data(7);
    const run = (opts: (m: Model) => Optimizer) => { const m = net(); const o = opts(m); m.trainBatch(x, y, o); const w = m.getWeights(); m.dispose(); return w; };
    const grouped = run((m) => new SGD(m, { lr: 0.1, weightDecay: 0.5, groups: [{ layers: [m.layers[2]], lr: 0.3, weightDecay: 0 }] }));
    const base = run((m) => new SGD(m, { lr: 0.1, weightDecay: 0.5 }));
    const other = run((m) => new SGD(m, { lr: 0.3, weightDecay: 0 }));
    expect(grouped[0]).toEqual(base[0]); expect(grouped[1]).toEqual(base[1]);
    expect(grouped[2]).toEqual(other[2]); expect(grouped[3]).toEqual(other[3]);
    expect(grouped[2]).not.toEqual(base[2]);
  });

  it('paramGroups reads them back; a schedule scales every group by the same factor', () => {
    const m = net();
    const opt = new Adam(m, { lr: 0.01, weightDecay: 0.1, groups: [{ layers: [m.layers[0]], lr: 0.02, weightDecay: 0 }] });
    expect(opt.paramGroups.map((g) => [g.layers.length, g.lr, g.weightDecay])).toEqual([[1, 0.02, 0], [2, 0.01, 0.1]]);
    opt.setLearningRate(0.005);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.005]);
    expect(opt.options().groups).toEqual([{ layers: [0], lr: 0.02, weightDecay: 0 }]);
    m.dispose();
  });

  it('bad groups are refused by name; EC optimizers say groups are not supported yet', () => {
    const m = net(), other = net();
    const bad: [unknown, RegExp][] = [
      [[{ layers: [] }], /non-empty array/],
      [[{ layers: [other.layers[0]] }], /not a layer of this model/],
      [[{ layers: [0] }, { layers: [0] }], /already in groups\[0\]/],
      [[{ layers: [9] }], /9 is not a layer of this model/],
      [[{ layers: [0], momentum: 1 }], /unknown field 'momentum'/],
      [[{ layers: [0], lr: -1 }], /groups\[0\]\.lr must be/],
    ];
    for (const [groups, msg] of bad) expect(() => new SGD(m, { lr: 0.1, groups: groups as never })).toThrow(msg);
    expect(() => new ECSGD(m, { lr: 0.1, groups: [{ layers: [0] }] } as never)).toThrow(ArgumentError);
    m.dispose(); other.dispose();
  });
});

describe('clipGradNorm', () => {
  it('scales the gradients to the limit when their L2 norm exceeds it, and reports the norm', () => {
    const { x, y } = data(3);
    const m = net();
    m.computeGradients(x, y);
    const g = m.getGradients();
    const norm = Math.sqrt(g.reduce((a, t) => a + t.reduce((b, v) => b + v * v, 0), 0));
    const w0 = m.getWeights();
    const opt = new SGD(m, { lr: 0.1, clipGradNorm: norm / 4 });
    opt.step();
    expect(closeness([opt.lastGradNorm], [norm], 1e-6, 0)).toBeLessThanOrEqual(1);
    const c = (norm / 4) / (norm + 1e-6);
    m.getWeights().forEach((w, i) => {
      const want = Float32Array.from(w0[i], (v, j) => v - 0.1 * g[i][j] * c);
      expect(closeness(w, want, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
    });
    // below the limit nothing is scaled
    const m2 = net(), m3 = net();
    const o2 = new SGD(m2, { lr: 0.1, clipGradNorm: norm * 2 }), o3 = new SGD(m3, { lr: 0.1 });
    m2.trainBatch(x, y, o2); m3.trainBatch(x, y, o3);
    m2.getWeights().forEach((w, i) => expect(w).toEqual(m3.getWeights()[i]));
    expect(() => new SGD(m2, { lr: 0.1, clipGradNorm: 0 })).toThrow(/clipGradNorm must be/);
    for (const z of [m, m2, m3]) z.dispose();
  });

  it('a checkpoint keeps clipGradNorm and groups, and resumes bit-identically', () => {
    const a = net();
    const opt = new Adam(a, { lr: 0.01, clipGradNorm: 0.5, groups: [{ layers: [2], weightDecay: 0.2 }] });
    const d1 = data(1), d2 = data(2);
    a.trainBatch(d1.x, d1.y, opt);
    const file = a.toSafetensors({ optimizer: opt });
    a.trainBatch(d2.x, d2.y, opt);
    const { model, optimizer } = loadCheckpoint(file);
    expect(optimizer.clipGradNorm).toBe(0.5);
    model.trainBatch(d2.x, d2.y, optimizer);
    model.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
    a.dispose(); model.dispose();
  });
});

describe('linearWarmup', () => {
  it('rises linearly to initialLr over the first steps, then follows the wrapped schedule', () => {
    const ctx = (step: number) => ({ epoch: 0, step, stepsPerEpoch: 10, epochs: 1, initialLr: 0.1 });
    const w = linearWarmup({ steps: 4 });
    expect([0, 1, 2, 3, 4, 9].map((s) => w(ctx(s)))).toEqual([0.025, 0.05, (0.1 * 3) / 4, 0.1, 0.1, 0.1]);
    const wc = linearWarmup({ steps: 4 }, cosineDecay());
    expect(wc(ctx(9))).toBe(cosineDecay()(ctx(9)));
    expect(() => linearWarmup({ steps: 0 })).toThrow(/steps must be a positive integer/);
  });
});
