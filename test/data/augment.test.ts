// Augmentation and normalization (assembly/augment.ts, src/data/augment.ts): each kernel against
// the float64 reference (test/reference/augment.ts) on small maps of odd sizes (SIMD tails, shifts
// of a whole row or more), the draws against the documented formula, per-sample draws that do not
// depend on the batch, and fit/evaluate/predict with the options: a run with augment replays bit
// for bit, normalize in wasm equals data normalized beforehand, and bad options are refused.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import {
  Sequential, Conv2D, ReLU, MaxPool2D, Flatten, Dense, SGD, ArgumentError, ShapeError, type Dataset, type Kernels,
} from '../../src/index.js';
import type { Arena } from '../../src/core/arena.js';
import { checkAugment, checkNormalize } from '../../src/data/augment.js';
import { loadShuffled } from '../../src/graph/batch.js';
import { runtime, rng, put, get, free, hashArrays } from '../helpers.js';
import { augment_draw_ref, bytes_to_unit_ref, crop_flip_ref, normalize_ref } from '../reference/augment.js';

let k: Kernels;
let rtArena: Arena;
const live: number[] = [];
const inp = (a: Float32Array) => (live.push(put(a)), live[live.length - 1]);

beforeAll(async () => { ({ kernels: k, arena: rtArena } = await runtime()); });
afterEach(() => free(...live.splice(0)));

/** Bytes 0..255 from integer arithmetic only. */
function bytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r.next() * 256));
}

describe('augment kernels vs the float64 reference', () => {
  it.each([1, 3, 15, 16, 17, 33, 64, 101])('bytes_to_unit: exactly v / 255 in float32, disjoint and in place (n = %i)', (n) => {
    const src = bytes(n, n);
    const want = Float32Array.from(bytes_to_unit_ref(src));
    const arena = rtArena;
    const out = inp(new Float32Array(n + 4));
    const s = arena.alloc(n + 16, 'test bytes');
    live.push(s);
    arena.u8(s, n).set(src);
    k.bytes_to_unit(out, s, n);
    expect(get(out, n)).toEqual(want);
    expect(get(out + 4 * n, 4)).toEqual(new Float32Array(4)); // nothing written past n
    // in place: the bytes in the last quarter of the output, as the batch loader puts them
    const io = inp(new Float32Array(n));
    arena.u8(io + 3 * n, n).set(src);
    k.bytes_to_unit(io, io + 3 * n, n);
    expect(get(io, n)).toEqual(want);
    // the same numbers datasetFromIDX (float32 MNIST) stores
    expect(want).toEqual(new Float32Array(Array.from(src, (v) => v / 255)));
  });

  const shapes: [number, number, number][] = [[1, 1, 1], [2, 5, 7], [3, 4, 9], [1, 3, 3], [2, 6, 4], [1, 2, 13]];
  it.each(shapes)('crop_flip (C, H, W) = (%i, %i, %i): every shift up to past the border, with and without flip', (C, H, W) => {
    const x = rng(C * 100 + H * 10 + W).uniform(C * H * W, -1, 1);
    const n = C * H * W;
    const p = inp(new Float32Array(n + 4));
    for (let dy = -H - 1; dy <= H + 1; dy++) {
      for (let dx = -W - 1; dx <= W + 1; dx++) {
        for (const flip of [false, true]) {
          rtArena.f32(p, n).set(x);
          k.crop_flip(p, C, H, W, dy, dx, flip ? 1 : 0);
          expect(get(p, n), `dy ${dy} dx ${dx} flip ${flip}`).toEqual(Float32Array.from(crop_flip_ref(x, C, H, W, dy, dx, flip)));
        }
      }
    }
    expect(get(p + 4 * n, 4)).toEqual(new Float32Array(4));
  });

  it.each([[1, 1, 1], [3, 3, 13], [2, 1, 4], [4, 2, 7]])('normalize_channel (B, C, HW) = (%i, %i, %i): (x - mean) / std rounded once to float32', (B, C, HW) => {
    const x = rng(B + C + HW).uniform(B * C * HW, 0, 1);
    const mean = Float32Array.from({ length: C }, (_, c) => 0.1 + 0.2 * c);
    const std = Float32Array.from({ length: C }, (_, c) => 0.3 / (c + 1));
    const p = inp(x);
    for (let c = 0; c < C; c++) k.normalize_channel(p, B, C, HW, c, mean[c], std[c]);
    // float32 subtraction then float32 division: the float64 results of each step rounded to float32
    const exact = Float32Array.from(x, (v, j) => Math.fround(Math.fround(v - mean[Math.floor(j / HW) % C]) / std[Math.floor(j / HW) % C]));
    expect(get(p, x.length)).toEqual(exact);
    const ref = normalize_ref(x, B, C, HW, mean, std);
    const got = get(p, x.length);
    for (let j = 0; j < ref.length; j++) expect(Math.abs(got[j] - ref[j])).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(ref[j])));
  });

  it('augment_sample draws the documented shift and flip for (seed, epoch, sample), uniform over all of them', () => {
    const [C, H, W, pad] = [2, 5, 6, 2];
    const x = rng(5).uniform(C * H * W, -1, 1);
    const p = inp(new Float32Array(C * H * W));
    const seen = new Set<string>();
    let flips = 0;
    const N = 400;
    for (let sample = 0; sample < N; sample++) {
      const [lo, hi, epoch] = [sample % 3 === 0 ? 7 : 0xfffffff0, sample % 5, sample % 4];
      const d = augment_draw_ref(pad, lo, hi, epoch, sample);
      rtArena.f32(p, x.length).set(x);
      k.augment_sample(p, C, H, W, pad, 1, lo, hi, epoch, sample);
      expect(get(p, x.length)).toEqual(Float32Array.from(crop_flip_ref(x, C, H, W, d.dy, d.dx, d.flip)));
      // flip off: the same shift, never mirrored
      rtArena.f32(p, x.length).set(x);
      k.augment_sample(p, C, H, W, pad, 0, lo, hi, epoch, sample);
      expect(get(p, x.length)).toEqual(Float32Array.from(crop_flip_ref(x, C, H, W, d.dy, d.dx, false)));
      seen.add(`${d.dy},${d.dx}`);
      flips += d.flip ? 1 : 0;
    }
    expect(seen.size).toBe((2 * pad + 1) ** 2);
    expect(flips).toBeGreaterThan(N * 0.4);
    expect(flips).toBeLessThan(N * 0.6);
    // padding 0: no shift
    expect(augment_draw_ref(0, 1, 2, 3, 4)).toMatchObject({ dy: 0, dx: 0 });
  });
});

