// JS heap during a long training run (Node only: process.memoryUsage). A training step must not
// retain JS objects: after 10,000 steps the heap is back to where it was, within noise. With
// `node --expose-gc` (globalThis.gc) the bound is tight; otherwise a generous one.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, Adam } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (gc) { gc(); gc(); }
  return process.memoryUsage().heapUsed;
}

describe('JS heap (node)', () => {
  beforeAll(runtime);

  it('10,000 training steps of a 32-16-4 MLP do not grow the JS heap', () => {
    const m = new Sequential([new Dense(32, 16), new ReLU(), new Dense(16, 4)], { seed: 5 });
    const o = new Adam(m, { lr: 1e-3 });
    const r = rng(2);
    const batches = Array.from({ length: 16 }, () => ({ x: r.uniform(8 * 32), y: Uint8Array.from(r.int(8, 4)) }));
    for (let i = 0; i < 500; i++) m.trainBatch(batches[i % 16].x, batches[i % 16].y, o); // warm up (JIT, first allocations)
    const before = heapUsed();
    let peak = before;
    for (let step = 0; step < 10000; step++) {
      const b = batches[step % 16];
      m.trainBatch(b.x, b.y, o);
      if (step % 1000 === 999) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    const after = heapUsed();
    const bound = gc ? 1 << 20 : 32 << 20; // 1 MiB with a forced gc, 32 MiB without
    console.log(`JS heap: ${(before / 1048576).toFixed(1)} MiB -> ${(after / 1048576).toFixed(1)} MiB (peak ${(peak / 1048576).toFixed(1)}), gc ${gc ? 'forced' : 'not available'}`);
    expect(after - before).toBeLessThan(bound);
    m.dispose();
  });
});
