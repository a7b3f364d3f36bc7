// The debug build with pointer checks on, threads included (Node and Chromium): kernels assert
// that every buffer they touch ends inside linear memory, every kernel pointer of a model is
// looked up in the arena (checked mode is on for debug builds), and a short chaos run (random
// create / train / save / load / dispose / injected allocation failures / aborts / worker traps)
// keeps the canary bit-identical and memory at its baseline.
import { describe, it, expect, beforeAll } from 'vitest';
import { init, getRuntime, Sequential, Dense, ReLU, SGD } from '../../src/index.js';
import { checkCounter } from '../../src/core/checked.js';
import { rng } from '../helpers.js';
import { runChaos } from './chaos.js';

beforeAll(async () => {
  await init({ debug: true, threads: 2 });
});

describe('debug build, checked mode, 2 threads where the engine has them', () => {
  it('loads the debug threads build', () => {
    const rt = getRuntime();
    expect(rt.build).toMatch(/debug/);
    if (typeof SharedArrayBuffer !== 'undefined' && (typeof window === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated)) {
      expect(rt.threads).toBe(2);
    }
  });

  it('kernels assert their bounds: a buffer past the end of memory traps instead of writing', () => {
    const { kernels, arena } = getRuntime();
    const end = arena.memoryBytes;
    expect(() => kernels.fill_f32(end - 8, 100, 1)).toThrow();
    expect(() => kernels.copy_bytes(end - 16, 64, 64)).toThrow();
    expect(() => kernels.sgd_update(end - 64, 64, 100, 0.1, 0)).toThrow();
  });

  it('every kernel call of a model goes through the pointer check', () => {
    const m = new Sequential([new Dense(6, 8), new ReLU(), new Dense(8, 3)], { seed: 2 });
    const before = checkCounter.pointers;
    const r = rng(3);
    m.trainBatch(r.uniform(4 * 6), Int32Array.from([0, 1, 2, 0]), new SGD(m, { lr: 0.1 }));
    expect(checkCounter.pointers - before).toBeGreaterThan(20);
    m.dispose();
  });

  it('a short chaos run finds no corruption, hang or leak', async () => {
    const report = await runChaos({ seed: 12, seconds: 8, threads: [getRuntime().threads], reinit: false });
    expect(report.ops).toBeGreaterThan(20);
    expect(report.violations).toEqual([]);
  });
});