/** A [C, H, W] dataset of n samples (float32 in [0, 1], exactly representable as bytes / 255), labels mod classes. */
function images(n: number, C: number, H: number, W: number, seed: number): { f32: Dataset; u8: Dataset<Uint8Array> } {
  const b = bytes(n * C * H * W, seed);
  const labels = Uint8Array.from({ length: n }, (_, i) => (b[i * C * H * W] + i) % 4);
  return {
    f32: { images: Float32Array.from(b, (v) => v / 255), labels, count: n, shape: [C, H, W], classes: 4 },
    u8: { images: b, labels, count: n, shape: [C, H, W], classes: 4 },
  };
}

describe('batches: per-sample draws', () => {
  it('a sample gets the same crop and flip in any batch, at any position; another epoch draws anew', () => {
    const [C, H, W] = [3, 6, 5];
    const n = C * H * W;
    const { f32 } = images(10, C, H, W, 3);
    const aug = checkAugment({ padding: 2, flip: true }, [C, H, W], 11, 0)!;
    const norm = checkNormalize({ mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }, [C, H, W], 'test');
    const input = inp(new Float32Array(4 * n));
    const labels = inp(new Float32Array(4));
    const rowOf = (perm: number[], s: number, B: number, row: number) => {
      loadShuffled(k, rtArena, input, labels, f32, n, Int32Array.from(perm), s, B, { values: false, width: 4, classes: 4 }, { augment: aug, normalize: norm });
      return get(input + 4 * row * n, n);
    };
    const alone = rowOf([7], 0, 1, 0);
    expect(rowOf([2, 7, 1, 4], 0, 4, 1)).toEqual(alone);
    expect(rowOf([0, 1, 5, 9, 3, 7], 2, 4, 3)).toEqual(alone);
    // the reference: crop/flip of sample 7's drawn shift, then normalization, in float32
    const d = augment_draw_ref(2, 11, 0, 0, 7);
    const cropped = Float32Array.from(crop_flip_ref(f32.images.subarray(7 * n, 8 * n), C, H, W, d.dy, d.dx, d.flip));
    const mean = [0.5, 0.4, 0.3].map(Math.fround), std = [0.2, 0.25, 0.3].map(Math.fround);
    expect(alone).toEqual(Float32Array.from(cropped, (v, j) => Math.fround(Math.fround(v - mean[Math.floor(j / (H * W))]) / std[Math.floor(j / (H * W))])));
    aug.epoch = 1;
    const next = rowOf([7], 0, 1, 0);
    aug.epoch = 0;
    const draws = [0, 1].map((e) => augment_draw_ref(2, 11, 0, e, 7));
    if (JSON.stringify(draws[0]) !== JSON.stringify(draws[1])) expect(next).not.toEqual(alone);
  });
});

