// ResNet-8 and PlainNet-8 on real Fashion-MNIST (the first 5,000 training images, 2 epochs, Momentum):
// each must reach at least 75% test accuracy on the first 2,000 test images (about a minute and a
// half each on one core of this machine). Then the short run Chromium repeats (fashion-short.ts):
// its images and result go to test/.artifacts/ for resnet-fashion.browser.test.ts.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resnet, plainnet, loadFashionMNIST, limit, Momentum, type Dataset } from '../../src/index.js';
import { runtime } from '../helpers.js';
import { SHORT, shortRun } from './fashion-short.js';

let train: Dataset, test: Dataset;
beforeAll(async () => {
  await runtime();
  const d = await loadFashionMNIST();
  train = limit(d.train, 5000);
  test = limit(d.test, 2000);
});

/** The first n samples as a byte dataset (the package's pixels are bytes: v * 255 is exact). */
const asBytes = (ds: Dataset, n: number): Dataset<Uint8Array> => ({
  ...limit(ds, n), images: Uint8Array.from(ds.images.subarray(0, n * 784), (v) => Math.round(v * 255)),
});

describe('residual networks on Fashion-MNIST', () => {
  for (const [name, make] of [['ResNet-8', resnet], ['PlainNet-8', plainnet]] as const) {
    it(`${name}: 5,000 images, 2 epochs -> at least 75% test accuracy`, async () => {
      const m = make({ depth: 8, inputShape: [1, 28, 28], classes: 10, seed: 1 });
      const t0 = performance.now();
      await m.fit(train, { optimizer: new Momentum(m, { lr: 0.05 }), epochs: 2, batchSize: 32, seed: 1 });
      const { accuracy } = m.evaluate(test);
      console.log(`${name}: test accuracy ${(accuracy * 100).toFixed(2)}% after 2 epochs on 5,000 images (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      expect(accuracy).toBeGreaterThanOrEqual(0.75);
      m.dispose();
    }, 600_000);
  }

  it(`the short run Chromium repeats: ResNet-8 (widths 8/16/32), ${SHORT.train} images, ${SHORT.epochs} epochs -> at least 60%`, async () => {
    const tr = asBytes(train, SHORT.train), te = asBytes(test, SHORT.test);
    for (let i = 0; i < tr.images.length; i++) expect(Math.fround(tr.images[i] / 255)).toBe(train.images[i]); // exact as bytes (checked once)
    const result = await shortRun(tr, te);
    console.log(`short run: test accuracy ${(result.accuracy * 100).toFixed(2)}% (${SHORT.test} images), weights ${result.hash}`);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.6);
    mkdirSync(new URL('../.artifacts/', import.meta.url), { recursive: true });
    const b64 = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    writeFileSync(new URL('../.artifacts/fashion-short.json', import.meta.url), JSON.stringify({
      ...result, train: { images: b64(tr.images), labels: b64(Uint8Array.from(tr.labels)) }, test: { images: b64(te.images), labels: b64(Uint8Array.from(te.labels)) },
    }));
  }, 600_000);
});
