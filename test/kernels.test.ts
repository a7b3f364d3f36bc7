// Every exported wasm kernel against the float64 references in test/reference, at sizes that hit
// every SIMD tail (n mod 4 = 0..3, rows shorter than a vector, K not a multiple of 4). Outputs
// are surrounded by guard values: a kernel must overwrite exactly its output and nothing after it.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import type { Kernels } from '../src/index.js';
import { runtime, rng, put, get, getI32, free, closeness, hashArrays, putGuarded, guardDamage, GUARD_BITS } from './helpers.js';
import { dense_forward_ref, dense_backward_ref, bias_add_rows_ref, col_sums_ref } from './reference/dense.js';
import {
  relu_forward_ref, relu_backward_ref, leaky_relu_forward_ref, leaky_relu_backward_ref,
  prelu_forward_ref, prelu_backward_ref,
} from './reference/activation.js';
import { softmax_ref, softmax_xent_ref, softmax_xent_eval_ref, argmax_rows_ref } from './reference/loss.js';
import { sgd_ref, momentum_ref, adam_ref } from './reference/optimizer.js';
import { gemmRef, type GemmKind } from './reference/gemm.js';

const SIZES = [1, 3, 4, 5, 7, 8, 13, 33, 127];
const U = 2 ** -24; // unit roundoff of float32
const EXTRA = 8;

let k: Kernels;
let heapBase = 0;
const live: number[] = [];
const track = (p: number) => (live.push(p), p);
const inp = (a: Float32Array | Int32Array) => track(put(a));
const outp = (n: number) => track(putGuarded(n, EXTRA));
/** Scratch of exactly the advertised size, guarded: a kernel must stay inside it too. */
const scratchFor = (M: number, N: number, K: number) => outp(Math.ceil(k.gemm_scratch_bytes(M, N, K) / 4));
const scratchIntact = (p: number, M: number, N: number, K: number) =>
  guardDamage(p, Math.ceil(k.gemm_scratch_bytes(M, N, K) / 4), EXTRA);

beforeAll(async () => {
  k = (await runtime()).kernels;
  heapBase = k.heap_base();
});
afterEach(() => free(...live.splice(0)));

/** Snapshot of linear memory below the heap base, where a kernel given a null pointer would write. */
function lowMemory(): string {
  return hashArrays([new Uint8Array(k.memory.buffer, 0, Math.max(64, heapBase))]);
}

/**
 * Worst ratio |got - ref| / (tol * mag + tiny): <= 1 means inside a rounding-error bound that scales
 * with the magnitude of the terms summed (mag), not of the result (which may cancel to ~0).
 */
function boundRatio(got: ArrayLike<number>, ref: ArrayLike<number>, mag: ArrayLike<number>, tol: number): number {
  expect(got.length).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - ref[i]) / (tol * mag[i] + 1e-30);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const abs = (a: ArrayLike<number>) => Float64Array.from(a, Math.abs);

describe('gemm', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [3, 5, 7], [13, 17, 9], [33, 65, 31], [64, 10, 129],
    [4, 4, 4], [5, 3, 1], [1, 33, 2], [7, 1, 13], [2, 127, 3], [8, 9, 16], [17, 8, 5],
    // across the cache blocks of the packed kernel (MC 128, NC 256, KC 256)
    [131, 9, 5], [5, 263, 3], [3, 7, 300], [129, 257, 513],
  ];
  const kinds: GemmKind[] = ['nn', 'nt', 'tn'];
  for (const kind of kinds) {
    for (const acc of [0, 1]) {
      it.each(shapes)(`gemm_${kind} accumulate=${acc}: M=%i N=%i K=%i`, (M, N, K) => {
        const r = rng(M * 1000003 + N * 1009 + K * 7 + acc + kind.charCodeAt(1));
        const a = r.uniform(M * K);
        const b = r.uniform(K * N);
        const c0 = r.uniform(M * N, -2, 2);
        const pa = inp(a), pb = inp(b);
        const pc = outp(M * N);
        if (acc) getRuntimeF32(pc, M * N).set(c0);
        const before = hashArrays([get(pa, a.length), get(pb, b.length)]);
        const sc = scratchFor(M, N, K);
        k[`gemm_${kind}`](pc, pa, pb, M, N, K, acc, sc);
        expect(scratchIntact(sc, M, N, K), 'scratch overrun').toBe(0);

        const ref = gemmRef(kind, a, b, M, N, K);
        const mag = gemmRef(kind, abs(a), abs(b), M, N, K);
        if (acc) for (let i = 0; i < M * N; i++) { ref[i] += c0[i]; mag[i] += Math.abs(c0[i]); }
        // worst-case float32 dot-product bound gamma_K ~ K*u, with headroom for any summation order
        expect(boundRatio(get(pc, M * N), ref, mag, 2 * (K + 2) * U)).toBeLessThanOrEqual(1);
        expect(guardDamage(pc, M * N, EXTRA)).toBe(0);
        expect(hashArrays([get(pa, a.length), get(pb, b.length)])).toBe(before);
      });
    }
  }

  it('is deterministic: the same call twice gives bit-identical results', () => {
    const [M, N, K] = [33, 65, 31];
    const r = rng(99);
    const pa = inp(r.uniform(M * K)), pb = inp(r.uniform(K * N));
    const hashes = (['nn', 'nt', 'tn'] as GemmKind[]).map((kind) => {
      const c1 = outp(M * N), c2 = outp(M * N);
      k[`gemm_${kind}`](c1, pa, pb, M, N, K, 0, scratchFor(M, N, K));
      k[`gemm_${kind}`](c2, pa, pb, M, N, K, 0, scratchFor(M, N, K));
      return [hashArrays([get(c1, M * N)]), hashArrays([get(c2, M * N)])];
    });
    for (const [h1, h2] of hashes) expect(h1).toBe(h2);
  });
});

