// Finite-difference gradient checks: the wasm backward kernels (and a whole Sequential model's
// computeGradients) against central differences of the float64 REFERENCE forward passes.
// For a layer f and a random upstream gradient g the scalar checked is L = sum(g * f(x)).
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { Sequential, Dense, ReLU, LeakyReLU, PReLU, type Kernels } from '../src/index.js';
import { runtime, rng, put, get, free, closeness } from './helpers.js';
import { dense_forward_ref } from './reference/dense.js';
import { relu_forward_ref, leaky_relu_forward_ref, prelu_forward_ref } from './reference/activation.js';
import { softmax_xent_ref } from './reference/loss.js';

const H = 1e-5;            // central-difference step (float64): truncation O(H²), rounding O(1e-16/H)
const RTOL = 1e-4, ATOL = 1e-6;

let k: Kernels;
const live: number[] = [];
const inp = (a: Float32Array | Int32Array) => { const p = put(a); live.push(p); return p; };
const out = (n: number) => { const p = put(n + 4); live.push(p); return p; };

beforeAll(async () => { k = (await runtime()).kernels; });
afterEach(() => free(...live.splice(0)));

/** d f / d p by central differences, one coordinate at a time. */
function numericGrad(f: (p: Float64Array) => number, p0: ArrayLike<number>, h = H): Float64Array {
  const p = Float64Array.from(p0);
  const grad = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + h; const fp = f(p);
    p[i] = v - h; const fm = f(p);
    p[i] = v;
    grad[i] = (fp - fm) / (2 * h);
  }
  return grad;
}

const dot = (g: ArrayLike<number>, y: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * y[i];
  return s;
};

/** Uniform values with |v| >= margin (away from the ReLU kink), deterministic. */
function awayFromZero(r: ReturnType<typeof rng>, n: number, lo: number, hi: number, margin = 1e-2): Float32Array {
  const x = r.uniform(n, lo, hi);
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) < margin) x[i] = x[i] < 0 ? -0.5 : 0.5;
  return x;
}

const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) =>
  expect(closeness(got, want, RTOL, ATOL), what).toBeLessThanOrEqual(1);

