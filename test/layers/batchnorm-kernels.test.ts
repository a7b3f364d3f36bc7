// The BatchNorm kernels themselves (assembly/batchnorm.ts), on shapes that take each path: groups of
// four channels (the f64x2-lane chains), channels past the last multiple of 4 (scalar), per-channel
// sizes S with and without a tail of < 4 values, S = 1 (BatchNorm1D). Training and evaluation mode,
// forward and backward, against a float64 reference; then the determinism claim: a channel computed
// inside a 4-channel group gives the same bits as the same channel computed alone (the scalar
// path), forward and backward. Node and Chromium.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { runtime, rng, put, get, free, closeness } from '../helpers.js';
import { firstBitDifference } from './conformance.js';

const EPS = 1e-5, MOMENTUM = 0.1;
const SHAPES: [number, number, number][] = [[3, 8, 7], [2, 6, 9], [4, 5, 4], [5, 9, 1], [3, 4, 13], [2, 12, 8], [1, 3, 5]];

let k: Awaited<ReturnType<typeof runtime>>['kernels'];
beforeAll(async () => { k = (await runtime()).kernels; });
const live: number[] = [];
const at = (a: Float32Array | number) => { const p = put(a as Float32Array); live.push(p); return p; };
afterEach(() => free(...live.splice(0)));

/** Float64 reference: forward (training or evaluation) and backward of one batch. */
function reference(x: Float32Array, dy: Float32Array, g: Float32Array, bt: Float32Array, rm: Float32Array, rv: Float32Array, B: number, C: number, S: number, train: boolean) {
  const N = B * S, n = B * C * S;
  const idx = (b: number, c: number, s: number) => (b * C + c) * S + s;
  const y = new Float64Array(n), dx = new Float64Array(n), dg = new Float64Array(C), db = new Float64Array(C);
  const newMean = new Float64Array(C), newVar = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let mean = rm[c], vr = rv[c];
    if (train) {
      mean = 0; for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) mean += x[idx(b, c, s)]; mean /= N;
      vr = 0; for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) vr += (x[idx(b, c, s)] - mean) ** 2; vr /= N;
      newMean[c] = (1 - MOMENTUM) * rm[c] + MOMENTUM * mean;
      newVar[c] = (1 - MOMENTUM) * rv[c] + MOMENTUM * (N > 1 ? vr * N / (N - 1) : vr);
    }
    const inv = 1 / Math.sqrt(vr + EPS);
    for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
      const i = idx(b, c, s), xh = (x[i] - mean) * inv;
      y[i] = xh * g[c] + bt[c];
      db[c] += dy[i]; dg[c] += dy[i] * xh;
    }
    for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
      const i = idx(b, c, s), xh = (x[i] - mean) * inv;
      dx[i] = train ? g[c] * inv * (dy[i] - db[c] / N - xh * dg[c] / N) : g[c] * inv * dy[i];
    }
  }
  return { y, dx, dg, db, newMean, newVar };
}

/** The kernels on one batch: outputs copied out. */
function kernels(x: Float32Array, dy: Float32Array, g: Float32Array, bt: Float32Array, rm: Float32Array, rv: Float32Array, B: number, C: number, S: number, train: boolean) {
  const n = B * C * S;
  const px = at(x), pdy = at(dy), pg = at(g), pb = at(bt), prm = at(rm), prv = at(rv);
  const py = at(n), pdx = at(n), pdg = at(C), pdb = at(C), saved = train ? at(2 * C) : 0;
  if (train) k.batchnorm_forward_train(py, px, pg, pb, prm, prv, saved, B, C, S, EPS, MOMENTUM);
  else k.batchnorm_forward_eval(py, px, pg, pb, prm, prv, B, C, S, EPS);
  k.batchnorm_backward(pdx, pdg, pdb, pdy, px, pg, saved, prm, prv, B, C, S, EPS);
  return { y: get(py, n), dx: get(pdx, n), dg: get(pdg, C), db: get(pdb, C), rm: get(prm, C), rv: get(prv, C) };
}

function draw(seed: number, B: number, C: number, S: number) {
  const r = rng(seed), n = B * C * S;
  return { x: r.uniform(n, -2, 3), dy: r.uniform(n), g: r.uniform(C, 0.5, 1.5), bt: r.uniform(C), rm: r.uniform(C, -0.2, 0.2), rv: r.uniform(C, 0.5, 2) };
}

describe('BatchNorm kernels: 4-channel groups, channel and value tails', () => {
  for (const train of [true, false]) {
    for (const [B, C, S] of SHAPES) {
      it(`${train ? 'training' : 'evaluation'} B=${B} C=${C} S=${S}: forward, running statistics and backward vs float64`, () => {
        const d = draw(B * 100 + C * 10 + S, B, C, S);
        const got = kernels(d.x, d.dy, d.g, d.bt, d.rm, d.rv, B, C, S, train);
        const ref = reference(d.x, d.dy, d.g, d.bt, d.rm, d.rv, B, C, S, train);
        expect(closeness(got.y, ref.y, 1e-5, 1e-5), 'y').toBeLessThanOrEqual(1);
        expect(closeness(got.dx, ref.dx, 1e-4, 1e-5), 'dx').toBeLessThanOrEqual(1);
        expect(closeness(got.dg, ref.dg, 1e-4, 1e-5), 'dgamma').toBeLessThanOrEqual(1);
        expect(closeness(got.db, ref.db, 1e-5, 1e-5), 'dbeta').toBeLessThanOrEqual(1);
        if (train) {
          expect(closeness(got.rm, ref.newMean, 1e-5, 1e-6), 'running mean').toBeLessThanOrEqual(1);
          expect(closeness(got.rv, ref.newVar, 1e-5, 1e-6), 'running var').toBeLessThanOrEqual(1);
        } else {
          expect(got.rm, 'evaluation leaves the running mean').toEqual(d.rm);
        }
      });
    }
  }

  it('a channel inside a 4-channel group gives the bits of the same channel alone (its scalar chain), forward and backward', () => {
    for (const [B, C, S] of SHAPES) {
      for (const train of [true, false]) {
        const d = draw(7 + B + C + S, B, C, S);
        const all = kernels(d.x, d.dy, d.g, d.bt, d.rm, d.rv, B, C, S, train);
        for (let c = 0; c < C; c++) {
          const slice = (a: Float32Array) => Float32Array.from({ length: B * S }, (_, i) => a[(Math.floor(i / S) * C + c) * S + (i % S)]);
          const one = (a: Float32Array) => Float32Array.of(a[c]);
          const alone = kernels(slice(d.x), slice(d.dy), one(d.g), one(d.bt), one(d.rm), one(d.rv), B, 1, S, train);
          const what = `B=${B} C=${C} S=${S} ${train ? 'training' : 'evaluation'} channel ${c}`;
          expect(firstBitDifference(slice(all.y), alone.y), `${what}: y`).toBe(-1);
          expect(firstBitDifference(slice(all.dx), alone.dx), `${what}: dx`).toBe(-1);
          expect(firstBitDifference(one(all.dg), alone.dg), `${what}: dgamma`).toBe(-1);
          expect(firstBitDifference(one(all.db), alone.db), `${what}: dbeta`).toBe(-1);
          expect(firstBitDifference(one(all.rv), alone.rv), `${what}: running var`).toBe(-1);
        }
        free(...live.splice(0));
      }
    }
  });
});
