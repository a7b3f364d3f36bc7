// The functional graph API (input, layer.apply, Model, Add, Concat): gradients of residual and
// multi-branch graphs against central differences of a float64 reference forward written here,
// Sequential == the same chain built functionally (bit for bit), EC optimizers refusing joins,
// and the errors of bad graphs. Runs in Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  input, Model, Sequential, Dense, ReLU, Conv2D, GlobalAvgPool2D, Flatten, Add, Concat, MaxPool2D,
  SGD, Adam, ECSGD, PathSGD, ArgumentError, ShapeError, type SymbolicTensor,
} from '../../src/index.js';
import { runtime, rng, closeness } from '../helpers.js';
import { dense_forward_ref } from '../reference/dense.js';
import { relu_forward_ref } from '../reference/activation.js';
import { conv2d_forward_ref } from '../reference/conv2d.js';
import { softmax_xent_ref } from '../reference/loss.js';

beforeAll(async () => { await runtime(); });

const H = 1e-5;
type F64 = Float64Array;

/** d f / d p by central differences in float64. */
function numericGrad(f: (p: F64) => number, p0: ArrayLike<number>): F64 {
  const p = Float64Array.from(p0);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + H; const fp = f(p);
    p[i] = v - H; const fm = f(p);
    p[i] = v;
    g[i] = (fp - fm) / (2 * H);
  }
  return g;
}

const add = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);

/** Splits a flat parameter vector into the model's tensors (weightSpecs order). */
function splitter(model: Model) {
  const sizes = model.weightSpecs().map((s) => s.shape.reduce((a, b) => a * b, 1));
  return (p: ArrayLike<number>) => {
    let o = 0;
    return sizes.map((n) => { const t = Array.prototype.slice.call(p, o, o + n) as number[]; o += n; return t; });
  };
}

/** computeGradients of the model vs central differences of `refLoss` at the model's own weights. */
function checkGradients(model: Model, x: Float32Array, y: Int32Array, refLoss: (w: number[][]) => number) {
  const split = splitter(model);
  const flat = Float64Array.from(model.getWeights().flatMap((w) => Array.from(w)));
  const loss = model.computeGradients(x, y);
  expect(closeness([loss], [refLoss(split(flat))], 1e-5, 1e-6), 'loss').toBeLessThanOrEqual(1);
  const numeric = numericGrad((p) => refLoss(split(p)), flat);
  const grads = model.getGradients();
  let o = 0;
  grads.forEach((g, i) => {
    expect(closeness(g, numeric.subarray(o, o + g.length), 1e-4, 1e-6), model.weightSpecs()[i].name).toBeLessThanOrEqual(1);
    o += g.length;
  });
  expect(grads.every((g) => g.some((v) => Math.abs(v) > 1e-4)), 'gradients are not all ~0').toBe(true);
}

