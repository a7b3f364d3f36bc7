// Conv2D / pooling / Flatten: every kernel against the float64 references at odd sizes, strides,
// paddings and dilations (with guard slots after every output), finite-difference gradient checks
// of the wasm backward kernels against the reference forward, layer shape inference and error
// messages, and a whole small CNN's computeGradients against a float64 reference network.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import {
  Sequential, Dense, ReLU, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten, ShapeError, ArgumentError,
  getRuntime, type Kernels,
} from '../src/index.js';
import { runtime, rng, put, get, getI32, free, closeness, putGuarded, guardDamage } from './helpers.js';
import { conv2d_forward_ref, conv2d_backward_ref, convOut, type ConvShape } from './reference/conv2d.js';
import {
  maxpool2d_forward_ref, maxpool2d_backward_ref, avgpool2d_forward_ref, avgpool2d_backward_ref,
  global_avgpool_forward_ref, global_avgpool_backward_ref, poolOut, type PoolShape,
} from './reference/pool2d.js';
import { dense_forward_ref } from './reference/dense.js';
import { relu_forward_ref } from './reference/activation.js';
import { softmax_xent_ref } from './reference/loss.js';

let k: Kernels;
const live: number[] = [];
const inp = (a: Float32Array | Int32Array) => { const p = put(a); live.push(p); return p; };
const guarded = (n: number) => { const p = putGuarded(n); live.push(p); return p; };

beforeAll(async () => { k = (await runtime()).kernels; });
afterEach(() => free(...live.splice(0)));

const RTOL = 1e-4, ATOL = 1e-5;
const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = RTOL, atol = ATOL) =>
  expect(closeness(got, want, rtol, atol), what).toBeLessThanOrEqual(1);

interface ConvCase {
  name: string; B: number; C: number; H: number; W: number; O: number; kh: number; kw: number;
  stride?: [number, number]; padding?: [number, number] | 'same'; dil?: [number, number]; bias?: boolean;
}