const cnn = (C: number, side: number, seed = 3) => new Sequential([
  new Conv2D(C, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(4 * (side >> 1) * (side >> 1), 4),
], { seed, inputShape: [C, side, side] });

async function train(ds: Dataset<Float32Array | Uint8Array>, opts: Record<string, unknown>, seed = 3) {
  const m = cnn(ds.shape[0], ds.shape[1], seed);
  const opt = new SGD(m, { lr: 0.05 });
  const losses: number[] = [];
  await m.fit(ds, { optimizer: opt, epochs: 2, batchSize: 7, seed: 5, onBatchEnd: (e) => { losses.push(e.loss); }, ...opts });
  const out = { hash: hashArrays(m.getWeights()), losses, weights: m.getWeights() };
  m.dispose();
  return out;
}

describe('fit, evaluate and predict with augment and normalize', () => {
  const { f32 } = images(30, 3, 8, 8, 21);
  const normalize = { mean: [0.45, 0.5, 0.55], std: [0.25, 0.2, 0.3] };

  it('a fit with augment and normalize replays bit for bit; another seed or no augment differs', async () => {
    const a = await train(f32, { augment: { padding: 2, flip: true }, normalize });
    const b = await train(f32, { augment: { padding: 2, flip: true }, normalize });
    expect(b.hash).toBe(a.hash);
    expect(b.losses).toEqual(a.losses);
    expect((await train(f32, { augment: { padding: 2, flip: true }, normalize, seed: 6 })).hash).not.toBe(a.hash);
    expect((await train(f32, { normalize })).hash).not.toBe(a.hash);
    // a no-op augment is no augment
    expect((await train(f32, { augment: { padding: 0, flip: false } })).hash).toBe((await train(f32, {})).hash);
  });

  it('normalize in wasm trains exactly as data normalized beforehand (float32 (x - mean) / std)', async () => {
    const C = 3, HW = 64;
    const pre = Float32Array.from(f32.images, (v, j) => {
      const c = Math.floor(j / HW) % C;
      return Math.fround(Math.fround(v - Math.fround(normalize.mean[c])) / Math.fround(normalize.std[c]));
    });
    const a = await train(f32, { normalize, validation: f32 });
    const b = await train({ ...f32, images: pre }, { validation: { ...f32, images: pre } });
    expect(a.hash).toBe(b.hash);
    // evaluate and predict take the same option
    const m = cnn(3, 8);
    const viaOption = m.evaluate(f32, { normalize });
    expect(m.evaluate({ ...f32, images: pre })).toEqual(viaOption);
    const x = f32.images.subarray(0, 5 * 192);
    const want = m.predict(pre.subarray(0, 5 * 192));
    expect(m.predict(x, { normalize })).toEqual(want);
    expect(m.predict(x, 5, { normalize })).toEqual(want);
    expect(m.predict(x, undefined, { normalize })).toEqual(want);
    expect(m.predictProba(x, { normalize })).toEqual(m.predictProba(pre.subarray(0, 5 * 192)));
    expect(m.predict(x, 5)).not.toEqual(want); // the old signature still works, unnormalized
    m.dispose();
  });

  it('bad options are refused up front with the expected form, the model unchanged', async () => {
    const m = cnn(3, 8);
    const opt = new SGD(m, { lr: 0.05 });
    const before = hashArrays(m.getWeights());
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ augment: { padding: -1 } }, /augment\.padding must be a non-negative integer.*got -1/],
      [{ augment: { padding: 1.5 } }, /augment\.padding must be a non-negative integer/],
      [{ augment: { padding: '4' } }, /augment\.padding must be a non-negative integer.*got string/],
      [{ augment: { flip: 'yes' } }, /augment\.flip must be a boolean/],
      [{ augment: { pad: 4 } }, /augment: unknown option 'pad' \(known: padding, flip\)/],
      [{ augment: 4 }, /augment must be an object \{ padding\?: number, flip\?: boolean \}/],
      [{ normalize: { mean: [0.5], std: [0.2, 0.2, 0.2] } }, /normalize\.mean has 1 value; expected 3, one per channel of input shape \[3, 8, 8\]/],
      [{ normalize: { mean: [0, 0, 0], std: [1, 0, 1] } }, /normalize\.std\[1\] must be a positive finite number.*got 0/],
      [{ normalize: { mean: [0, 0, 0], std: [1, 1, -2] } }, /normalize\.std\[2\] must be a positive/],
      [{ normalize: { mean: [0, 0, 0], std: [1, 1e-50, 1] } }, /normalize\.std\[1\] must be a positive finite number \(in float32/],
      [{ normalize: { mean: [0, NaN, 0], std: [1, 1, 1] } }, /normalize\.mean\[1\] must be a finite number, got NaN/],
      [{ normalize: { mean: [0, 0, 1e39], std: [1, 1, 1] } }, /normalize\.mean\[2\] must be a finite number/],
      [{ normalize: { mean: '0.5', std: [1, 1, 1] } }, /normalize\.mean must be an array of 3 numbers/],
      [{ normalize: [0.5, 0.2] }, /normalize must be \{ mean: number\[\], std: number\[\] \} with 3 values each/],
      [{ normalize: { mean: [0, 0, 0], std: [1, 1, 1], eps: 1 } }, /normalize: unknown option 'eps'/],
      [{ augment: { padding: 1 }, normalize: { mean: [3e38, 0, 0], std: [1e-10, 1, 1] } }, /zero padding.*overflows float32 in channel 0/],
    ];
    for (const [o, msg] of cases) {
      const e = await m.fit(f32, { optimizer: opt, ...o }).then(() => null, (err: Error) => err);
      expect(e, JSON.stringify(o)).toBeInstanceOf(ArgumentError);
      expect(e!.message).toMatch(msg);
      expect(e!.message).toMatch(/^fit: /);
    }
    expect(opt.t).toBe(0);
    expect(hashArrays(m.getWeights())).toBe(before);
    expect(() => m.evaluate(f32, { augment: { flip: true } } as never)).toThrow(/evaluate: augment is a fit\(\) option/);
    expect(() => m.predict(f32.images.subarray(0, 192), { augment: { flip: true } } as never)).toThrow(/predict: augment is a fit\(\) option/);
    expect(() => m.evaluate(f32, { normalize: { mean: [0], std: [1] } })).toThrow(/evaluate: normalize\.mean has 1 value; expected 3/);
    expect(() => m.predict(f32.images.subarray(0, 192), { normalize }, { normalize })).toThrow(/predict: options given twice/);
    m.dispose();
    // augment needs [C, H, W] inputs
    const mlp = new Sequential([new Dense(6, 3)], { seed: 1 });
    const flat: Dataset = { images: new Float32Array(12), labels: new Uint8Array(2), count: 2, shape: [6], classes: 3 };
    await expect(mlp.fit(flat, { optimizer: new SGD(mlp, { lr: 0.1 }), augment: { flip: true } })).rejects.toThrow(/augment crops and flips images: it needs a model whose input shape is \[C, H, W\], got \[6\]/);
    // flat inputs have one channel for normalize
    await mlp.fit(flat, { optimizer: new SGD(mlp, { lr: 0.1 }), normalize: { mean: [0.5], std: [2] } });
    mlp.dispose();
  });

  it('a value that normalization overflows fails before the first step, naming the sample', async () => {
    const m = cnn(3, 8);
    const opt = new SGD(m, { lr: 0.05 });
    const images = f32.images.slice();
    images[17 * 192 + 10] = 3e38; // channel 0
    const e = await m.fit({ ...f32, images }, { optimizer: opt, normalize: { mean: [-3e38, 0, 0], std: [1, 1, 1] } }).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ShapeError);
    expect(e!.message).toMatch(/fit: sample 17 overflows float32 when normalized/);
    expect(opt.t).toBe(0);
    m.dispose();
  });
});
