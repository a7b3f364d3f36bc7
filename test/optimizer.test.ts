// The optimizer classes of src/optim/optimizer.ts driven through Sequential.trainBatch: every step's new
// weights against a float64 reference update (test/reference/optimizer.ts) applied to the
// model's own gradients (computeGradients/getGradients), and hyperparameter validation.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, SGD, Momentum, Adam, ArgumentError,
  type Optimizer, type SGDOptions, type MomentumOptions, type AdamOptions,
} from '../src/index.js';
import { runtime, rng, closeness } from './helpers.js';
import { sgd_ref, momentum_ref, adam_ref } from './reference/optimizer.js';

const STEPS = 5;
const B = 6;
const f32 = Math.fround; // kernels take float32 hyperparameters; the reference gets the same values

beforeAll(async () => { await runtime(); });

const tinyModel = () => new Sequential([new Dense(4, 5), new ReLU(), new Dense(5, 3)], { seed: 11 });

function batch(step: number) {
  const r = rng(1000 + step);
  return { x: r.uniform(B * 4, -2, 2), y: r.int(B, 3) };
}

type RefStep = (w: Float64Array[], g: Float32Array[], state: Float64Array[][], t: number) => void;

/**
 * Runs STEPS training steps; before each, computes the gradients at the current weights and the
 * float64 reference update from them, then checks trainBatch's result against it.
 */
function drive(make: (m: Sequential) => Optimizer, stateCount: number, refStep: RefStep) {
  const model = tinyModel();
  try {
    const opt = make(model);
    const sizes = model.getWeights().map((w) => w.length);
    const state = Array.from({ length: stateCount }, () => sizes.map((n) => new Float64Array(n)));
    for (let t = 1; t <= STEPS; t++) {
      const { x, y } = batch(t);
      const w = model.getWeights();
      const lossG = model.computeGradients(x, y);
      const g = model.getGradients();
      expect(g.some((gi) => gi.some((v) => v !== 0))).toBe(true);
      const ref = w.map((wi) => Float64Array.from(wi));
      refStep(ref, g, state, t);

      const lossT = model.trainBatch(x, y, opt);
      expect(lossT, 'trainBatch sees the same loss as computeGradients').toBe(lossG);
      const after = model.getWeights();
      after.forEach((wi, i) => {
        expect(closeness(wi, ref[i], 1e-5, 1e-6), `step ${t}, tensor ${i}`).toBeLessThanOrEqual(1);
        // and the step really moved the weights (a no-op optimizer must not pass)
        expect(closeness(wi, w[i], 0, 1e-7), `step ${t}, tensor ${i} moved`).toBeGreaterThan(1);
      });
    }
    expect(opt.t).toBe(STEPS);
  } finally {
    model.dispose();
  }
}

describe('optimizers through trainBatch vs the float64 reference (5 steps)', () => {
  const sgdCases: SGDOptions[] = [{ lr: 0.1 }, { lr: 0.2, weightDecay: 0.01 }];
  it.each(sgdCases)('SGD %o', (o) => {
    drive((m) => new SGD(m, o), 0, (w, g) => w.forEach((wi, i) => sgd_ref(wi, g[i], f32(o.lr), f32(o.weightDecay ?? 0))));
  });

  const momentumCases: MomentumOptions[] = [
    { lr: 0.05 },
    { lr: 0.05, nesterov: true },
    { lr: 0.05, momentum: 0.5, weightDecay: 0.01 },
    { lr: 0.03, momentum: 0.95, nesterov: true, weightDecay: 0.02 },
    { lr: 0.05, momentum: 0 },
  ];
  it.each(momentumCases)('Momentum %o', (o) => {
    drive((m) => new Momentum(m, o), 1, (w, g, s) => w.forEach((wi, i) => momentum_ref(wi, s[0][i], g[i],
      { lr: f32(o.lr), momentum: f32(o.momentum ?? 0.9), wd: f32(o.weightDecay ?? 0), nesterov: !!o.nesterov })));
  });

  const adamCases: AdamOptions[] = [
    {},
    { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6 },
    { lr: 0.01, weightDecay: 0.05 },
    { lr: 0.01, weightDecay: 0.05, decoupled: true },
    { lr: 0.02, betas: [0, 0.9], eps: 1e-3, weightDecay: 0.1, decoupled: true },
  ];
  it.each(adamCases)('Adam %o', (o) => {
    const [b1, b2] = o.betas ?? [0.9, 0.999];
    drive((m) => new Adam(m, o), 2, (w, g, s, t) => w.forEach((wi, i) => adam_ref(wi, s[0][i], s[1][i], g[i], {
      lr: f32(o.lr ?? 0.001), beta1: f32(b1), beta2: f32(b2), eps: f32(o.eps ?? 1e-8),
      wd: f32(o.weightDecay ?? 0), decoupled: !!o.decoupled, t,
    })));
  });

  it('Adam defaults are torch.optim.Adam defaults', () => {
    const model = tinyModel();
    try {
      const opt = new Adam(model);
      expect(opt.options()).toEqual({ lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false });
    } finally {
      model.dispose();
    }
  });
});