function getRuntimeF32(p: number, n: number): Float32Array {
  return new Float32Array(k.memory.buffer, p, n);
}

describe('dense', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 7, 5], [13, 33, 9], [5, 127, 3], [8, 4, 8], [2, 3, 129], [7, 13, 1], [130, 37, 11]];

  it.each(shapes)('dense_forward with and without bias: B=%i in=%i out=%i', (B, inF, outF) => {
    const r = rng(B * 31 + inF * 7 + outF);
    const x = r.uniform(B * inF), w = r.uniform(outF * inF), bias = r.uniform(outF);
    const px = inp(x), pw = inp(w), pb = inp(bias);
    const sc = scratchFor(B, outF, inF);
    for (const withBias of [true, false]) {
      const py = outp(B * outF);
      const low = lowMemory();
      k.dense_forward(py, px, pw, withBias ? pb : 0, B, inF, outF, sc);
      const ref = dense_forward_ref(x, w, withBias ? bias : null, B, inF, outF);
      const mag = dense_forward_ref(abs(x), abs(w), withBias ? abs(bias) : null, B, inF, outF);
      expect(boundRatio(get(py, B * outF), ref, mag, 2 * (inF + 3) * U)).toBeLessThanOrEqual(1);
      expect(guardDamage(py, B * outF, EXTRA)).toBe(0);
      expect(lowMemory()).toBe(low);
      expect(scratchIntact(sc, B, outF, inF), 'scratch overrun').toBe(0);
    }
  });

  it.each(shapes)('dense_backward (bias / no bias / dx = 0): B=%i in=%i out=%i', (B, inF, outF) => {
    const r = rng(B * 37 + inF * 11 + outF + 5);
    const x = r.uniform(B * inF), w = r.uniform(outF * inF), dy = r.uniform(B * outF);
    const px = inp(x), pw = inp(w), pdy = inp(dy);
    const scN = Math.ceil(Math.max(k.gemm_scratch_bytes(outF, inF, B), k.gemm_scratch_bytes(B, inF, outF)) / 4);
    const sc = outp(scN);
    const ref = dense_backward_ref(dy, x, w, B, inF, outF);
    const mag = dense_backward_ref(abs(dy), abs(x), abs(w), B, inF, outF);
    for (const mode of ['full', 'no-bias', 'no-dx', 'neither'] as const) {
      const pdx = outp(B * inF), pdw = outp(outF * inF), pdb = outp(outF);
      const low = lowMemory();
      const wantDx = mode === 'full' || mode === 'no-bias';
      const wantDb = mode === 'full' || mode === 'no-dx';
      k.dense_backward(wantDx ? pdx : 0, pdw, wantDb ? pdb : 0, pdy, px, pw, B, inF, outF, sc);
      expect(boundRatio(get(pdw, outF * inF), ref.dw, mag.dw, 2 * (B + 2) * U), `${mode} dw`).toBeLessThanOrEqual(1);
      expect(guardDamage(pdw, outF * inF, EXTRA)).toBe(0);
      if (wantDb) {
        expect(boundRatio(get(pdb, outF), ref.dbias, mag.dbias, 2 * (B + 2) * U), `${mode} dbias`).toBeLessThanOrEqual(1);
        expect(guardDamage(pdb, outF, EXTRA)).toBe(0);
      } else {
        expect(guardDamage(pdb, 0, outF + EXTRA), 'dbias untouched when its pointer is 0').toBe(0);
      }
      if (wantDx) {
        expect(boundRatio(get(pdx, B * inF), ref.dx, mag.dx, 2 * (outF + 2) * U), `${mode} dx`).toBeLessThanOrEqual(1);
        expect(guardDamage(pdx, B * inF, EXTRA)).toBe(0);
      } else {
        expect(guardDamage(pdx, 0, B * inF + EXTRA), 'dx untouched when its pointer is 0').toBe(0);
      }
      // null pointers must mean "skip", never "write at address 0"
      expect(lowMemory(), `${mode}: memory below the heap base`).toBe(low);
      expect(guardDamage(sc, scN, EXTRA), 'scratch overrun').toBe(0);
    }
  });

  it.each([[1, 1], [1, 3], [3, 4], [5, 5], [2, 7], [4, 13], [3, 33], [2, 127]])('bias_add_rows R=%i C=%i (exact)', (R, C) => {
    const r = rng(R * 100 + C);
    const y = r.uniform(R * C), bias = r.uniform(C);
    const py = outp(R * C);
    getRuntimeF32(py, R * C).set(y);
    k.bias_add_rows(py, inp(bias), R, C);
    // one float32 addition per element: the correctly rounded float64 sum
    const ref = Float32Array.from(bias_add_rows_ref(y, bias, R, C));
    expect(Array.from(get(py, R * C))).toEqual(Array.from(ref));
    expect(guardDamage(py, R * C, EXTRA)).toBe(0);
  });

  it.each([[1, 1], [1, 3], [3, 4], [5, 5], [7, 7], [13, 8], [33, 13], [2, 33], [9, 127]])('col_sums R=%i C=%i', (R, C) => {
    const r = rng(R * 77 + C);
    const x = r.uniform(R * C);
    const po = outp(C);
    k.col_sums(po, inp(x), R, C);
    expect(boundRatio(get(po, C), col_sums_ref(x, R, C), col_sums_ref(abs(x), R, C), 2 * (R + 1) * U)).toBeLessThanOrEqual(1);
    expect(guardDamage(po, C, EXTRA)).toBe(0);
  });
});

