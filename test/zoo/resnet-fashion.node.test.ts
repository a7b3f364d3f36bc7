// ResNet-8 and PlainNet-8 on real Fashion-MNIST (the first 5,000 training images, 2 epochs, Momentum):
// each must reach at least 75% test accuracy on the first 2,000 test images. Node only (about a
// minute and a half each on one core of this machine).
import { describe, it, expect, beforeAll } from 'vitest';
import { resnet, plainnet, loadFashionMNIST, limit, Momentum, type Dataset } from '../../src/index.js';
import { runtime } from '../helpers.js';

let train: Dataset, test: Dataset;
beforeAll(async () => {
  await runtime();
  const d = await loadFashionMNIST();
  train = limit(d.train, 5000);
  test = limit(d.test, 2000);
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
});
