// BatchNorm1D / BatchNorm2D: the shared conformance harness (shapes, round trips with the running
// statistics, EC role, registry; forward in evaluation mode), then training mode against a float64
// reference written here (batch statistics, running statistics with the unbiased variance,
// gradients by finite differences through a Model), train()/eval(), the guarded step putting the
// running statistics back, checkpoints, and the EC optimizers refusing it. Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  BatchNorm1D, BatchNorm2D, Model, Sequential, input, Dense, Conv2D, ReLU, Flatten, SGD, Adam, ECSGD, NonFiniteError,
  readSafetensors, loadCheckpoint,
} from '../../src/index.js';
import { runtime, rng, closeness } from '../helpers.js';
import { conformance, type LayerCase } from './conformance.js';

const EPS = 1e-5;

/** Evaluation-mode reference with the initial running statistics (mean 0, variance 1). */
const evalRef = (xs: Float64Array[], params: Float64Array[], B: number, C: number): Float64Array => {
  const x = xs[0];
  const S = x.length / (B * C);
  const [g, b] = params.length ? params : [null, null];
  return Float64Array.from(x, (v, i) => {
    const c = Math.floor(i / S) % C;
    return (v / Math.sqrt(1 + EPS)) * (g ? g[c] : 1) + (b ? b[c] : 0);
  });
};

const cases = (make: (C: number, o: object) => BatchNorm1D | BatchNorm2D, shapes: number[][]): LayerCase[] => shapes.map((shape) => ({
  name: `[${shape.join(', ')}]`,
  make: (o) => make(shape[0], o),
  inputs: [shape], out: shape.slice(),
  ref: (xs, params, B) => evalRef(xs, params, B, shape[0]),
  batches: [1, 3],
}));

conformance('BatchNorm1D', { role: 'scale-cut', batchStatistics: true, cases: cases((C, o) => new BatchNorm1D(C, o), [[1], [5], [3, 7], [13]]) });
conformance('BatchNorm2D', {
  role: 'scale-cut', batchStatistics: true,
  cases: cases((C, o) => new BatchNorm2D(C, o), [[1, 2, 2], [3, 4, 5], [7, 3, 3]]),
  shapeErrors: [{ make: (o) => new BatchNorm2D(3, o), inputs: [[4, 2, 2]], good: [[3, 2, 2]], message: /expects 3 channels/ }],
});

beforeAll(async () => { await runtime(); });

/** Training-mode BatchNorm in float64: y, batch mean and biased variance per channel. */
function trainRef(x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>, B: number, C: number, S: number) {
  const mean = new Float64Array(C), vr = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < B; n++) for (let k = 0; k < S; k++) s += x[(n * C + c) * S + k];
    mean[c] = s / (B * S);
    let q = 0;
    for (let n = 0; n < B; n++) for (let k = 0; k < S; k++) q += (x[(n * C + c) * S + k] - mean[c]) ** 2;
    vr[c] = q / (B * S);
  }
  const y = Float64Array.from({ length: x.length }, (_, i) => {
    const c = Math.floor(i / S) % C;
    return ((x[i] - mean[c]) / Math.sqrt(vr[c] + EPS)) * g[c] + b[c];
  });
  return { y, mean, vr };
}

const softmaxXent = (z: Float64Array, y: ArrayLike<number>, B: number, K: number) => {
  let loss = 0;
  for (let n = 0; n < B; n++) {
    const row = z.subarray(n * K, n * K + K);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    loss += lse - row[y[n]];
  }
  return loss / B;
};