/** Resolves padding independently of src/layers/conv.ts: PyTorch's 'same' for stride 1, TF 'SAME' otherwise. */
function shapeOf(c: ConvCase): ConvShape & { pb: number; pr: number } {
  const [sh, sw] = c.stride ?? [1, 1], [dh, dw] = c.dil ?? [1, 1];
  const res = (n: number, kk: number, s: number, d: number, p: number) => {
    if (c.padding !== 'same') return [p, p];
    const total = s === 1 ? d * (kk - 1) : Math.max((Math.ceil(n / s) - 1) * s + d * (kk - 1) + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const p = c.padding === 'same' || c.padding === undefined ? [0, 0] : c.padding;
  const [pt, pb] = res(c.H, c.kh, sh, dh, p[0]);
  const [pl, pr] = res(c.W, c.kw, sw, dw, p[1]);
  return {
    C: c.C, H: c.H, W: c.W, O: c.O, KH: c.kh, KW: c.kw, sh, sw, pt, pl, dh, dw, pb, pr,
    Ho: convOut(c.H, c.kh, sh, pt + pb, dh), Wo: convOut(c.W, c.kw, sw, pl + pr, dw),
  };
}

const CONV_CASES: ConvCase[] = [
  { name: "'same', even kernel 4x2, stride 2, C=3 O=5 7x9, B=3", B: 3, C: 3, H: 7, W: 9, O: 5, kh: 4, kw: 2, stride: [2, 2], padding: 'same' },
  { name: "'same', even kernel 4x4, stride 1, C=3 O=5 7x9, B=3", B: 3, C: 3, H: 7, W: 9, O: 5, kh: 4, kw: 4, padding: 'same' },
  { name: "'same' 3x3 dilation 2, C=2 O=3 6x5", B: 2, C: 2, H: 6, W: 5, O: 3, kh: 3, kw: 3, padding: 'same', dil: [2, 2] },
  { name: '5x5 same-size pad 2, C=6 O=7 11x13, B=2', B: 2, C: 6, H: 11, W: 13, O: 7, kh: 5, kw: 5, padding: [2, 2] },
  { name: '3x3 pad 1, stride 2, dilation [2,1], C=3 O=5 9x7', B: 3, C: 3, H: 9, W: 7, O: 5, kh: 3, kw: 3, stride: [2, 2], padding: [1, 1], dil: [2, 1] },
  { name: '2x3, stride [1,2], padding [0,2], dilation [1,2], no bias', B: 2, C: 5, H: 6, W: 11, O: 9, kh: 2, kw: 3, stride: [1, 2], padding: [0, 2], dil: [1, 2], bias: false },
  { name: '1x1, stride 1, no padding (no im2col), C=7 O=6 5x3', B: 3, C: 7, H: 5, W: 3, O: 6, kh: 1, kw: 1 },
  { name: '1x1, stride 3, C=4 O=5 7x8', B: 2, C: 4, H: 7, W: 8, O: 5, kh: 1, kw: 1, stride: [3, 3] },
  { name: 'kernel = whole input 4x5, C=3 O=2', B: 3, C: 3, H: 4, W: 5, O: 2, kh: 4, kw: 5 },
  { name: 'large padding 3 around 2x2 input, 3x2 kernel, stride [3,1]', B: 2, C: 1, H: 2, W: 2, O: 3, kh: 3, kw: 2, stride: [3, 1], padding: [3, 3] },
  { name: 'wide rows (SIMD body + tail) 3x3 pad 1, C=2 O=3 5x23', B: 1, C: 2, H: 5, W: 23, O: 3, kh: 3, kw: 3, padding: [1, 1] },
];

function convSetup(c: ConvCase, seed: number) {
  const s = shapeOf(c);
  const r = rng(seed);
  const nx = c.B * c.C * c.H * c.W, nw = c.O * c.C * c.kh * c.kw, ny = c.B * c.O * s.Ho * s.Wo;
  const x = r.uniform(nx), w = r.uniform(nw, -0.5, 0.5), bias = r.uniform(c.O), dy = r.uniform(ny);
  const desc = inp(new Float32Array(16));
  k.conv2d_desc(desc, c.C, c.H, c.W, c.O, c.kh, c.kw, s.sh, s.sw, s.pt, s.pl, s.dh, s.dw, s.Ho, s.Wo);
  const scratchFloats = Math.ceil(k.conv2d_scratch_bytes(desc) / 4);
  const scratch = guarded(scratchFloats);
  return { s, x, w, bias, dy, nx, nw, ny, desc, scratch, scratchFloats };
}

describe('conv2d kernels vs float64 reference', () => {
  it('the descriptor fits in conv2d_desc_bytes()', () => {
    expect(k.conv2d_desc_bytes()).toBeGreaterThanOrEqual(17 * 4);
    expect(k.conv2d_desc_bytes()).toBeLessThanOrEqual(64 + 4);
  });

  it.each(CONV_CASES.map((c, i) => [c.name, c, i] as const))('%s', (_n, c, i) => {
    const t = convSetup(c, 100 + i);
    const useBias = c.bias ?? true;
    const px = inp(t.x), pw = inp(t.w), pb = inp(t.bias), pdy = inp(t.dy);
    const py = guarded(t.ny);
    k.conv2d_forward(py, px, pw, useBias ? pb : 0, c.B, t.desc, t.scratch);
    expect(guardDamage(py, t.ny)).toBe(0);
    expect(guardDamage(t.scratch, t.scratchFloats)).toBe(0);
    expectClose(get(py, t.ny), conv2d_forward_ref(t.x, t.w, useBias ? t.bias : null, c.B, t.s), 'y');

    const ref = conv2d_backward_ref(t.dy, t.x, t.w, c.B, t.s);
    const pdx = guarded(t.nx), pdw = guarded(t.nw), pdb = guarded(c.O);
    k.conv2d_backward(pdx, pdw, useBias ? pdb : 0, pdy, px, pw, c.B, t.desc, t.scratch);
    expect(guardDamage(pdx, t.nx) + guardDamage(pdw, t.nw) + guardDamage(pdb, c.O)).toBe(0);
    expect(guardDamage(t.scratch, t.scratchFloats)).toBe(0);
    expectClose(get(pdx, t.nx), ref.dx, 'dx');
    expectClose(get(pdw, t.nw), ref.dw, 'dw');
    if (useBias) expectClose(get(pdb, c.O), ref.dbias, 'dbias');
    else expect(getI32(pdb, c.O).every((v) => v === 0x7fa5a5a5)).toBe(true); // dbias = 0: untouched

    // dx = 0 skips the input gradient but gives the same dw bit for bit
    const pdw2 = guarded(t.nw);
    k.conv2d_backward(0, pdw2, 0, pdy, px, pw, c.B, t.desc, t.scratch);
    expect(get(pdw2, t.nw)).toEqual(get(pdw, t.nw));
  });

  it('results do not depend on the batch split (sample b alone == sample b in a batch, bitwise)', () => {
    const c = CONV_CASES[0];
    const t = convSetup(c, 7);
    const px = inp(t.x), pw = inp(t.w), pb = inp(t.bias);
    const py = guarded(t.ny);
    k.conv2d_forward(py, px, pw, pb, c.B, t.desc, t.scratch);
    const per = t.ny / c.B, perX = t.nx / c.B;
    const py1 = guarded(per);
    k.conv2d_forward(py1, px + 2 * perX * 4, pw, pb, 1, t.desc, t.scratch);
    expect(get(py1, per)).toEqual(get(py, t.ny).subarray(2 * per, 3 * per));
  });

  it('conv2d_backward overwrites stale dx, dw and dbias', () => {
    const c = CONV_CASES[3];
    const t = convSetup(c, 9);
    const px = inp(t.x), pw = inp(t.w), pdy = inp(t.dy);
    const pdx = inp(new Float32Array(t.nx).fill(123)), pdw = inp(new Float32Array(t.nw).fill(-7)), pdb = inp(new Float32Array(c.O).fill(5));
    k.conv2d_backward(pdx, pdw, pdb, pdy, px, pw, c.B, t.desc, t.scratch);
    const ref = conv2d_backward_ref(t.dy, t.x, t.w, c.B, t.s);
    expectClose(get(pdx, t.nx), ref.dx, 'dx');
    expectClose(get(pdw, t.nw), ref.dw, 'dw');
    expectClose(get(pdb, c.O), ref.dbias, 'dbias');
  });
});

interface PoolCase { name: string; B: number; C: number; H: number; W: number; kh: number; kw: number; sh: number; sw: number }
const POOL_CASES: PoolCase[] = [
  { name: '2x2 stride 2, odd 7x9 (floor), C=3', B: 3, C: 3, H: 7, W: 9, kh: 2, kw: 2, sh: 2, sw: 2 },
  { name: '3x3 stride 2 (overlapping), 11x13', B: 2, C: 2, H: 11, W: 13, kh: 3, kw: 3, sh: 2, sw: 2 },
  { name: '2x3 stride 1, 5x10 (SIMD + tail)', B: 2, C: 3, H: 5, W: 10, kh: 2, kw: 3, sh: 1, sw: 1 },
  { name: '3x2 stride [1,3], 6x20 (strided gather)', B: 1, C: 2, H: 6, W: 20, kh: 3, kw: 2, sh: 1, sw: 3 },
  { name: 'window = whole plane 4x6', B: 3, C: 5, H: 4, W: 6, kh: 4, kw: 6, sh: 4, sw: 6 },
  { name: '2x2 stride 2 on 28x28 (MNIST size), C=4', B: 2, C: 4, H: 28, W: 28, kh: 2, kw: 2, sh: 2, sw: 2 },
];
const poolShape = (c: PoolCase): PoolShape => ({ C: c.C, H: c.H, W: c.W, KH: c.kh, KW: c.kw, sh: c.sh, sw: c.sw, Ho: poolOut(c.H, c.kh, c.sh), Wo: poolOut(c.W, c.kw, c.sw) });

describe('pool2d kernels vs float64 reference', () => {
  it.each(POOL_CASES.map((c, i) => [c.name, c, i] as const))('maxpool and avgpool %s', (_n, c, i) => {
    const s = poolShape(c);
    const r = rng(300 + i);
    const nx = c.B * c.C * c.H * c.W, ny = c.B * c.C * s.Ho * s.Wo;
    const x = r.uniform(nx);
    // some exact ties, which must resolve to the first maximum in (kh, kw) order
    for (let j = 0; j < nx; j += 5) x[j] = 0.75;
    const dy = r.uniform(ny);
    const px = inp(x), pdy = inp(dy);
    const py = guarded(ny), parg = guarded(ny), pdx = guarded(nx);
    k.maxpool2d_forward(py, parg, px, c.B, c.C, c.H, c.W, c.kh, c.kw, c.sh, c.sw, s.Ho, s.Wo);
    const ref = maxpool2d_forward_ref(x, c.B, s);
    expect(guardDamage(py, ny) + guardDamage(parg, ny)).toBe(0);
    expect(Array.from(get(py, ny))).toEqual(Array.from(ref.y));
    expect(Array.from(getI32(parg, ny))).toEqual(Array.from(ref.argmax));
    k.maxpool2d_backward(pdx, pdy, parg, c.B, c.C, c.H, c.W, s.Ho, s.Wo);
    expect(guardDamage(pdx, nx)).toBe(0);
    expectClose(get(pdx, nx), maxpool2d_backward_ref(dy, ref.argmax, c.B, s), 'maxpool dx');

    const pya = guarded(ny), pdxa = guarded(nx);
    k.avgpool2d_forward(pya, px, c.B, c.C, c.H, c.W, c.kh, c.kw, c.sh, c.sw, s.Ho, s.Wo);
    expect(guardDamage(pya, ny)).toBe(0);
    expectClose(get(pya, ny), avgpool2d_forward_ref(x, c.B, s), 'avgpool y');
    k.avgpool2d_backward(pdxa, pdy, c.B, c.C, c.H, c.W, c.kh, c.kw, c.sh, c.sw, s.Ho, s.Wo);
    expect(guardDamage(pdxa, nx)).toBe(0);
    expectClose(get(pdxa, nx), avgpool2d_backward_ref(dy, c.B, s), 'avgpool dx');
  });

  it('maxpool picks the first of tied maxima and ignores NaN after a number', () => {
    const x = Float32Array.from([1, 3, 3, 2, /* row 2 */ 3, 0, NaN, 5]); // 2x4 plane, 2x2 windows
    const py = guarded(2), parg = guarded(2);
    k.maxpool2d_forward(py, parg, inp(x), 1, 1, 2, 4, 2, 2, 2, 2, 1, 2);
    expect(Array.from(get(py, 2))).toEqual([3, 5]);
    expect(Array.from(getI32(parg, 2))).toEqual([1, 7]);
  });

  it.each([[1, 1, 1], [3, 5, 7], [2, 3, 33], [4, 2, 196]])('global avg pool B=%i C=%i HW=%i', (B, C, HW) => {
    const r = rng(B * 1000 + C * 10 + HW);
    const x = r.uniform(B * C * HW), dy = r.uniform(B * C);
    const py = guarded(B * C), pdx = guarded(B * C * HW);
    k.global_avgpool_forward(py, inp(x), B, C, HW);
    k.global_avgpool_backward(pdx, inp(dy), B, C, HW);
    expect(guardDamage(py, B * C) + guardDamage(pdx, B * C * HW)).toBe(0);
    expectClose(get(py, B * C), global_avgpool_forward_ref(x, B, C, HW), 'y');
    expectClose(get(pdx, B * C * HW), global_avgpool_backward_ref(dy, B, C, HW), 'dx');
  });
});

// ---- finite differences: wasm backward vs d/dθ of sum(g · f_ref(θ)) ----

const H = 1e-5;
function numericGrad(f: (p: Float64Array) => number, p0: ArrayLike<number>): Float64Array {
  const p = Float64Array.from(p0);
  const grad = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + H; const fp = f(p);
    p[i] = v - H; const fm = f(p);
    p[i] = v;
    grad[i] = (fp - fm) / (2 * H);
  }
  return grad;
}
const dot = (g: ArrayLike<number>, y: ArrayLike<number>) => { let s = 0; for (let i = 0; i < g.length; i++) s += g[i] * y[i]; return s; };
const FD_RTOL = 1e-4, FD_ATOL = 1e-5;

describe('finite-difference gradient checks', () => {
  it.each([0, 4, 5].map((i) => [CONV_CASES[i].name, CONV_CASES[i], i] as const))('conv2d dx, dw, dbias: %s', (_n, c, i) => {
    const t = convSetup(c, 500 + i);
    const px = inp(t.x), pw = inp(t.w), pdy = inp(t.dy);
    const pdx = guarded(t.nx), pdw = guarded(t.nw), pdb = guarded(c.O);
    k.conv2d_backward(pdx, pdw, pdb, pdy, px, pw, c.B, t.desc, t.scratch);
    const L = (x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>) => dot(t.dy, conv2d_forward_ref(x, w, b, c.B, t.s));
    const gx = numericGrad((p) => L(p, t.w, t.bias), t.x);
    const gw = numericGrad((p) => L(t.x, p, t.bias), t.w);
    const gb = numericGrad((p) => L(t.x, t.w, p), t.bias);
    expectClose(get(pdx, t.nx), gx, 'dx', FD_RTOL, FD_ATOL);
    expectClose(get(pdw, t.nw), gw, 'dw', FD_RTOL, FD_ATOL);
    expectClose(get(pdb, c.O), gb, 'dbias', FD_RTOL, FD_ATOL);
    expect(gx.some((v) => Math.abs(v) > 0.1) && gw.some((v) => Math.abs(v) > 0.1)).toBe(true);
  });

  it.each(POOL_CASES.slice(0, 3).map((c, i) => [c.name, c, i] as const))('maxpool and avgpool dx: %s', (_n, c, i) => {
    const s = poolShape(c);
    const r = rng(700 + i);
    const nx = c.B * c.C * c.H * c.W, ny = c.B * c.C * s.Ho * s.Wo;
    const x = r.uniform(nx), dy = r.uniform(ny); // distinct values: no ties within 2H
    const px = inp(x), pdy = inp(dy);
    const parg = guarded(ny), py = guarded(ny), pdx = guarded(nx), pdxa = guarded(nx);
    k.maxpool2d_forward(py, parg, px, c.B, c.C, c.H, c.W, c.kh, c.kw, c.sh, c.sw, s.Ho, s.Wo);
    k.maxpool2d_backward(pdx, pdy, parg, c.B, c.C, c.H, c.W, s.Ho, s.Wo);
    expectClose(get(pdx, nx), numericGrad((p) => dot(dy, maxpool2d_forward_ref(p, c.B, s).y), x), 'maxpool dx', FD_RTOL, FD_ATOL);
    k.avgpool2d_backward(pdxa, pdy, c.B, c.C, c.H, c.W, c.kh, c.kw, c.sh, c.sw, s.Ho, s.Wo);
    expectClose(get(pdxa, nx), numericGrad((p) => dot(dy, avgpool2d_forward_ref(p, c.B, s)), x), 'avgpool dx', FD_RTOL, FD_ATOL);
  });

  it('global avg pool dx', () => {
    const B = 2, C = 3, HW = 10;
    const r = rng(77);
    const x = r.uniform(B * C * HW), dy = r.uniform(B * C);
    const pdx = guarded(B * C * HW);
    k.global_avgpool_backward(pdx, inp(dy), B, C, HW);
    expectClose(get(pdx, B * C * HW), numericGrad((p) => dot(dy, global_avgpool_forward_ref(p, B, C, HW)), x), 'dx', FD_RTOL, FD_ATOL);
  });
});

// ---- layers ----

const build = (layers: ConstructorParameters<typeof Sequential>[0], inputShape: number[]) => new Sequential(layers, { inputShape });

describe('conv layers: shapes, params, errors', () => {
  it('infers output shapes and parameter specs', () => {
    const m = build([
      new Conv2D(1, 4, 4, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Conv2D(4, 6, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], bias: false }),
      new AvgPool2D(2, { stride: 1 }), new Conv2D(6, 5, 3, { stride: 2, padding: 'same' }), new GlobalAvgPool2D(), new Flatten(), new Dense(5, 3),
    ], [1, 13, 11]);
    try {
      expect(m.layers.map((l) => l.outShape)).toEqual([
        [4, 13, 11], [4, 13, 11], [4, 6, 5],
        [6, 3, 3],          // H: floor((6+2-3)/2)+1 = 3, W: (5 - 2*1 - 1) + 1 = 3
        [6, 2, 2], [5, 1, 1], [5], [5], [3],
      ]);
      const c0 = m.layers[0] as Conv2D;
      expect(c0.pad).toEqual({ top: 1, bottom: 2, left: 1, right: 2 }); // PyTorch 'same' for an even kernel
      expect([c0.inChannels, c0.outChannels, c0.kernelH, c0.kernelW]).toEqual([1, 4, 4, 4]);
      expect(c0.stride).toEqual([1, 1]);
      expect(c0.padding).toBe('same');
      expect(m.weightSpecs()).toEqual([
        { name: '0.weight', shape: [4, 1, 4, 4] }, { name: '0.bias', shape: [4] },
        { name: '3.weight', shape: [6, 4, 3, 2] },
        { name: '5.weight', shape: [5, 6, 3, 3] }, { name: '5.bias', shape: [5] },
        { name: '8.weight', shape: [3, 5] }, { name: '8.bias', shape: [3] },
      ]);
      expect(c0.params[0]).toMatchObject({ init: 'he-uniform', fanIn: 16, fanOut: 64 });
      expect(c0.params[1]).toMatchObject({ init: 'zeros' });
      expect((m.layers[5] as Conv2D).pad).toEqual({ top: 0, bottom: 1, left: 0, right: 1 }); // TF 'SAME', stride 2 on 2x2
      for (const l of m.layers) if (!(l instanceof ReLU || l instanceof Dense)) expect(l.homogeneous).toBe(true);
      expect(m.summary()).toContain('Conv2D 4->6 3x2, stride 2x1, padding 1x0, dilation 1x2, no bias');
      // biases start at zero, weights do not
      const w = m.getWeights();
      expect(w[1].every((v) => v === 0)).toBe(true);
      expect(w[0].some((v) => v !== 0)).toBe(true);
      const bound = Math.sqrt(6 / 16) * 1.0001; // he-uniform: U(-sqrt(6/fanIn), +sqrt(6/fanIn))
      expect(w[0].every((v) => Math.abs(v) <= bound)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  it('rejects bad shapes with ShapeError naming the layer and the shapes', () => {
    expect(() => build([new Conv2D(3, 4, 3), new Flatten(), new Dense(4, 2)], [1, 8, 8])).toThrow(ShapeError);
    expect(() => build([new Conv2D(3, 4, 3), new Flatten(), new Dense(4, 2)], [1, 8, 8]))
      .toThrow('layer 0 (Conv2D 3->4 3x3) expects 3 input channels, but its input has shape [1, 8, 8] (1 channels)');
    expect(() => build([new Conv2D(1, 2, 5), new Flatten(), new Dense(2, 2)], [1, 4, 9]))
      .toThrow(/layer 0 \(Conv2D 1->2 5x5\): the 5x5 kernel window .* larger than the padded input 4x9 \(input shape \[1, 4, 9\]/);
    expect(() => build([new Conv2D(1, 2, 3, { dilation: 3 }), new Flatten(), new Dense(2, 2)], [1, 6, 6]))
      .toThrow(/7x7 kernel window .*dilation 3.* padded input 6x6/);
    expect(() => build([new Dense(4, 4), new Conv2D(1, 2, 1), new Flatten(), new Dense(2, 2)], [4]))
      .toThrow('layer 1 (Conv2D 1->2 1x1) expects a per-sample input of shape [channels, height, width], got [4]');
    expect(() => build([new MaxPool2D(3), new Flatten(), new Dense(2, 2)], [1, 2, 8]))
      .toThrow('layer 0 (MaxPool2D 3x3): the 3x3 window is larger than the input 2x8 (input shape [1, 2, 8]; pooling does not pad)');
    expect(() => build([new GlobalAvgPool2D(), new Dense(2, 2)], [6, 2])).toThrow(/layer 0 \(GlobalAvgPool2D\) expects .* got \[6, 2\]/);
    expect(() => build([new AvgPool2D([1, 2], { stride: [1, 3] }), new Dense(2, 2)], [2, 3])).toThrow(ShapeError);
    // the last layer must give a vector: a conv map without Flatten is refused by the model
    expect(() => build([new Conv2D(1, 2, 3)], [1, 5, 5])).toThrow(ShapeError);
  });

  it('rejects bad options with ArgumentError', () => {
    expect(() => new Conv2D(0, 2, 3)).toThrow(ArgumentError);
    expect(() => new Conv2D(1, 2, [3, 0] as [number, number])).toThrow('Conv2D: kernel must be a positive integer or a pair of them, got [3,0]');
    expect(() => new Conv2D(1, 2, 3, { stride: 0 })).toThrow(ArgumentError);
    expect(() => new Conv2D(1, 2, 3, { padding: -1 })).toThrow(/padding/);
    expect(() => new Conv2D(1, 2, 3, { padding: 'valid' as never })).toThrow(ArgumentError);
    expect(() => new Conv2D(1, 2, 3, { init: 'ones' as never })).toThrow(ArgumentError);
    expect(() => new MaxPool2D(2, { stride: 1.5 })).toThrow('MaxPool2D: options.stride must be a positive integer or a pair of them, got 1.5');
    expect(new MaxPool2D([2, 3]).stride).toEqual([2, 3]);
  });

  it('Flatten copies (forward and backward) and keeps C, H, W order', () => {
    const x = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i - 5);
    const m = build([new Flatten(), new Dense(12, 2, { bias: false })], [2, 2, 3]);
    try {
      const eye = new Float32Array(24);
      eye[0] = 1; eye[12 + 11] = 1; // logit 0 = x[0], logit 1 = x[11]
      m.setWeights([eye]);
      expect(Array.from(m.predict(x, 2))).toEqual([-5, 6, 7, 18]);
    } finally {
      m.dispose();
    }
  });

  it('MaxPool2D: its argmax cache is planned with the model (same batch: no new memory) and the model frees it', () => {
    const { arena } = getRuntime();
    const base = arena.bytesInUse;
    const pool = new MaxPool2D(2);
    const m = build([pool, new Flatten(), new Dense(4, 2)], [1, 4, 4]);
    try {
      const r = rng(5);
      m.predict(r.uniform(16 * 2), 2);
      const used = arena.bytesInUse;
      m.predict(r.uniform(16 * 2), 2);
      expect(arena.bytesInUse).toBe(used); // same batch: no new cache
      expect(arena.blocksOf(m).some((b) => b.what.includes('cache of layer 0'))).toBe(true);
      const big = r.uniform(16 * 40);
      const y = m.predict(big, 40);
      const y1 = m.predict(big.subarray(16 * 39), 1);
      expect(Array.from(y1)).toEqual(Array.from(y.subarray(2 * 39)));
    } finally {
      m.dispose();
    }
    expect(arena.bytesInUse).toBe(base);
  });
});

// ---- a whole CNN through Sequential vs finite differences of a float64 reference network ----

describe('small CNN: computeGradients vs finite differences of a float64 reference', () => {
  it('Conv(same, even) -> ReLU -> MaxPool -> Conv(stride, pad) -> ReLU -> AvgPool -> Flatten -> Dense', () => {
    const B = 3, K = 4;
    const model = new Sequential([
      new Conv2D(1, 3, 4, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Conv2D(3, 4, [2, 3], { stride: [1, 2], padding: 1 }), new ReLU(), new AvgPool2D(2, { stride: 1 }),
      new Flatten(), new Dense(48, K),
    ], { inputShape: [1, 12, 12], seed: 11 });
    try {
      expect(model.layers.map((l) => l.outShape)).toEqual([[3, 12, 12], [3, 12, 12], [3, 6, 6], [4, 7, 3], [4, 7, 3], [4, 6, 2], [48], [K]]);
      const specs = model.weightSpecs();
      const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
      const c1: ConvShape = { C: 1, H: 12, W: 12, O: 3, KH: 4, KW: 4, sh: 1, sw: 1, pt: 1, pl: 1, dh: 1, dw: 1, Ho: 12, Wo: 12 };
      const c2: ConvShape = { C: 3, H: 6, W: 6, O: 4, KH: 2, KW: 3, sh: 1, sw: 2, pt: 1, pl: 1, dh: 1, dw: 1, Ho: 7, Wo: 3 };
      const mp: PoolShape = { C: 3, H: 12, W: 12, KH: 2, KW: 2, sh: 2, sw: 2, Ho: 6, Wo: 6 };
      const ap: PoolShape = { C: 4, H: 7, W: 3, KH: 2, KW: 2, sh: 1, sw: 1, Ho: 6, Wo: 2 };
      const split = (p: ArrayLike<number>) => {
        const parts: Float64Array[] = [];
        let o = 0;
        for (const n of sizes) { parts.push(Float64Array.prototype.slice.call(Float64Array.from(p), o, o + n)); o += n; }
        return parts;
      };
      const forward = (p: ArrayLike<number>, x: ArrayLike<number>) => {
        const [w1, b1, w2, b2, w3, b3] = split(p);
        const a1 = conv2d_forward_ref(x, w1, b1, B, c1);
        const h = maxpool2d_forward_ref(relu_forward_ref(a1), B, mp).y;
        const a2 = conv2d_forward_ref(h, w2, b2, B, c2);
        const z = dense_forward_ref(avgpool2d_forward_ref(relu_forward_ref(a2), B, ap), w3, b3, B, 48, K);
        return { a1, a2, z };
      };
      const r = rng(2024);
      const x = r.uniform(B * 144);
      const y = r.int(B, K);
      const params = model.getWeights().map((w, i) => (i === 1 || i === 3 || i === 5 ? r.uniform(w.length, -0.2, 0.2) : w));
      model.setWeights(params);
      const flat = new Float64Array(sizes.reduce((a, b) => a + b, 0));
      let o = 0;
      for (const p of params) { flat.set(p, o); o += p.length; }
      const { a1, a2 } = forward(flat, x);
      // no pre-activation within reach of the finite-difference step of the ReLU kink
      expect([...a1, ...a2].every((v) => Math.abs(v) > 1e-4)).toBe(true);
      const loss = model.computeGradients(x, y);
      const lossOf = (p: ArrayLike<number>) => softmax_xent_ref(forward(p, x).z, y, B, K).loss;
      expect(closeness([loss], [lossOf(flat)], 1e-5, 1e-6), 'loss').toBeLessThanOrEqual(1);
      const numeric = numericGrad(lossOf, flat);
      const grads = model.getGradients();
      o = 0;
      grads.forEach((g, i) => {
        expectClose(g, numeric.subarray(o, o + sizes[i]), specs[i].name, 1e-3, 1e-6);
        expect(g.some((v) => Math.abs(v) > 1e-3), `${specs[i].name} not all ~0`).toBe(true);
        o += sizes[i];
      });
    } finally {
      model.dispose();
    }
  });

  it('Conv(dilation 2, no bias) -> ReLU -> GlobalAvgPool2D -> Dense', () => {
    const B = 4, K = 3;
    const model = new Sequential([new Conv2D(2, 5, 3, { dilation: 2, bias: false, padding: 'same' }), new ReLU(), new GlobalAvgPool2D(), new Dense(5, K)],
      { inputShape: [2, 7, 6], seed: 5 });
    try {
      const c1: ConvShape = { C: 2, H: 7, W: 6, O: 5, KH: 3, KW: 3, sh: 1, sw: 1, pt: 2, pl: 2, dh: 2, dw: 2, Ho: 7, Wo: 6 };
      const sizes = [90, 15, 3];
      const forward = (p: ArrayLike<number>, x: ArrayLike<number>) => {
        const a = Float64Array.from(p);
        const a1 = conv2d_forward_ref(x, a.subarray(0, 90), null, B, c1);
        return { a1, z: dense_forward_ref(global_avgpool_forward_ref(relu_forward_ref(a1), B, 5, 42), a.subarray(90, 105), a.subarray(105), B, 5, K) };
      };
      const r = rng(99);
      const x = r.uniform(B * 84), y = r.int(B, K);
      const params = model.getWeights();
      params[2] = r.uniform(3, -0.3, 0.3);
      model.setWeights(params);
      const flat = Float64Array.from([...params[0], ...params[1], ...params[2]]);
      expect(forward(flat, x).a1.every((v) => Math.abs(v) > 1e-4)).toBe(true);
      model.computeGradients(x, y);
      const numeric = numericGrad((p) => softmax_xent_ref(forward(p, x).z, y, B, K).loss, flat);
      let o = 0;
      model.getGradients().forEach((g, i) => {
        expectClose(g, numeric.subarray(o, o + sizes[i]), `param ${i}`, 1e-3, 1e-6);
        o += sizes[i];
      });
    } finally {
      model.dispose();
    }
  });
});

describe('Flatten inside a model is a view', () => {
  beforeAll(runtime);

  it('allocates nothing and changes nothing: same memory, outputs and gradients as a Dense on the map', () => {
    const mk = (flatten: boolean) => new Sequential([
      new Conv2D(2, 3, 3, { padding: 1 }), new ReLU(), ...(flatten ? [new Flatten()] : []), new Dense(3 * 5 * 5, 4),
    ], { seed: 9, inputShape: [2, 5, 5] });
    const { arena } = getRuntime();
    const r = rng(77);
    const x = r.uniform(6 * 50, -1, 1);
    const y = r.int(6, 4);
    const used = (flatten: boolean) => {
      const before = arena.bytesInUse;
      const m = mk(flatten);
      const loss = m.computeGradients(x, y);
      const out = { bytes: arena.bytesInUse - before, loss, logits: m.predict(x, 6), grads: m.getGradients() };
      m.dispose();
      return out;
    };
    const a = used(true);
    const b = used(false);
    expect(a.bytes).toBe(b.bytes);
    expect(a.loss).toBe(b.loss);
    expect(a.logits).toEqual(b.logits);
    expect(a.grads).toEqual(b.grads);
  });
});
