// Real MNIST training (Node and Chromium): an MLP must reach >= 92% test accuracy, and training
// steps must not allocate or grow memory after the first one.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, Momentum, SGD, getRuntime } from '../src/index.js';
import { runtime } from './helpers.js';
import { loadMNISTForTests } from './mnist.js';

describe('training on real MNIST', () => {
  beforeAll(runtime);

  it('an MLP reaches >= 92% test accuracy in one epoch', async () => {
    const { train, test } = await loadMNISTForTests();
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    const model = new Sequential([new Dense(784, 64), new ReLU(), new Dense(64, 10)], { seed: 0 });
    const before = model.evaluate(test);
    expect(before.accuracy).toBeLessThan(0.3);
    const opt = new Momentum(model, { lr: 0.05, momentum: 0.9 });
    let progress = 0;
    const { history } = await model.fit(train, { epochs: 1, batchSize: 64, optimizer: opt, seed: 0, onProgress: () => { progress++; } });
    expect(progress).toBe(Math.ceil(60000 / 64));
    expect(history).toHaveLength(1);
    const after = model.evaluate(test);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.92);
    expect(after.loss).toBeLessThan(before.loss);
    model.dispose();
  });

  it('training steps allocate nothing and do not grow memory after the first step', async () => {
    const { train } = await loadMNISTForTests({ trainLimit: 2048 });
    const model = new Sequential([new Dense(784, 128), new ReLU(), new Dense(128, 10)], { seed: 3 });
    const opt = new SGD(model, { lr: 0.1 });
    const { arena } = getRuntime();
    const B = 64;
    const step = (i: number) => {
      const s = (i * B) % train.count;
      return model.trainBatch(train.images.subarray(s * 784, (s + B) * 784), train.labels.subarray(s, s + B), opt);
    };
    step(0);
    const allocs = arena.allocations;
    const bytes = arena.memoryBytes;
    const grows = arena.grows;
    for (let i = 1; i < 40; i++) step(i);
    expect(arena.allocations).toBe(allocs);
    expect(arena.grows).toBe(grows);
    expect(arena.memoryBytes).toBe(bytes);
    model.dispose();
  });

  it('disposing a model returns its memory to the arena for reuse', () => {
    const { arena } = getRuntime();
    const inUse = arena.bytesInUse;
    const m = new Sequential([new Dense(784, 256), new ReLU(), new Dense(256, 10)], { seed: 1 });
    const o = new SGD(m, { lr: 0.1 });
    m.trainBatch(new Float32Array(784 * 8), new Uint8Array(8), o);
    expect(arena.bytesInUse).toBeGreaterThan(inUse);
    const memBefore = arena.memoryBytes;
    m.dispose();
    expect(arena.bytesInUse).toBe(inUse);
    const m2 = new Sequential([new Dense(784, 256), new ReLU(), new Dense(256, 10)], { seed: 1 });
    const o2 = new SGD(m2, { lr: 0.1 });
    m2.trainBatch(new Float32Array(784 * 8), new Uint8Array(8), o2);
    expect(arena.memoryBytes).toBe(memBefore);
    m2.dispose();
  });
});