/** Inputs with exact zeros (both signs) mixed in, to pin the kink convention. */
function withZeros(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i += 5) x[i] = i % 10 === 0 ? 0 : -0;
  return x;
}

describe('activations', () => {
  it.each(SIZES)('relu_forward / relu_backward n=%i (exact)', (n) => {
    const r = rng(n + 1);
    const x = withZeros(r.uniform(n)), dy = r.uniform(n);
    const px = inp(x), pdy = inp(dy);
    const py = outp(n), pdx = outp(n);
    k.relu_forward(py, px, n);
    k.relu_backward(pdx, pdy, px, n);
    expect(Array.from(get(py, n))).toEqual(Array.from(relu_forward_ref(x)));
    expect(Array.from(get(pdx, n))).toEqual(Array.from(Float32Array.from(relu_backward_ref(dy, x))));
    expect(guardDamage(py, n, EXTRA)).toBe(0);
    expect(guardDamage(pdx, n, EXTRA)).toBe(0);
  });

  it.each(SIZES)('relu_forward may run in place, n=%i', (n) => {
    const x = rng(n + 2).uniform(n);
    const p = outp(n);
    getRuntimeF32(p, n).set(x);
    k.relu_forward(p, p, n);
    expect(Array.from(get(p, n))).toEqual(Array.from(relu_forward_ref(x)));
  });

  for (const alpha of [0.01, 0.1, -0.3, 1.7]) {
    it.each(SIZES)(`leaky_relu forward/backward alpha=${alpha} n=%i (exact)`, (n) => {
      const a = Math.fround(alpha);
      const r = rng(n * 3 + 7);
      const x = withZeros(r.uniform(n, -3, 3)), dy = r.uniform(n);
      const px = inp(x), pdy = inp(dy);
      const py = outp(n), pdx = outp(n);
      k.leaky_relu_forward(py, px, n, alpha);
      k.leaky_relu_backward(pdx, pdy, px, n, alpha);
      // one float32 product per element: exact against the rounded float64 reference
      expect(Array.from(get(py, n))).toEqual(Array.from(Float32Array.from(leaky_relu_forward_ref(x, a))));
      expect(Array.from(get(pdx, n))).toEqual(Array.from(Float32Array.from(leaky_relu_backward_ref(dy, x, a))));
      expect(guardDamage(py, n, EXTRA)).toBe(0);
      expect(guardDamage(pdx, n, EXTRA)).toBe(0);
    });
  }

  const preluShapes: [number, number, number][] = [
    [1, 1, 1], [3, 7, 1], [2, 5, 1], [4, 13, 1], [2, 33, 1],
    [3, 5, 3], [2, 3, 4], [3, 2, 5], [2, 7, 9], [1, 3, 33], [2, 2, 127],
  ];
  it.each(preluShapes)('prelu forward/backward B=%i C=%i inner=%i (negative and >1 slopes)', (B, C, inner) => {
    const n = B * C * inner;
    const r = rng(B * 1000 + C * 10 + inner);
    const x = withZeros(r.uniform(n, -2, 2)), dy = r.uniform(n);
    const slope = r.uniform(C, -1.5, 1.5);
    if (C > 1) slope[C - 1] = -0.75;
    const px = inp(x), pdy = inp(dy), ps = inp(slope);
    const py = outp(n), pdx = outp(n), pds = outp(C);
    k.prelu_forward(py, px, ps, B, C, inner);
    k.prelu_backward(pdx, pds, pdy, px, ps, B, C, inner);
    expect(Array.from(get(py, n))).toEqual(Array.from(Float32Array.from(prelu_forward_ref(x, slope, B, C, inner))));
    const ref = prelu_backward_ref(dy, x, slope, B, C, inner);
    expect(Array.from(get(pdx, n))).toEqual(Array.from(Float32Array.from(ref.dx)));
    const mag = new Float64Array(C);                   // sum of |dy * x| over the x <= 0 terms
    for (let i = 0; i < n; i++) if (!(x[i] > 0)) mag[Math.floor(i / inner) % C] += Math.abs(dy[i] * x[i]);
    expect(boundRatio(get(pds, C), ref.dslope, mag, 2 * (B * inner + 2) * U)).toBeLessThanOrEqual(1);
    for (const p of [py, pdx]) expect(guardDamage(p, n, EXTRA)).toBe(0);
    expect(guardDamage(pds, C, EXTRA)).toBe(0);

    // dx = 0 (PReLU as the first layer): dslope only, and nothing written at address 0
    const pds2 = outp(C);
    const low = lowMemory();
    k.prelu_backward(0, pds2, pdy, px, ps, B, C, inner);
    expect(hashArrays([get(pds2, C)])).toBe(hashArrays([get(pds, C)]));
    expect(guardDamage(pds2, C, EXTRA)).toBe(0);
    expect(lowMemory()).toBe(low);
  });
});