describe('residual graphs: gradients vs finite differences of a float64 reference', () => {
  it('two Dense branches joined by Add, then ReLU and a head', () => {
    const B = 4;
    const x = input([6]);
    const a = new Dense(6, 5).apply(x);
    const b = new Dense(6, 5, { bias: false }).apply(x);
    const h = new ReLU().apply(new Add().apply([a, b]));
    const model = new Model({ inputs: x, outputs: new Dense(5, 3).apply(h), seed: 3 });
    try {
      expect(model.weightSpecs().map((s) => `${s.name}[${s.shape}]`)).toEqual(['0.weight[5,6]', '0.bias[5]', '1.weight[5,6]', '4.weight[3,5]', '4.bias[3]']);
      const r = rng(11);
      const xs = r.uniform(B * 6), ys = r.int(B, 3);
      checkGradients(model, xs, ys, ([w0, b0, w1, w2, b2]) => {
        const s = add(dense_forward_ref(xs, w0, b0, B, 6, 5), dense_forward_ref(xs, w1, null, B, 6, 5));
        return softmax_xent_ref(dense_forward_ref(relu_forward_ref(s), w2, b2, B, 5, 3), ys, B, 3).loss;
      });
    } finally {
      model.dispose();
    }
  });

  it('a CNN with an identity shortcut (conv-relu-conv + x), global pooling and a head', () => {
    const B = 3, C = 3, S = 5;
    const x = input([2, S, S]);
    const stem = new ReLU().apply(new Conv2D(2, C, 3, { padding: 1 }).apply(x));
    const body = new Conv2D(C, C, 3, { padding: 1, bias: false }).apply(new ReLU().apply(new Conv2D(C, C, 3, { padding: 1 }).apply(stem)));
    const out = new ReLU().apply(new Add().apply([body, stem]));
    const model = new Model({ inputs: x, outputs: new Dense(C, 4).apply(new GlobalAvgPool2D().apply(out)), seed: 5 });
    try {
      const r = rng(12);
      const xs = r.uniform(B * 2 * S * S), ys = r.int(B, 4);
      const conv = (v: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, inC: number) =>
        conv2d_forward_ref(v, w, bias, B, { C: inC, H: S, W: S, O: C, KH: 3, KW: 3, sh: 1, sw: 1, pt: 1, pl: 1, dh: 1, dw: 1, Ho: S, Wo: S });
      checkGradients(model, xs, ys, ([w0, b0, w2, b2, w4, wf, bf]) => {
        const s = relu_forward_ref(conv(xs, w0, b0, 2));
        const o = relu_forward_ref(add(conv(relu_forward_ref(conv(s, w2, b2, C)), w4, null, C), s));
        const pooled = new Float64Array(B * C);
        for (let i = 0; i < B * C; i++) { let t = 0; for (let j = 0; j < S * S; j++) t += o[i * S * S + j]; pooled[i] = t / (S * S); }
        return softmax_xent_ref(dense_forward_ref(pooled, wf, bf, B, C, 4), ys, B, 4).loss;
      });
    } finally {
      model.dispose();
    }
  });

  it('Concat of two branches, one reading a tensor that also feeds a Flatten view (fan-out into a view)', () => {
    const B = 3;
    const x = input([2, 2, 2]);
    const f = new Flatten().apply(x);
    const a = new ReLU().apply(new Dense(8, 4).apply(f));
    const bb = new Dense(4, 3).apply(a);
    const cat = new Concat().apply([a, bb, a]);
    const model = new Model({ inputs: x, outputs: new Dense(11, 3).apply(cat), seed: 9 });
    try {
      const r = rng(13);
      const xs = r.uniform(B * 8), ys = r.int(B, 3);
      checkGradients(model, xs, ys, ([w1, b1, w3, b3, w5, b5]) => {
        const av = relu_forward_ref(dense_forward_ref(xs, w1, b1, B, 8, 4));
        const bv = dense_forward_ref(av, w3, b3, B, 4, 3);
        const c = new Float64Array(B * 11);
        for (let i = 0; i < B; i++) for (let j = 0; j < 11; j++) c[i * 11 + j] = j < 4 ? av[i * 4 + j] : j < 7 ? bv[i * 3 + j - 4] : av[i * 4 + j - 7];
        return softmax_xent_ref(dense_forward_ref(c, w5, b5, B, 11, 3), ys, B, 3).loss;
      });
    } finally {
      model.dispose();
    }
  });
});

