// Weight initialization (src/graph/init.ts): 'torch-uniform', PyTorch's default for nn.Linear and
// nn.Conv2d (weight and bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = in features or inC·kh·kw),
// next to the He default whose bias starts at 0; both from the seed, the same bits every time.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, Conv2D, ReLU, Flatten, ArgumentError } from '../../src/index.js';
import { runtime, hashArrays } from '../helpers.js';

beforeAll(runtime);

/** max |v| and the mean of v^2 (the variance of a zero-mean uniform draw is bound^2 / 3). */
const stats = (v: Float32Array) => ({ max: v.reduce((m, x) => Math.max(m, Math.abs(x)), 0), meanSq: v.reduce((s, x) => s + x * x, 0) / v.length });

describe("init 'torch-uniform'", () => {
  it('Dense and Conv2D: weight and bias within 1/sqrt(fanIn), spread over the whole range, variance bound^2/3', () => {
    const m = new Sequential([
      new Conv2D(3, 64, 5, { init: 'torch-uniform' }), new ReLU(), new Flatten(), new Dense(64 * 4 * 4, 300, { init: 'torch-uniform' }),
    ], { inputShape: [3, 8, 8], seed: 4 });
    const [cw, cb, dw, db] = m.getWeights();
    for (const [w, fanIn, what] of [[cw, 3 * 25, 'conv weight'], [cb, 3 * 25, 'conv bias'], [dw, 1024, 'dense weight'], [db, 1024, 'dense bias']] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const s = stats(w);
      expect(s.max, what).toBeLessThanOrEqual(bound);
      expect(s.max, `${what} reaches the ends of the range`).toBeGreaterThan(0.97 * bound);
      // mean of v^2 over n draws: bound^2/3 with a relative standard error of sqrt(4/5 / n)
      const tol = 5 * Math.sqrt(0.8 / w.length);
      expect(Math.abs(s.meanSq / (bound * bound / 3) - 1), what).toBeLessThan(tol);
    }
    m.dispose();
  });

  it("biases start at 0 with the other initializers; the same seed gives the same bits; the spec keeps the init", () => {
    const he = new Sequential([new Dense(10, 5)], { seed: 1 });
    expect(Array.from(he.getWeights()[1])).toEqual([0, 0, 0, 0, 0]);
    const a = new Sequential([new Dense(10, 5, { init: 'torch-uniform' })], { seed: 1 });
    const b = Sequential.fromSpec(a.toSpec());
    expect(a.toSpec().layers[0]).toMatchObject({ init: 'torch-uniform' });
    expect(hashArrays(b.getWeights())).toBe(hashArrays(a.getWeights()));
    expect(a.getWeights()[1].some((v) => v !== 0)).toBe(true);
    for (const x of [he, a, b]) x.dispose();
  });

  it('an unknown initializer names the accepted ones', () => {
    expect(() => new Dense(3, 2, { init: 'torch' as never })).toThrow(ArgumentError);
    expect(() => new Dense(3, 2, { init: 'torch' as never })).toThrow(/torch-uniform/);
  });
});
