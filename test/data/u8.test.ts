// Compact datasets: images stored as bytes (Uint8Array) are scaled to exactly v / 255 in float32 in
// wasm per batch, so fit, validation and evaluate on a byte dataset give bit for bit what they give
// on the same data as a Float32Array of the scaled values; limit() and checkDataset take either.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Conv2D, ReLU, MaxPool2D, Flatten, Dense, SGD, Adam, limit, ShapeError, type Dataset, type DatasetImages,
} from '../../src/index.js';
import { checkDataset } from '../../src/data/dataset.js';
import { runtime, rng, hashArrays } from '../helpers.js';

beforeAll(runtime);

function pair(n: number, shape: number[], classes: number, seed: number): { u8: Dataset<Uint8Array>; f32: Dataset } {
  const per = shape.reduce((a, b) => a * b, 1);
  const r = rng(seed);
  const images = Uint8Array.from({ length: n * per }, () => Math.floor(r.next() * 256));
  const labels = Uint8Array.from({ length: n }, (_, i) => (images[i * per] + images[i * per + 1] + i) % classes);
  return {
    u8: { images, labels, count: n, shape, classes },
    f32: { images: Float32Array.from(images, (v) => v / 255), labels, count: n, shape, classes },
  };
}

async function run(ds: Dataset<DatasetImages>, val: Dataset<DatasetImages>, build: () => Sequential, opts: Record<string, unknown> = {}) {
  const m = build();
  const opt = new Adam(m, { lr: 0.01 });
  const res = await m.fit(ds, { optimizer: opt, epochs: 2, batchSize: 9, seed: 2, validation: val, ...opts });
  const out = { hash: hashArrays(m.getWeights()), history: res.history.map((h) => [h.loss, h.valLoss, h.valAccuracy]), evaluate: m.evaluate(val, { batchSize: 7 }) };
  m.dispose();
  return out;
}

const cnn = () => new Sequential([
  new Conv2D(3, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(4 * 5 * 5, 5),
], { seed: 8, inputShape: [3, 10, 10] });
const mlp = () => new Sequential([new Dense(20, 12), new ReLU(), new Dense(12, 3)], { seed: 8 });

describe('Uint8Array datasets', () => {
  it('a CNN trains, validates and evaluates bit for bit as on the float32 values v / 255 (also with augment and normalize)', async () => {
    const train = pair(41, [3, 10, 10], 5, 1);
    const val = pair(13, [3, 10, 10], 5, 2);
    const a = await run(train.u8, val.u8, cnn);
    const b = await run(train.f32, val.f32, cnn);
    expect(a).toEqual(b);
    expect(a.history.every((h) => h.every(Number.isFinite))).toBe(true);
    const opts = { augment: { padding: 3, flip: true }, normalize: { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] } };
    const c = await run(train.u8, val.u8, cnn, opts);
    expect(c).toEqual(await run(train.f32, val.f32, cnn, opts));
    expect(c.hash).not.toBe(a.hash);
    // without shuffling (whole runs of consecutive samples are copied at once)
    expect(await run(train.u8, val.u8, cnn, { shuffle: false })).toEqual(await run(train.f32, val.f32, cnn, { shuffle: false }));
  });

  it('flat inputs (an MLP) and a mixed pair (byte training data, float32 validation)', async () => {
    const train = pair(50, [20], 3, 3);
    const val = pair(11, [20], 3, 4);
    const a = await run(train.u8, val.f32, mlp);
    expect(a).toEqual(await run(train.f32, val.u8, mlp));
  });

  it('limit() keeps the bytes (a view); checkDataset names the accepted types', () => {
    const { u8 } = pair(10, [2, 2, 2], 2, 5);
    const l = limit(u8, 4);
    expect(l.images).toBeInstanceOf(Uint8Array);
    expect(l.images.length).toBe(32);
    expect(l.images.buffer).toBe(u8.images.buffer);
    expect(checkDataset(u8, 'fit', 8).count).toBe(10);
    expect(() => checkDataset({ ...u8, images: new Int16Array(80) }, 'fit', 8)).toThrow(/fit: images must be a Float32Array or a Uint8Array \(bytes 0\.\.255\), got Int16Array\(80\)/);
    expect(() => checkDataset({ ...u8, images: new Uint8Array(79) }, 'fit', 8)).toThrow(/images has 79 values, expected count × sample size = 10 × 8 = 80/);
  });

  it('a bad label in a byte dataset is found before the first step', async () => {
    const { u8 } = pair(30, [20], 3, 6);
    const labels = u8.labels.slice();
    labels[29] = 3;
    const m = mlp();
    const opt = new SGD(m, { lr: 0.1 });
    const e = await m.fit({ ...u8, labels }, { optimizer: opt, batchSize: 8 }).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ShapeError);
    expect(e!.message).toMatch(/fit: label 3 of sample 29 is not a class index in \[0, 3\)/);
    expect(opt.t).toBe(0);
    expect(() => m.evaluate({ ...u8, labels })).toThrow(/evaluate: label 3 at index 29/);
    m.dispose();
  });
});