describe('hyperparameter validation', () => {
  const bad = [0, -0.1, NaN, Infinity, -Infinity];

  /** Expects an ArgumentError whose message names the parameter. */
  function rejects(fn: () => unknown, name: RegExp) {
    let err: unknown;
    try { fn(); } catch (e) { err = e; }
    expect(err, `expected a throw naming ${name}`).toBeInstanceOf(ArgumentError);
    expect((err as Error).message).toMatch(name);
  }

  function withModel(fn: (m: Sequential) => void) {
    const m = tinyModel();
    try { fn(m); } finally { m.dispose(); }
  }

  it.each(bad)('lr = %s is rejected by SGD, Momentum, Adam and (except 0) setLearningRate', (lr) => withModel((m) => {
    rejects(() => new SGD(m, { lr }), /SGD: lr/);
    rejects(() => new Momentum(m, { lr }), /Momentum: lr/);
    rejects(() => new Adam(m, { lr }), /Adam: lr/);
    const opt = new SGD(m, { lr: 0.1 });
    // lr 0 is legal between steps (a step that changes nothing; cosineDecay() ends there): test/schedules.test.ts
    if (lr === 0) return;
    rejects(() => opt.setLearningRate(lr), /\blr\b/);
    expect(opt.lr).toBe(0.1);
  }));

  it('lr missing or not a number is rejected', () => withModel((m) => {
    rejects(() => new SGD(m, {} as SGDOptions), /SGD: lr/);
    rejects(() => new SGD(m, { lr: '0.1' as unknown as number }), /SGD: lr/);
    rejects(() => new Momentum(m, { lr: null as unknown as number }), /Momentum: lr/);
  }));

  it.each([1, 1.5, -0.1, NaN, Infinity])('Momentum momentum = %s is rejected', (momentum) => withModel((m) => {
    rejects(() => new Momentum(m, { lr: 0.1, momentum }), /Momentum: momentum/);
  }));

  it.each([[1, 0.999], [1.2, 0.999], [-0.1, 0.999], [NaN, 0.999]])('Adam betas = [%s, %s] is rejected naming betas[0]', (b1, b2) => withModel((m) => {
    rejects(() => new Adam(m, { betas: [b1, b2] }), /Adam: betas\[0\]/);
  }));

  it.each([[0.9, 1], [0.9, 1.01], [0.9, -1e-3], [0.9, NaN]])('Adam betas = [%s, %s] is rejected naming betas[1]', (b1, b2) => withModel((m) => {
    rejects(() => new Adam(m, { betas: [b1, b2] }), /Adam: betas\[1\]/);
  }));

  it('Adam betas that are not a pair are rejected', () => withModel((m) => {
    rejects(() => new Adam(m, { betas: [0.9] as unknown as [number, number] }), /Adam: betas/);
    rejects(() => new Adam(m, { betas: 0.9 as unknown as [number, number] }), /Adam: betas/);
  }));

  it.each([0, -1e-8, NaN, Infinity])('Adam eps = %s is rejected', (eps) => withModel((m) => {
    rejects(() => new Adam(m, { eps }), /Adam: eps/);
  }));

  it.each([-0.01, NaN, Infinity])('weightDecay = %s is rejected by every optimizer', (weightDecay) => withModel((m) => {
    rejects(() => new SGD(m, { lr: 0.1, weightDecay }), /SGD: weightDecay/);
    rejects(() => new Momentum(m, { lr: 0.1, weightDecay }), /Momentum: weightDecay/);
    rejects(() => new Adam(m, { weightDecay }), /Adam: weightDecay/);
  }));

  it('boundary values are accepted: momentum 0, beta 0, tiny eps and lr', () => withModel((m) => {
    expect(new Momentum(m, { lr: 1e-12, momentum: 0 }).momentum).toBe(0);
    const a = new Adam(m, { lr: 1e-12, betas: [0, 0], eps: 1e-30 });
    expect([a.beta1, a.beta2, a.eps]).toEqual([0, 0, 1e-30]);
  }));

  it('a rejected optimizer leaves no state behind in the arena', () => withModel((m) => {
    const arena = m.arena;
    const before = arena.bytesInUse;
    rejects(() => new Momentum(m, { lr: 0.1, momentum: 1 }), /Momentum: momentum/);
    rejects(() => new Adam(m, { betas: [0.9, 1] }), /Adam: betas\[1\]/);
    rejects(() => new Adam(m, { eps: 0 }), /Adam: eps/);
    // Options are validated before any state is allocated or the optimizer attached.
    expect(arena.bytesInUse).toBe(before);
  }));
});