describe('BatchNorm in training mode', () => {
  it('normalises with the batch statistics and updates the running ones (unbiased variance, momentum 0.1)', () => {
    const B = 4, C = 3, S = 6;
    const x = input([C, 2, 3]);
    const bn = new BatchNorm2D(C, { name: 'bn' });
    const m = new Model({ inputs: x, outputs: new Dense(C * S, 2).apply(new Flatten().apply(bn.apply(x))) });
    const r = rng(3);
    const w = m.getWeights();
    w[0] = r.uniform(C, 0.5, 1.5); w[1] = r.uniform(C);
    m.setWeights(w);
    const xs = r.uniform(B * C * S, -2, 3);
    m.computeGradients(xs, r.int(B, 2));
    const [rm, rv] = m.getBuffers();
    const ref = trainRef(xs, w[0], w[1], B, C, S);
    const N = B * S;
    expect(closeness(rm, Array.from(ref.mean, (v) => 0.1 * v), 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(rv, Array.from(ref.vr, (v) => 0.9 + 0.1 * v * N / (N - 1)), 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    expect(m.bufferSpecs().map((s) => s.name)).toEqual(['bn.running_mean', 'bn.running_var']);
    m.dispose();
  });

  it('gradients of a conv-BN-ReLU-head model match finite differences of the float64 training-mode reference', () => {
    const B = 3, C = 2, H = 3;
    const x = input([1, H, H]);
    const h = new ReLU().apply(new BatchNorm2D(C).apply(new Conv2D(1, C, 1, { bias: false }).apply(x)));
    const model = new Model({ inputs: x, outputs: new Dense(C * H * H, 3).apply(new Flatten().apply(h)), seed: 2 });
    const r = rng(5);
    const w0 = model.getWeights();
    w0[1] = r.uniform(C, 0.5, 1.5); w0[2] = r.uniform(C, -0.3, 0.3);
    model.setWeights(w0);
    const xs = r.uniform(B * H * H, -1, 1), ys = r.int(B, 3);
    const sizes = w0.map((t) => t.length);
    const lossOf = (p: ArrayLike<number>) => {
      const parts: number[][] = [];
      let o = 0;
      for (const n of sizes) { parts.push(Array.prototype.slice.call(p, o, o + n)); o += n; }
      const [wc, g, b, wd, bd] = parts;
      const conv = new Float64Array(B * C * H * H);
      for (let n = 0; n < B; n++) for (let c = 0; c < C; c++) for (let k = 0; k < H * H; k++) conv[(n * C + c) * H * H + k] = wc[c] * xs[n * H * H + k];
      const y = trainRef(conv, g, b, B, C, H * H).y.map((v) => Math.max(v, 0));
      const z = new Float64Array(B * 3);
      for (let n = 0; n < B; n++) for (let o2 = 0; o2 < 3; o2++) {
        let s = bd[o2];
        for (let i = 0; i < C * H * H; i++) s += wd[o2 * C * H * H + i] * y[n * C * H * H + i];
        z[n * 3 + o2] = s;
      }
      return softmaxXent(z, ys, B, 3);
    };
    const flat = Float64Array.from(w0.flatMap((t) => Array.from(t)));
    const loss = model.computeGradients(xs, ys);
    expect(closeness([loss], [lossOf(flat)], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    const grads = model.getGradients().flatMap((t) => Array.from(t));
    const h1 = 1e-4;
    const numeric = Array.from(flat, (_, i) => {
      const p = flat.slice(); p[i] += h1; const a = lossOf(p); p[i] -= 2 * h1; return (a - lossOf(p)) / (2 * h1);
    });
    expect(closeness(grads, numeric, 2e-3, 2e-5)).toBeLessThanOrEqual(1);
    model.dispose();
  });
});

describe('train() / eval() and the guarded step', () => {
  const net = () => new Sequential([new Dense(4, 6), new BatchNorm1D(6), new ReLU(), new Dense(6, 3)], { seed: 1 });

  it('predict uses the running statistics; eval() makes computeGradients leave them alone; fit trains in training mode', async () => {
    const m = net();
    const r = rng(1);
    const xs = r.uniform(8 * 4), ys = r.int(8, 3);
    const p0 = m.predict(xs);
    expect(m.predict(xs)).toEqual(p0); // no batch statistics, no update
    expect(m.training).toBe(true);
    m.eval();
    expect(m.training).toBe(false);
    m.computeGradients(xs, ys);
    expect(m.getBuffers()[0].every((v) => v === 0)).toBe(true);
    m.train().computeGradients(xs, ys);
    expect(m.getBuffers()[0].some((v) => v !== 0)).toBe(true);
    m.eval();
    await m.fit({ images: xs, labels: Uint8Array.from(ys), count: 8, shape: [4], classes: 3 }, { optimizer: new SGD(m, { lr: 0.1 }), epochs: 1, batchSize: 4 });
    expect(m.batchesTracked).toBe(3);
    m.dispose();
  });

  it('a refused step puts the running statistics and the batch count back, bit for bit', () => {
    const m = net();
    const opt = new SGD(m, { lr: 1e10, weightDecay: 1e30 }); // the update overflows float32
    const r = rng(2);
    const before = m.getBuffers();
    expect(() => m.trainBatch(r.uniform(8 * 4), r.int(8, 3), opt)).toThrow(NonFiniteError);
    m.getBuffers().forEach((b, i) => expect(b).toEqual(before[i]));
    expect(m.batchesTracked).toBe(0);
    m.dispose();
  });

  it('files hold running_mean, running_var and num_batches_tracked (I64); a checkpoint resumes bit-identically', () => {
    const a = net();
    const opt = new Adam(a, { lr: 0.01 });
    const r = rng(4);
    const d1 = { x: r.uniform(8 * 4), y: r.int(8, 3) }, d2 = { x: r.uniform(8 * 4), y: r.int(8, 3) };
    a.trainBatch(d1.x, d1.y, opt);
    const file = a.toSafetensors({ optimizer: opt });
    const t = readSafetensors(file).tensors.find((e) => e.name === '1.num_batches_tracked')!;
    expect([t.dtype, t.shape.length]).toEqual(['I64', 0]);
    expect(readSafetensors(file).tensors.map((e) => e.name)).toContain('1.running_var');
    a.trainBatch(d2.x, d2.y, opt);
    const { model, optimizer } = loadCheckpoint(file);
    expect((model as Sequential).batchesTracked).toBe(1);
    model.trainBatch(d2.x, d2.y, optimizer);
    model.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
    model.getBuffers().forEach((b, i) => expect(b).toEqual(a.getBuffers()[i]));
    const lean = Sequential.fromSafetensors(a.toSafetensors(), undefined, { training: false });
    expect(lean.predict(d1.x)).toEqual(a.predict(d1.x));
    for (const z of [a, model, lean]) z.dispose();
  });

  it('EC optimizers take a network with BatchNorm in whole-graph mode (EC-Opt on graphs)', () => {
    const m = net();
    const opt = new ECSGD(m, { lr: 0.1 });
    expect([opt.mode, opt.bnScaling]).toEqual(['graph', 'normalized']);
    m.dispose();
  });
});
