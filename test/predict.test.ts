// predict(x) / predictProba(x) without a batch size infer it from x.length / the sample size, and
// refuse a length that is not a whole number of samples with a ShapeError naming both numbers. The
// two-argument form is unchanged (its bad inputs are in the bad-input catalogue).
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, Conv2D, Flatten, ShapeError, ArgumentError } from '../src/index.js';
import { runtime, rng } from './helpers.js';

function expectThrow(fn: () => unknown, cls: new (...a: any[]) => Error, re: RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, `expected a ${cls.name}`).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(re);
}

describe('predict / predictProba infer the batch size', () => {
  beforeAll(runtime);

  it('MLP: predict(x) and predictProba(x) equal the two-argument calls, bit for bit (also across the 512-sample chunks)', () => {
    const m = new Sequential([new Dense(6, 8), new ReLU(), new Dense(8, 3)], { seed: 2 });
    for (const B of [1, 5, 700]) {
      const x = rng(B).uniform(B * 6);
      const logits = m.predict(x);
      expect(logits).toHaveLength(B * 3);
      expect(logits).toEqual(m.predict(x, B));
      expect(m.predictProba(x)).toEqual(m.predictProba(x, B));
      expect(m.predict(x, undefined)).toEqual(logits); // undefined = not given
    }
    m.dispose();
  });

  it('CNN: the sample size is the product of inputShape', () => {
    const m = new Sequential([new Conv2D(1, 2, 3), new ReLU(), new Flatten(), new Dense(2 * 4 * 4, 3)], { inputShape: [1, 6, 6], seed: 3 });
    const x = rng(9).uniform(4 * 36);
    expect(m.predict(x)).toEqual(m.predict(x, 4));
    expectThrow(() => m.predict(x.subarray(0, 100)), ShapeError,
      /^predict: x has 100 values, which is not a whole number of samples of 36 values \(inputShape \[1, 6, 6\]\); pass the batch size as the second argument or fix x's length$/);
    m.dispose();
  });

  it('a length that does not divide, an empty x, a wrong type: ShapeError naming the numbers; nothing changes', () => {
    const m = new Sequential([new Dense(4, 3)], { seed: 1 });
    const w = m.getWeights();
    expectThrow(() => m.predict(new Float32Array(7)), ShapeError, /^predict: x has 7 values, which is not a whole number of samples of 4 values \(inputShape \[4\]\)/);
    expectThrow(() => m.predictProba(new Float32Array(9)), ShapeError, /^predictProba: x has 9 values, which is not a whole number of samples of 4 values \(inputShape \[4\]\)/);
    expectThrow(() => m.predict(new Float32Array(0)), ShapeError, /^predict: x has 0 values; expected at least one sample of 4 values \(inputShape \[4\]\)/);
    expectThrow(() => m.predict(new Float64Array(8) as any), ShapeError, /^predict: x must be a Float32Array, got Float64Array\(8\)/);
    expectThrow(() => m.predict(null as any), ShapeError, /^predict: x must be a Float32Array, got null/);
    // the explicit form keeps its checks and messages
    expectThrow(() => m.predict(new Float32Array(8), 3), ShapeError, /^predict: x has 8 values, expected batch × \[4\] = 3 × 4 = 12$/);
    expectThrow(() => m.predict(new Float32Array(8), 0), ArgumentError, /^predict: batch must be a positive integer, got 0$/);
    expectThrow(() => m.predictProba(new Float32Array(8), null as any), ArgumentError, /^predictProba: batch must be a positive integer, got null$/);
    expect(m.getWeights()).toEqual(w);
    m.dispose();
  });
});