describe('layer gradients vs finite differences of the float64 reference', () => {
  it.each([[1, 1, 1], [3, 5, 4], [2, 7, 3], [5, 9, 6]])('Dense B=%i in=%i out=%i: dx, dW, db', (B, inF, outF) => {
    const r = rng(B * 100 + inF * 10 + outF);
    const x = r.uniform(B * inF), w = r.uniform(outF * inF), b = r.uniform(outF), g = r.uniform(B * outF);
    const px = inp(x), pw = inp(w), pg = inp(g);
    const pdx = out(B * inF), pdw = out(outF * inF), pdb = out(outF);
    const sc = out(Math.max(4, Math.ceil(Math.max(
      k.gemm_scratch_bytes(outF, inF, B), k.gemm_scratch_bytes(B, inF, outF)) / 4)));
    k.dense_backward(pdx, pdw, pdb, pg, px, pw, B, inF, outF, sc);
    const L = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) => dot(g, dense_forward_ref(xx, ww, bb, B, inF, outF));
    expectClose(get(pdx, B * inF), numericGrad((p) => L(p, w, b), x), 'dx');
    expectClose(get(pdw, outF * inF), numericGrad((p) => L(x, p, b), w), 'dW');
    expectClose(get(pdb, outF), numericGrad((p) => L(x, w, p), b), 'db');
  });

  it.each([1, 5, 8, 33])('ReLU n=%i', (n) => {
    const r = rng(n + 1000);
    const x = awayFromZero(r, n, -2, 2), g = r.uniform(n);
    const pdx = out(n);
    k.relu_backward(pdx, inp(g), inp(x), n);
    expectClose(get(pdx, n), numericGrad((p) => dot(g, relu_forward_ref(p)), x), 'dx');
  });

  for (const alpha of [0.1, 0.01, -0.2]) {
    it.each([1, 7, 13])(`LeakyReLU alpha=${alpha} n=%i`, (n) => {
      const r = rng(n + 2000);
      const x = awayFromZero(r, n, -2, 2), g = r.uniform(n);
      const pdx = out(n);
      k.leaky_relu_backward(pdx, inp(g), inp(x), n, alpha);
      const a = Math.fround(alpha);
      expectClose(get(pdx, n), numericGrad((p) => dot(g, leaky_relu_forward_ref(p, a)), x), 'dx');
    });
  }

  it.each([[3, 5, 1], [2, 7, 1], [2, 3, 4], [3, 2, 5], [1, 4, 9]])('PReLU B=%i C=%i inner=%i: dx and dslope', (B, C, inner) => {
    const n = B * C * inner;
    const r = rng(B * 97 + C * 13 + inner);
    const x = awayFromZero(r, n, -2, 2), g = r.uniform(n);
    const slope = r.uniform(C, -1, 1.5);
    slope[0] = -0.6;
    const px = inp(x), pg = inp(g), ps = inp(slope);
    const pdx = out(n), pds = out(C);
    k.prelu_backward(pdx, pds, pg, px, ps, B, C, inner);
    const L = (xx: ArrayLike<number>, ss: ArrayLike<number>) => dot(g, prelu_forward_ref(xx, ss, B, C, inner));
    expectClose(get(pdx, n), numericGrad((p) => L(p, slope), x), 'dx');
    expectClose(get(pds, C), numericGrad((p) => L(x, p), slope), 'dslope');
  });

  it.each([[1, 2], [3, 3], [4, 10], [7, 5], [2, 33]])('softmax cross-entropy B=%i K=%i: dlogits of the mean loss', (B, K) => {
    const r = rng(B * 31 + K);
    const z = r.uniform(B * K, -3, 3);
    const y = r.int(B, K);
    const pdl = out(B * K);
    const loss = k.softmax_xent_forward_backward(pdl, inp(z), inp(y), B, K);
    expect(closeness([loss], [softmax_xent_ref(z, y, B, K).loss], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    expectClose(get(pdl, B * K), numericGrad((p) => softmax_xent_ref(p, y, B, K).loss, z), 'dlogits');
  });
});

describe('whole-model gradients vs finite differences', () => {
  /** Draws until every pre-activation is at least 1e-2 away from the kink (a few tries at most). */
  function findBatch(seed: number, draw: (r: ReturnType<typeof rng>) => { ok: boolean }): number {
    for (let s = seed; s < seed + 200; s++) if (draw(rng(s)).ok) return s;
    throw new Error('no kink-free draw found');
  }

  it('Dense(7,5) -> PReLU -> Dense(5,6) -> LeakyReLU(0.1) -> Dense(6,3): every parameter', () => {
    const B = 6, alpha = 0.1;
    const model = new Sequential([new Dense(7, 5), new PReLU(), new Dense(5, 6), new LeakyReLU(alpha), new Dense(6, 3)], { seed: 3 });
    try {
      expect(model.weightSpecs().map((s) => s.name)).toEqual(['0.weight', '0.bias', '1.weight', '2.weight', '2.bias', '4.weight', '4.bias']);
      const shapes = [[5, 7], [5], [5], [6, 5], [6], [3, 6], [3]];
      const a = Math.fround(alpha);
      // float64 reference network on a flat parameter vector in getWeights() order
      const sizes = shapes.map((s) => s.reduce((p, q) => p * q, 1));
      const split = (p: ArrayLike<number>) => {
        const parts: ArrayLike<number>[] = [];
        let o = 0;
        for (const n of sizes) { parts.push(Array.prototype.slice.call(p, o, o + n)); o += n; }
        return parts;
      };
      const forward = (p: ArrayLike<number>, x: ArrayLike<number>) => {
        const [w0, b0, s1, w2, b2, w4, b4] = split(p);
        const h1 = dense_forward_ref(x, w0, b0, B, 7, 5);
        const h2 = dense_forward_ref(prelu_forward_ref(h1, s1, B, 5, 1), w2, b2, B, 5, 6);
        const z = dense_forward_ref(leaky_relu_forward_ref(h2, a), w4, b4, B, 6, 3);
        return { h1, h2, z };
      };
      let x: Float32Array = new Float32Array(0), y: Int32Array = new Int32Array(0), params: Float32Array = new Float32Array(0);
      findBatch(77, (r) => {
        x = r.uniform(B * 7, -1.5, 1.5);
        y = r.int(B, 3);
        const ws = [r.uniform(35, -0.8, 0.8), r.uniform(5, -0.3, 0.3), Float32Array.from([0.25, -0.5, 1.3, 0.05, -1.1]),
          r.uniform(30, -0.8, 0.8), r.uniform(6, -0.3, 0.3), r.uniform(18, -0.8, 0.8), r.uniform(3, -0.3, 0.3)];
        params = new Float32Array(sizes.reduce((p, q) => p + q, 0));
        let o = 0;
        for (const w of ws) { params.set(w, o); o += w.length; }
        const { h1, h2 } = forward(params, x);
        return { ok: [...h1, ...h2].every((v) => Math.abs(v) > 1e-2) };
      });
      model.setWeights(split(params).map((p) => Float32Array.from(p)));

      const loss = model.computeGradients(x, y);
      const lossOf = (p: ArrayLike<number>) => softmax_xent_ref(forward(p, x).z, y, B, 3).loss;
      expect(closeness([loss], [lossOf(params)], 1e-5, 1e-6), 'loss').toBeLessThanOrEqual(1);
      const numeric = numericGrad(lossOf, params);
      const grads = model.getGradients();
      const names = model.weightSpecs().map((s) => s.name);
      let o = 0;
      grads.forEach((gr, i) => {
        expect(gr.length).toBe(sizes[i]);
        expectClose(gr, numeric.subarray(o, o + sizes[i]), names[i]);
        o += sizes[i];
      });
      // the check has teeth: the gradients are not all ~0
      expect(grads.every((gr) => gr.some((v) => Math.abs(v) > 1e-3))).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('PReLU first (inner = 4, dx skipped) -> Dense(12,4) -> ReLU -> Dense(4,3, no bias)', () => {
    const B = 5;
    const model = new Sequential([new PReLU(), new Dense(12, 4), new ReLU(), new Dense(4, 3, { bias: false })], { inputShape: [3, 2, 2] });
    try {
      expect(model.weightSpecs().map((s) => `${s.name}[${s.shape}]`)).toEqual(['0.weight[3]', '1.weight[4,12]', '1.bias[4]', '3.weight[3,4]']);
      const sizes = [3, 48, 4, 12];
      const split = (p: ArrayLike<number>) => {
        const parts: number[][] = [];
        let o = 0;
        for (const n of sizes) { parts.push(Array.prototype.slice.call(p, o, o + n)); o += n; }
        return parts;
      };
      const forward = (p: ArrayLike<number>, x: ArrayLike<number>) => {
        const [s0, w1, b1, w3] = split(p);
        const h1 = dense_forward_ref(prelu_forward_ref(x, s0, B, 3, 4), w1, b1, B, 12, 4);
        return { h1, z: dense_forward_ref(relu_forward_ref(h1), w3, null, B, 4, 3) };
      };
      let x: Float32Array = new Float32Array(0), y: Int32Array = new Int32Array(0), params: Float32Array = new Float32Array(0);
      findBatch(500, (r) => {
        x = awayFromZero(r, B * 12, -1, 1);
        y = r.int(B, 3);
        params = Float32Array.from([-0.4, 0.3, 1.2, ...r.uniform(48, -0.6, 0.6), ...r.uniform(4, -0.2, 0.2), ...r.uniform(12, -1, 1)]);
        const { h1 } = forward(params, x);
        // ReLU must be active somewhere, or half the gradients are trivially 0
        return { ok: h1.every((v) => Math.abs(v) > 1e-2) && h1.filter((v) => v > 0).length >= B };
      });
      model.setWeights(split(params).map((p) => Float32Array.from(p)));
      const loss = model.computeGradients(x, y);
      const lossOf = (p: ArrayLike<number>) => softmax_xent_ref(forward(p, x).z, y, B, 3).loss;
      expect(closeness([loss], [lossOf(params)], 1e-5, 1e-6), 'loss').toBeLessThanOrEqual(1);
      const numeric = numericGrad(lossOf, params);
      let o = 0;
      model.getGradients().forEach((gr, i) => {
        expectClose(gr, numeric.subarray(o, o + sizes[i]), `param ${i}`);
        o += sizes[i];
      });
    } finally {
      model.dispose();
    }
  });
});
