// Dropout / Dropout2D: the conformance harness (evaluation mode: identity; shapes, round trips,
// EC role, registry), then training mode: kept fraction, inverted scaling, whole channels for
// Dropout2D, backward through the same mask, masks from (seed, step, node) replaying bit-identically,
// and a checkpoint resuming bit-identically. Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import { Dropout, Dropout2D, Sequential, Model, input, Dense, Conv2D, Flatten, ReLU, Adam, loadCheckpoint, getRuntime } from '../../src/index.js';
import { runtime, rng, put, get, free } from '../helpers.js';
import { conformance, type LayerCase } from './conformance.js';

const identity = (shape: number[], make: (o: object) => Dropout | Dropout2D): LayerCase => ({
  name: `[${shape.join(', ')}]`, make, inputs: [shape], out: shape.slice(), ref: (xs) => Float64Array.from(xs[0]), batches: [1, 3],
});

conformance('Dropout', { role: 'homogeneous', batchStatistics: true, cases: [identity([5], (o) => new Dropout(0.3, o)), identity([3, 4, 5], (o) => new Dropout(0.5, o))] });
conformance('Dropout2D', {
  role: 'homogeneous', batchStatistics: true,
  cases: [identity([3, 4, 5], (o) => new Dropout2D(0.5, o)), identity([1, 2, 2], (o) => new Dropout2D(0.1, o))],
  shapeErrors: [{ make: (o) => new Dropout2D(0.5, o), inputs: [[12]], good: [[3, 2, 2]], message: /drops channels of per-sample \[channels, height, width\] maps/ }],
});

beforeAll(async () => { await runtime(); });

/** input -> Dropout -> Flatten -> Dense head: the head's weight gradient shows which values were dropped. */
function dropoutOutput(layer: Dropout | Dropout2D, shape: number[], B: number, seed: number) {
  const x = input(shape);
  const head = new Dense(shape.reduce((a, b) => a * b, 1), 2);
  const m = new Model({ inputs: x, outputs: head.apply(new Flatten().apply(layer.apply(x))), seed });
  return m;
}

describe('Dropout in training mode', () => {
  it('keeps about 1 - p of the values, scaled by 1 / (1 - p); the same seed and step give the same mask; the next step another', () => {
    const B = 64, n = 50, p = 0.3;
    const m = dropoutOutput(new Dropout(p), [n], B, 7);
    const m2 = dropoutOutput(new Dropout(p), [n], B, 7);
    const r = rng(1);
    const xs = r.uniform(B * n, 1, 2), ys = r.int(B, 2);
    m.computeGradients(xs, ys);
    const g1 = m.getGradients()[0]; // dL/dW of the head: sum over the batch of dy * dropout(x)
    m2.computeGradients(xs, ys);
    expect(m2.getGradients()[0]).toEqual(g1);
    m.computeGradients(xs, ys); // step 1: another mask
    expect(m.getGradients()[0]).not.toEqual(g1);
    m.dispose(); m2.dispose();
  });

  it('the kernel keeps about 1 - p of the values, scaled by exactly 1 / (1 - p); backward applies the same mask', () => {
    const k = getRuntime().kernels;
    const n = 4000, p = 0.25;
    const x = put(new Float32Array(n).fill(2)), y = put(n), mask = put(n), dy = put(new Float32Array(n).fill(3)), dx = put(n);
    try {
      k.dropout_forward(y, mask, x, n, 1, p, 7, 0, 3, 5);
      const out = get(y, n), m = get(mask, n);
      const keep = Math.fround(1 / Math.fround(1 - p));
      const kept = out.filter((v) => v !== 0).length;
      expect(out.every((v, i) => v === (m[i] === 0 ? 0 : Math.fround(2 * keep)))).toBe(true);
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(0.03);
      k.dropout_backward(dx, dy, mask, n, 1);
      expect(get(dx, n).every((v, i) => v === Math.fround(3 * m[i]))).toBe(true);
      k.dropout_forward(y, mask, x, n, 1, p, 7, 0, 3, 5);
      expect(get(y, n)).toEqual(out); // same (seed, node, step): same mask
      k.dropout_forward(y, mask, x, n, 1, p, 7, 0, 3, 6);
      expect(get(y, n)).not.toEqual(out); // next step: another
    } finally {
      free(x, y, mask, dy, dx);
    }
  });

  it('Dropout2D zeroes whole channels (a conv after it sees channel j of sample b all kept or all dropped)', () => {
    const B = 16, C = 6, H = 3;
    const x = input([C, H, H]);
    const model = new Model({ inputs: x, outputs: new Dense(C * H * H, 2).apply(new Flatten().apply(new Dropout2D(0.5).apply(x))), seed: 5 });
    const r = rng(2);
    const xs = r.uniform(B * C * H * H, 1, 2);
    model.computeGradients(xs, r.int(B, 2));
    // dL/dW[o, c*9 + k] = dy[o] * y[c, k] for one sample: the 9 values of a channel share the mask
    const m1x = input([C, H, H]);
    const m1 = new Model({ inputs: m1x, outputs: new Dense(C * H * H, 2).apply(new Flatten().apply(new Dropout2D(0.5).apply(m1x))), seed: 11 });
    m1.computeGradients(r.uniform(C * H * H, 1, 2), new Int32Array([1]));
    const gw = m1.getGradients()[0].subarray(0, C * H * H);
    let kept = 0;
    for (let c = 0; c < C; c++) {
      const ch = Array.from(gw.subarray(c * H * H, (c + 1) * H * H));
      const zeros = ch.filter((v) => v === 0).length;
      expect(zeros === 0 || zeros === H * H, `channel ${c}: all kept or all dropped`).toBe(true);
      if (zeros === 0) kept++;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(C);
    model.dispose(); m1.dispose();
  });

  it('a model with Dropout resumes from a checkpoint bit-identically (the step count is in the file)', () => {
    const mk = () => new Sequential([new Conv2D(1, 4, 3), new ReLU(), new Dropout2D(0.25), new Flatten(), new Dropout(0.3), new Dense(144, 3)], { seed: 2, inputShape: [1, 8, 8] });
    const a = mk();
    const opt = new Adam(a, { lr: 0.01 });
    const r = rng(6);
    const d = [0, 1, 2].map(() => ({ x: r.uniform(8 * 64), y: r.int(8, 3) }));
    a.trainBatch(d[0].x, d[0].y, opt);
    a.trainBatch(d[1].x, d[1].y, opt);
    const file = a.toSafetensors({ optimizer: opt });
    a.trainBatch(d[2].x, d[2].y, opt);
    const { model, optimizer } = loadCheckpoint(file);
    expect(model.batchesTracked).toBe(2);
    model.trainBatch(d[2].x, d[2].y, optimizer);
    model.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
    a.dispose(); model.dispose();
  });
});