describe('softmax cross-entropy', () => {
  const shapes: [number, number][] = [[1, 1], [1, 2], [3, 3], [5, 4], [8, 5], [13, 7], [4, 10], [3, 33], [2, 127]];

  it.each(shapes)('softmax_xent_forward_backward B=%i K=%i', (B, K) => {
    const r = rng(B * 131 + K);
    const z = r.uniform(B * K, -4, 4);
    const y = r.int(B, K);
    const pdl = outp(B * K);
    const loss = k.softmax_xent_forward_backward(pdl, inp(z), inp(y), B, K);
    const ref = softmax_xent_ref(z, y, B, K);
    expect(closeness([loss], [ref.loss], 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    expect(closeness(get(pdl, B * K), ref.dlogits, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
    expect(guardDamage(pdl, B * K, EXTRA)).toBe(0);
  });

  it('is numerically stable for large and widely spread logits', () => {
    const B = 5, K = 7;
    const r = rng(4242);
    const z = r.uniform(B * K, -80, 80);
    for (let i = 0; i < K; i++) z[i] = 1000 + i * 0.5;           // row 0: large offset
    for (let i = 0; i < K; i++) z[K + i] = -1000 - i * 0.25;     // row 1: large negative
    z[2 * K + 3] = 3e4;                                           // row 2: one dominant logit
    const y = Int32Array.from([2, 6, 0, 1, 4]);
    const pdl = outp(B * K);
    const loss = k.softmax_xent_forward_backward(pdl, inp(z), inp(y), B, K);
    const ref = softmax_xent_ref(z, y, B, K);
    expect(Number.isFinite(loss)).toBe(true);
    expect(closeness([loss], [ref.loss], 1e-5, 1e-4)).toBeLessThanOrEqual(1);
    expect(closeness(get(pdl, B * K), ref.dlogits, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
  });

  it.each(shapes)('softmax_xent_eval B=%i K=%i: summed loss and correct count (first maximum wins ties)', (B, K) => {
    const r = rng(B * 17 + K * 3);
    const z = r.uniform(B * K, -3, 3);
    const y = r.int(B, K);
    // make some rows right and some tied: row b gets its label as the max, every third row a tie
    for (let b = 0; b < B; b += 2) z[b * K + y[b]] = 5;
    for (let b = 0; b < B && K > 1; b += 3) {
      const other = (y[b] + 1) % K;
      z[b * K + y[b]] = 6;
      z[b * K + other] = 6;
    }
    const pc = outp(1);
    const sum = k.softmax_xent_eval(pc, inp(z), inp(y), B, K);
    const ref = softmax_xent_eval_ref(z, y, B, K);
    expect(getI32(pc, 1)[0]).toBe(ref.correct);
    expect(closeness([sum], [ref.loss], 1e-5, 1e-5 * B)).toBeLessThanOrEqual(1);
    expect(guardDamage(pc, 1, EXTRA)).toBe(0);
    // summed, not mean: B * the mean loss of forward_backward on the same batch
    const mean = k.softmax_xent_forward_backward(outp(B * K), inp(z), inp(y), B, K);
    expect(closeness([sum], [mean * B], 1e-6, 1e-6)).toBeLessThanOrEqual(1);
  });

  it.each(shapes)('softmax_forward B=%i K=%i, also in place', (B, K) => {
    const r = rng(B * 5 + K * 19);
    const z = r.uniform(B * K, -6, 6);
    const pp = outp(B * K);
    k.softmax_forward(pp, inp(z), B, K);
    const ref = softmax_ref(z, B, K);
    const got = get(pp, B * K);
    expect(closeness(got, ref, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
    expect(guardDamage(pp, B * K, EXTRA)).toBe(0);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += got[b * K + j];
      expect(Math.abs(s - 1)).toBeLessThan(K * 4 * U + 1e-6);
    }
    const pz = outp(B * K);
    getRuntimeF32(pz, B * K).set(z);
    k.softmax_forward(pz, pz, B, K);
    expect(hashArrays([get(pz, B * K)])).toBe(hashArrays([got]));
  });

  it.each(shapes)('argmax_rows B=%i K=%i (first maximum)', (B, K) => {
    const r = rng(B * 7 + K * 23);
    const x = r.uniform(B * K);
    for (let b = 1; b < B; b += 2) {                  // ties between two positions
      const i = Math.floor(r.next() * K), j = Math.floor(r.next() * K);
      x[b * K + i] = 2; x[b * K + j] = 2;
    }
    if (B > 2) for (let j = 0; j < K; j++) x[2 * K + j] = 0.5; // an all-equal row
    const po = outp(B);
    k.argmax_rows(po, inp(x), B, K);
    expect(Array.from(getI32(po, B))).toEqual(Array.from(argmax_rows_ref(x, B, K)));
    expect(guardDamage(po, B, EXTRA)).toBe(0);
  });
});

describe('optimizer updates (5 steps, t = 1..5)', () => {
  // the kernels take float32 hyperparameters: the reference gets the same rounded values
  // (fround(0.999) alone moves 1 - beta2 by 1.3e-5 relative)
  const f32 = Math.fround;
  function run(n: number, seed: number, states: number, step: (w: number, s: number[], g: number, t: number) => void,
    ref: (w: Float64Array, s: Float64Array[], g: Float32Array, t: number) => void) {
    const r = rng(seed);
    const w0 = r.uniform(n);
    const pw = outp(n);
    getRuntimeF32(pw, n).set(w0);
    const ps: number[] = [];
    for (let i = 0; i < states; i++) {
      const p = outp(n);
      getRuntimeF32(p, n).fill(0);
      ps.push(p);
    }
    const rw = Float64Array.from(w0);
    const rs = ps.map(() => new Float64Array(n));
    for (let t = 1; t <= 5; t++) {
      const g = r.uniform(n, -2, 2);
      if (n > 2) g[1] = 1e-4 * g[1];                  // a tiny gradient, where eps matters
      const pg = inp(g);
      step(pw, ps, pg, t);
      ref(rw, rs, g, t);
    }
    expect(closeness(get(pw, n), rw, 1e-5, 1e-6), 'weights').toBeLessThanOrEqual(1);
    // state sums cancel: absolute tolerance relative to the largest state value
    const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    ps.forEach((p, i) => expect(closeness(get(p, n), rs[i], 1e-5, 1e-6 * maxAbs(rs[i])), `state ${i}`).toBeLessThanOrEqual(1));
    expect(guardDamage(pw, n, EXTRA)).toBe(0);
    for (const p of ps) expect(guardDamage(p, n, EXTRA)).toBe(0);
  }

  for (const wd of [0, 0.05]) {
    it.each(SIZES)(`sgd_update wd=${wd} n=%i`, (n) => {
      const lr = 0.1;
      run(n, n + 11, 0,
        (w, _s, g) => k.sgd_update(w, g, n, lr, wd),
        (w, _s, g) => sgd_ref(w, g, f32(lr), f32(wd)));
    });
  }

  for (const [nesterov, wd] of [[false, 0], [true, 0], [false, 0.01], [true, 0.01]] as const) {
    it.each(SIZES)(`momentum_update nesterov=${nesterov} wd=${wd} n=%i`, (n) => {
      const lr = 0.05, mu = 0.9;
      run(n, n + 23, 1,
        (w, s, g) => k.momentum_update(w, s[0], g, n, lr, mu, wd, nesterov ? 1 : 0),
        (w, s, g) => momentum_ref(w, s[0], g, { lr: f32(lr), momentum: f32(mu), wd: f32(wd), nesterov }));
    });
  }

  const adamCases = [
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0, decoupled: false },
    { beta1: 0.8, beta2: 0.99, eps: 1e-3, wd: 0.05, decoupled: false },
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.05, decoupled: true },
    { beta1: 0, beta2: 0.5, eps: 1e-6, wd: 0.1, decoupled: true },
  ];
  for (const c of adamCases) {
    it.each(SIZES)(`adam_update ${JSON.stringify(c)} n=%i`, (n) => {
      const lr = 0.01;
      run(n, n + 37, 2,
        (w, s, g, t) => k.adam_update(w, s[0], s[1], g, n, lr, c.beta1, c.beta2, c.eps, c.wd, c.decoupled ? 1 : 0, t),
        (w, s, g, t) => adam_ref(w, s[0], s[1], g,
          { lr: f32(lr), beta1: f32(c.beta1), beta2: f32(c.beta2), eps: f32(c.eps), wd: f32(c.wd), decoupled: c.decoupled, t }));
    });
  }

  it('adam_update: the first step moves every weight by about lr (bias correction), independent of |g|', () => {
    const n = 13, lr = 0.01;
    const w0 = rng(5).uniform(n);
    const g = rng(6).uniform(n, -3, 3);
    for (let i = 0; i < n; i++) if (Math.abs(g[i]) < 1e-3) g[i] = 0.5;
    const pw = outp(n), pm = outp(n), pv = outp(n);
    getRuntimeF32(pw, n).set(w0);
    getRuntimeF32(pm, n).fill(0);
    getRuntimeF32(pv, n).fill(0);
    k.adam_update(pw, pm, pv, inp(g), n, lr, 0.9, 0.999, 1e-8, 0, 0, 1);
    const w = get(pw, n);
    for (let i = 0; i < n; i++) expect(Math.abs(w0[i] - w[i] - lr * Math.sign(g[i]))).toBeLessThan(1e-6);
  });
});

describe('elementwise utilities', () => {
  it.each(SIZES)('fill_f32 n=%i', (n) => {
    const p = outp(n);
    k.fill_f32(p, n, 3.25);
    expect(Array.from(get(p, n))).toEqual(new Array(n).fill(3.25));
    expect(guardDamage(p, n, EXTRA)).toBe(0);
  });

  it.each(SIZES)('scale_f32 n=%i (exact)', (n) => {
    const x = rng(n + 3).uniform(n);
    const p = outp(n);
    getRuntimeF32(p, n).set(x);
    k.scale_f32(p, n, -1.75);
    expect(Array.from(get(p, n))).toEqual(Array.from(x, (v) => Math.fround(v * -1.75)));
    expect(guardDamage(p, n, EXTRA)).toBe(0);
  });

  it.each(SIZES)('axpy_f32 n=%i', (n) => {
    const r = rng(n + 4);
    const x = r.uniform(n), y = r.uniform(n);
    const p = outp(n);
    getRuntimeF32(p, n).set(y);
    k.axpy_f32(p, inp(x), n, 0.3);
    const a = Math.fround(0.3);
    expect(closeness(get(p, n), Array.from(y, (v, i) => v + a * x[i]), 1e-6, 1e-7)).toBeLessThanOrEqual(1);
    expect(guardDamage(p, n, EXTRA)).toBe(0);
  });

  it.each(SIZES)('copy_bytes n=%i, overlapping both ways', (n) => {
    const x = rng(n + 5).uniform(n);
    const src = inp(x), dst = outp(n);
    k.copy_bytes(dst, src, n * 4);
    expect(Array.from(get(dst, n))).toEqual(Array.from(x));
    expect(guardDamage(dst, n, EXTRA)).toBe(0);
    const buf = outp(n + 2);
    getRuntimeF32(buf, n).set(x);
    k.copy_bytes(buf + 8, buf, n * 4);                    // forward overlap
    expect(Array.from(get(buf + 8, n))).toEqual(Array.from(x));
    k.copy_bytes(buf, buf + 8, n * 4);                    // backward overlap
    expect(Array.from(get(buf, n))).toEqual(Array.from(x));
  });

  it.each(SIZES)('count_nonfinite / first_nonfinite n=%i', (n) => {
    const x = rng(n + 6).uniform(n);
    const px = inp(x);
    expect(k.count_nonfinite(px, n)).toBe(0);
    expect(k.first_nonfinite(px, n)).toBe(-1);
    // finite extremes are not counted
    const y = x.slice();
    y[0] = 3.4028234663852886e38;
    y[n - 1] = -1.401298464324817e-45;
    expect(k.count_nonfinite(inp(y), n)).toBe(0);
    const bads = [NaN, Infinity, -Infinity];
    const z = x.slice();
    const positions = [...new Set([n - 1, Math.floor(n / 2), Math.min(1, n - 1), Math.min(4, n - 1)])];
    positions.forEach((p, i) => { z[p] = bads[i % 3]; });
    const pz = inp(z);
    expect(k.count_nonfinite(pz, n)).toBe(positions.length);
    expect(k.first_nonfinite(pz, n)).toBe(Math.min(...positions));
    // only the first n values count
    const w = new Float32Array(n + 3).fill(NaN);
    w.set(x);
    expect(k.count_nonfinite(inp(w), n)).toBe(0);
    expect(k.first_nonfinite(inp(w), n)).toBe(-1);
  });

  it('count_nonfinite: every element non-finite, n = 0..9', () => {
    for (let n = 0; n <= 9; n++) {
      const x = new Float32Array(Math.max(1, n)).fill(-Infinity);
      expect(k.count_nonfinite(inp(x), n)).toBe(n);
      expect(k.first_nonfinite(inp(x), n)).toBe(n ? 0 : -1);
    }
  });

  it.each(SIZES)('first_bad_label n=%i', (n) => {
    const classes = 10;
    const y = rng(n + 7).int(n, classes);
    expect(k.first_bad_label(inp(y), n, classes)).toBe(-1);
    for (const bad of [-1, classes, classes + 5, -2147483648]) {
      const z = y.slice();
      z[n - 1] = bad;
      expect(k.first_bad_label(inp(z), n, classes)).toBe(n - 1);
      if (n > 2) {
        z[1] = bad;
        expect(k.first_bad_label(inp(z), n, classes)).toBe(1);
      }
    }
    expect(k.first_bad_label(inp(Int32Array.from([9, 0, 9])), 3, 10)).toBe(-1);
  });

  it.each(SIZES)('sum_f32 / sumsq_f32 n=%i (float64, in order)', (n) => {
    const x = rng(n + 8).uniform(n, -10, 10);
    let s = 0, q = 0;
    for (const v of x) { s += v; q += v * v; }
    const px = inp(x);
    expect(k.sum_f32(px, n)).toBe(s);
    expect(k.sumsq_f32(px, n)).toBe(q);
  });

  it.each([[1, 1], [3, 5], [4, 4], [7, 3], [5, 33]])('gather_rows_f32 rows=%i rowLen=%i', (rows, rowLen) => {
    const srcRows = 9;
    const src = rng(rows * 13 + rowLen).uniform(srcRows * rowLen);
    const idx = Int32Array.from({ length: rows + 3 }, (_, i) => (i * 5 + 2) % srcRows);
    const start = 2;
    const pd = outp(rows * rowLen);
    k.gather_rows_f32(pd, inp(src), inp(idx), start, rows, rowLen);
    const want: number[] = [];
    for (let r = 0; r < rows; r++) {
      const s = idx[start + r];
      want.push(...src.subarray(s * rowLen, (s + 1) * rowLen));
    }
    expect(Array.from(get(pd, rows * rowLen))).toEqual(want);
    expect(guardDamage(pd, rows * rowLen, EXTRA)).toBe(0);
  });
});

describe('random', () => {
  const isPermutation = (p: Int32Array) => {
    const seen = new Uint8Array(p.length);
    for (const v of p) {
      if (v < 0 || v >= p.length || seen[v]) return false;
      seen[v] = 1;
    }
    return true;
  };
  const perm = (n: number, lo: number, hi: number, stream: number) => {
    const p = outp(n);
    k.permutation(p, n, lo, hi, stream);
    expect(guardDamage(p, n, EXTRA)).toBe(0);
    return getI32(p, n);
  };

  it.each([0, 1, 2, ...SIZES, 1000])('permutation n=%i: a permutation, deterministic, seed and stream dependent', (n) => {
    const a = perm(n, 42, 0, 0);
    expect(isPermutation(a)).toBe(true);
    expect(Array.from(perm(n, 42, 0, 0))).toEqual(Array.from(a));
    if (n >= 8) {
      expect(Array.from(perm(n, 42, 0, 1))).not.toEqual(Array.from(a));
      expect(Array.from(perm(n, 43, 0, 0))).not.toEqual(Array.from(a));
      expect(Array.from(perm(n, 42, 1, 0))).not.toEqual(Array.from(a));
      expect(Array.from(a)).not.toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('permutation is uniform: all 6 orders of 3 items, and every position of 8 items, equally likely', () => {
    const counts = new Map<string, number>();
    const p3 = outp(3);
    for (let s = 0; s < 6000; s++) {
      k.permutation(p3, 3, 7, 0, s);
      const key = getI32(p3, 3).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150); // ~5 sigma
    const first = new Array(8).fill(0);
    const p8 = outp(8);
    for (let s = 0; s < 4000; s++) {
      k.permutation(p8, 8, 9, 1, s);
      first[getI32(p8, 8)[0]]++;
    }
    for (const c of first) expect(Math.abs(c - 500)).toBeLessThan(105);
  });

  const N = 100_000;
  const moments = (x: Float32Array) => {
    let m = 0;
    for (const v of x) m += v;
    m /= x.length;
    let v2 = 0, v4 = 0;
    for (const v of x) { const d = v - m; v2 += d * d; v4 += d ** 4; }
    v2 /= x.length; v4 /= x.length;
    return { mean: m, variance: v2, kurtosis: v4 / (v2 * v2) };
  };

  it('init_uniform: bounds, mean, variance, flat histogram for n = 100k', () => {
    const variance = 2 / 7;
    const bound = Math.sqrt(3 * variance);
    const p = outp(N);
    k.init_uniform(p, N, 1234, 5, 3, variance);
    const x = get(p, N);
    expect(guardDamage(p, N, EXTRA)).toBe(0);
    let lo = Infinity, hi = -Infinity;
    const bins = new Array(10).fill(0);
    for (const v of x) {
      lo = Math.min(lo, v); hi = Math.max(hi, v);
      bins[Math.min(9, Math.floor((v + bound) / (2 * bound) * 10))]++;
    }
    expect(lo).toBeGreaterThanOrEqual(-bound * (1 + 1e-6));
    expect(hi).toBeLessThanOrEqual(bound * (1 + 1e-6));
    expect(lo).toBeLessThan(-0.999 * bound);
    expect(hi).toBeGreaterThan(0.999 * bound);
    const mo = moments(x);
    expect(Math.abs(mo.mean)).toBeLessThan(5 * Math.sqrt(variance / N));
    expect(Math.abs(mo.variance / variance - 1)).toBeLessThan(0.02);
    expect(Math.abs(mo.kurtosis - 1.8)).toBeLessThan(0.05);
    for (const c of bins) expect(Math.abs(c - N / 10)).toBeLessThan(500);
  });

  it('init_normal: mean, variance, 1-sigma mass and kurtosis for n = 100k', () => {
    const variance = 0.5;
    const p = outp(N);
    k.init_normal(p, N, 99, 0, 1, variance);
    const x = get(p, N);
    expect(guardDamage(p, N, EXTRA)).toBe(0);
    const mo = moments(x);
    expect(Math.abs(mo.mean)).toBeLessThan(5 * Math.sqrt(variance / N));
    expect(Math.abs(mo.variance / variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(mo.kurtosis - 3)).toBeLessThan(0.15);
    const sd = Math.sqrt(variance);
    let inside = 0;
    for (const v of x) if (Math.abs(v) < sd) inside++;
    expect(Math.abs(inside / N - 0.6827)).toBeLessThan(0.008);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  for (const kind of ['init_uniform', 'init_normal'] as const) {
    it(`${kind}: deterministic, seed/stream dependent, counter-based prefixes at odd n`, () => {
      const n = 1000;
      const gen = (m: number, lo: number, hi: number, s: number) => {
        const p = outp(m);
        k[kind](p, m, lo, hi, s, 1);
        expect(guardDamage(p, m, EXTRA)).toBe(0);
        return get(p, m);
      };
      const a = gen(n, 1, 2, 3);
      expect(hashArrays([gen(n, 1, 2, 3)])).toBe(hashArrays([a]));
      for (const [lo, hi, s] of [[2, 2, 3], [1, 3, 3], [1, 2, 4]]) {
        const b = gen(n, lo, hi, s);
        let same = 0;
        for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
        expect(same, `seed (${lo}, ${hi}) stream ${s}`).toBeLessThan(5);
      }
      for (const m of SIZES) expect(Array.from(gen(m, 1, 2, 3)), `n=${m}`).toEqual(Array.from(a.subarray(0, m)));
    });
  }

  it('guard value is what the sentinel helpers expect', () => {
    // a self-check of the harness: a kernel that writes one float past the end is detected
    const p = outp(5);
    k.fill_f32(p, 6, 1);
    expect(guardDamage(p, 5, EXTRA)).toBe(1);
    expect(new Int32Array(k.memory.buffer, p + 6 * 4, 1)[0]).toBe(GUARD_BITS);
  });
});
