// Sigmoid and Tanh (not positively homogeneous): kernels vs float64, finite-difference gradients
// through a model, and the EC optimizers' refusal naming the layer.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, Sigmoid, Tanh, SGD, ECSGD, ECAdam, PathSGD } from '../src/index.js';
import { runtime, rng, put, get, free } from './helpers.js';
import { refForward, refGradFD } from './reference/ec.js';

describe('Sigmoid and Tanh', () => {
  beforeAll(runtime);

  for (const n of [1, 3, 4, 7, 33]) {
    it(`kernels match float64 at n = ${n}, including saturation`, async () => {
      const { kernels: k } = await runtime();
      const x = rng(n).uniform(n, -30, 30);
      x[0] = 0;
      const xp = put(x), yp = put(n + 4), dyp = put(rng(n + 1).uniform(n, -1, 1)), dxp = put(n + 4);
      k.sigmoid_forward(yp, xp, n);
      const ys = get(yp, n);
      x.forEach((v, i) => expect(Math.abs(ys[i] - 1 / (1 + Math.exp(-v)))).toBeLessThan(2e-7));
      k.sigmoid_backward(dxp, dyp, yp, n);
      const dy = get(dyp, n);
      const dxs = get(dxp, n);
      ys.forEach((yv, i) => expect(Math.abs(dxs[i] - dy[i] * yv * (1 - yv))).toBeLessThan(1e-7));
      k.tanh_forward(yp, xp, n);
      const yt = get(yp, n);
      x.forEach((v, i) => expect(Math.abs(yt[i] - Math.tanh(v))).toBeLessThan(3e-7));
      k.tanh_backward(dxp, dyp, yp, n);
      const dxt = get(dxp, n);
      yt.forEach((yv, i) => expect(Math.abs(dxt[i] - dy[i] * (1 - yv * yv))).toBeLessThan(1e-7));
      free(xp, yp, dyp, dxp);
    });
  }

  it('gradients through a model match finite differences', () => {
    const m = new Sequential([new Dense(5, 4), new Tanh(), new Dense(4, 4), new Sigmoid(), new Dense(4, 3)], { seed: 2 });
    const r = rng(9);
    const x = r.uniform(6 * 5, -1, 1);
    const y = r.int(6, 3);
    m.computeGradients(x, y);
    const got = m.getGradients();
    const want = refGradFD(m, m.getWeights().map((w) => Float64Array.from(w)), x, y, 6);
    got.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - want[i][j])).toBeLessThan(2e-4 * Math.max(1, Math.abs(want[i][j])))));
    const logits = m.predict(x, 6);
    const ref = refForward(m, m.getWeights(), x, 6);
    logits.forEach((v, j) => expect(Math.abs(v - ref[j])).toBeLessThan(1e-5));
    // classic optimizers train it
    const opt = new SGD(m, { lr: 0.5 });
    const first = m.trainBatch(x, y, opt);
    let last = first;
    for (let i = 0; i < 30; i++) last = m.trainBatch(x, y, opt);
    expect(last).toBeLessThan(first);
    m.dispose();
  });

  it('EC optimizers and Path-SGD refuse a non-homogeneous layer and name it', () => {
    const m = new Sequential([new Dense(5, 4), new ReLU(), new Dense(4, 4), new Sigmoid(), new Dense(4, 3)], { seed: 2 });
    const before = m.getWeights();
    expect(() => new ECSGD(m, { lr: 0.1 })).toThrow(/layer 3 \(Sigmoid\) is not positively homogeneous/);
    expect(() => new ECAdam(m, { lr: 0.1 })).toThrow(/layer 3 \(Sigmoid\)/);
    expect(() => new PathSGD(m, { lr: 0.1 })).toThrow(/layer 3 \(Sigmoid\)/);
    expect(() => m.ecStructure()).toThrow(/Sigmoid/);
    expect(m.getWeights()).toEqual(before);
    m.dispose();
  });
});