describe('Model and Sequential', () => {
  const chain = (functional: boolean) => {
    const layers = [new Conv2D(1, 4, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(36, 10)];
    if (!functional) return new Sequential(layers, { inputShape: [1, 8, 8], seed: 4 });
    let t: SymbolicTensor = input([1, 8, 8]);
    const x = t;
    for (const l of layers) t = l.apply(t);
    return new Model({ inputs: x, outputs: t, seed: 4 });
  };

  it('a chain built with the functional API trains bit-identically to the same Sequential', () => {
    const r = rng(21);
    const xs = r.uniform(16 * 64, 0, 1), ys = r.int(16, 10);
    const runs = [false, true].map((functional) => {
      const m = chain(functional);
      const opt = new Adam(m, { lr: 0.01 });
      const losses = [0, 1, 2].map(() => m.trainBatch(xs, ys, opt));
      const w = m.getWeights();
      expect(m.weightSpecs()[0].name).toBe('0.weight');
      m.dispose();
      return { losses, w };
    });
    expect(runs[1].losses).toEqual(runs[0].losses);
    runs[0].w.forEach((w, i) => expect(runs[1].w[i]).toEqual(w));
  });

  it('a residual model trains with SGD and Adam (loss falls on a fixed batch)', () => {
    for (const make of [(m: Model) => new SGD(m, { lr: 0.1 }), (m: Model) => new Adam(m, { lr: 0.01 })]) {
      const x = input([8]);
      const h = new ReLU().apply(new Dense(8, 8).apply(x));
      const y = new Dense(8, 3).apply(new ReLU().apply(new Add().apply([new Dense(8, 8).apply(h), h])));
      const model = new Model({ inputs: x, outputs: y });
      const r = rng(5);
      const xs = r.uniform(32 * 8), ys = r.int(32, 3);
      const opt = make(model);
      const first = model.trainBatch(xs, ys, opt);
      let last = first;
      for (let i = 0; i < 30; i++) last = model.trainBatch(xs, ys, opt);
      expect(last).toBeLessThan(first * 0.8);
      model.dispose();
    }
  });

  it('EC-SGD and Path-SGD take a graph with a join (EC-Opt on graphs); both keep working on a functional chain', () => {
    const x = input([4]);
    const a = new Dense(4, 4).apply(x);
    const model = new Model({ inputs: x, outputs: new Dense(4, 2).apply(new Add({ name: 'join' }).apply([a, new Dense(4, 4).apply(x)])) });
    expect(new ECSGD(model, { lr: 0.1 }).mode).toBe('graph');
    expect(Number.isFinite(model.trainBatch(rng(1).uniform(4 * 8), rng(2).int(8, 2), new PathSGD(model, { lr: 0.1 })))).toBe(true);
    expect(model.ecStructure().kind).toBe('graph'); // analysed as a channel graph (EC-Opt on graphs)
    model.dispose();
    const m = chain(true);
    const opt = new ECSGD(m, { lr: 0.05 });
    const r = rng(3);
    expect(Number.isFinite(m.trainBatch(r.uniform(4 * 64), r.int(4, 10), opt))).toBe(true);
    m.dispose();
  });

  it('names: tensors are named after the layers; summary shows the inputs of each node', () => {
    const x = input([3]);
    const a = new Dense(3, 2, { name: 'layer1.0.fc' }).apply(x);
    const y = new Dense(2, 2, { name: 'head' }).apply(new Add().apply([a, new Dense(3, 2).apply(x)]));
    const model = new Model({ inputs: x, outputs: y });
    expect(model.weightSpecs().map((s) => s.name)).toEqual(['layer1.0.fc.weight', 'layer1.0.fc.bias', '1.weight', '1.bias', 'head.weight', 'head.bias']);
    expect(model.summary()).toMatch(/head: Dense 2->2 .*<- 2/);
    expect(model.summary()).toMatch(/2: Add .*<- layer1\.0\.fc, 1/);
    model.dispose();
  });
});

describe('bad graphs are refused with a message naming the problem', () => {
  it('apply checks shapes at once, and a layer is one node', () => {
    const x = input([4]);
    expect(() => new Dense(5, 2).apply(x)).toThrow(ShapeError);
    expect(() => new Dense(5, 2).apply(x)).toThrow(/^the Dense 5->2 layer expects 5 input features per sample, but its input has shape \[4\]/);
    expect(() => new Add().apply([x, input([3])])).toThrow(/same shape.*input 1 is \[3\]/);
    expect(() => new Add().apply(x)).toThrow(/sums at least 2 inputs/);
    expect(() => new Concat().apply([input([2, 3, 3]), input([2, 4, 3])])).toThrow(/agree on every dimension but axis 0/);
    expect(() => new Dense(4, 2).apply([x, x])).toThrow(/takes one input, got 2/);
    const d = new Dense(4, 2);
    d.apply(x);
    expect(() => d.apply(x)).toThrow(/already applied/);
    expect(() => new Dense(4, 2).apply({} as never)).toThrow(/input 0 is not a symbolic tensor/);
  });

  it('Model refuses foreign inputs, reused layers, duplicate names, and outputs that are not class scores', () => {
    const x = input([4]);
    const other = input([4]);
    const y = new Add().apply([new Dense(4, 3).apply(x), new Dense(4, 3).apply(other)]);
    expect(() => new Model({ inputs: x, outputs: y })).toThrow(/depend on input \[4\], which is not the model's input/);
    expect(() => new Model({ inputs: other, outputs: new Dense(4, 3).apply(x) })).toThrow(/depend on input \[4\], which is not the model's input/);
    const z = new Dense(4, 2, { name: 'd' }).apply(x);
    const twice = new Dense(2, 2, { name: 'd' }).apply(z);
    expect(() => new Model({ inputs: x, outputs: twice })).toThrow(/both named 'd'/);
    expect(() => new Model({ inputs: x, outputs: new Conv2D(1, 1, 1).apply(input([1, 2, 2])) })).toThrow(/not the model's input/);
    const ok = new Dense(2, 2).apply(new Dense(4, 2).apply(x));
    const m = new Model({ inputs: x, outputs: ok });
    expect(() => new Model({ inputs: x, outputs: ok })).toThrow(/already belongs to a model/);
    m.dispose();
    const x2 = input([1, 4, 4]);
    expect(() => new Model({ inputs: x2, outputs: new Conv2D(1, 2, 3).apply(x2) })).toThrow(/vector of class scores/);
    expect(() => new Dense(3, 2, { name: 'bad name' })).toThrow(/options.name must be/);
    expect(() => new Sequential([new Dense(3, 2, { name: 'x' })])).toThrow(/use the functional API/);
  });

  it('a failed Model leaves its layers usable for another attempt', () => {
    const x = input([4]);
    const a = new Dense(4, 3, { name: 'a' }).apply(x);
    const b = new Dense(3, 3, { name: 'a' }).apply(a);
    expect(() => new Model({ inputs: x, outputs: b })).toThrow(/both named 'a'/);
    const c = new Dense(3, 2).apply(a);
    const m = new Model({ inputs: x, outputs: c });
    expect(m.layers.length).toBe(2);
    m.dispose();
  });
});
