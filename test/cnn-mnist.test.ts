// Real MNIST with a small CNN (Node and Chromium): Conv2D(1,8,5,'same') -> ReLU -> MaxPool 2 ->
// Conv2D(8,16,5,'same') -> ReLU -> MaxPool 2 -> Flatten -> Dense(784,10), Momentum, batch 64.
// Training set: all 60,000 training images, one epoch (~15 s in Node); evaluated on all 10,000 test images.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, Momentum, getRuntime } from '../src/index.js';
import { runtime } from './helpers.js';
import { loadMNISTForTests } from './mnist.js';

describe('CNN on real MNIST', () => {
  beforeAll(runtime);

  it('a small CNN reaches >= 97% test accuracy after one epoch', async () => {
    const { train, test } = await loadMNISTForTests();
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    const model = new Sequential([
      new Conv2D(1, 8, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Conv2D(8, 16, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Flatten(), new Dense(16 * 7 * 7, 10),
    ], { inputShape: [1, 28, 28], seed: 0 });
    try {
      const before = model.evaluate(test);
      expect(before.accuracy).toBeLessThan(0.3);
      const opt = new Momentum(model, { lr: 0.02, momentum: 0.9 });
      const { history } = await model.fit(train, { epochs: 1, batchSize: 64, optimizer: opt, seed: 0 });
      const after = model.evaluate(test);
      console.log(`CNN MNIST: test accuracy ${(after.accuracy * 100).toFixed(2)}%, loss ${after.loss.toFixed(4)}, ` +
        `${Math.round(history[0].samplesPerSec)} samples/s, ${history[0].seconds.toFixed(1)} s`);
      expect(after.accuracy).toBeGreaterThanOrEqual(0.97);
      expect(after.loss).toBeLessThan(before.loss);
    } finally {
      model.dispose();
    }
  });

  it('CNN training steps allocate nothing after the first step', async () => {
    const { train } = await loadMNISTForTests({ trainLimit: 512 });
    const model = new Sequential([
      new Conv2D(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(4 * 14 * 14, 10),
    ], { inputShape: [1, 28, 28], seed: 1 });
    const opt = new Momentum(model, { lr: 0.01 });
    const { arena } = getRuntime();
    const B = 32;
    const step = (i: number) => {
      const s = (i * B) % train.count;
      return model.trainBatch(train.images.subarray(s * 784, (s + B) * 784), train.labels.subarray(s, s + B), opt);
    };
    try {
      step(0);
      const allocs = arena.allocations, grows = arena.grows;
      const first = step(1);
      for (let i = 2; i < 12; i++) step(i);
      expect(arena.allocations).toBe(allocs);
      expect(arena.grows).toBe(grows);
      expect(Number.isFinite(first)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
