// The elementwise jobs of the thread pool (optimizer updates, the step guard's copies and
// finiteness checks, split by element ranges above 65,536 elements) give the same bits as one
// thread: every kernel runs with the pool attached and detached on the same inputs, at sizes
// around the split threshold and odd tails. Node and Chromium (a cross-origin isolated page).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, shutdown, getRuntime, type Kernels } from '../../src/index.js';
import { rng, hashArrays } from '../helpers.js';

let k: Kernels & { pool_attach(p: number): void };
let poolPtr = 0;

beforeAll(async () => {
  await shutdown();
  const rt = await init({ threads: 2 });
  k = rt.kernels as typeof k;
  poolPtr = rt.arena.liveBlocks().find((b) => b.what === 'thread pool block')?.ptr ?? 0;
});
afterAll(async () => { await shutdown(); });

/** Runs `body` on fresh copies of `inputs` with the pool attached, then detached; returns both hashes. */
function bothWays(inputs: Float32Array[], body: (ptrs: number[]) => number | void): [string, string] {
  const { arena } = getRuntime();
  const run = (attached: boolean) => {
    const ptrs = inputs.map((a) => { const p = arena.alloc(a.length * 4 + 16); arena.f32(p, a.length).set(a); return p; });
    if (!attached) k.pool_attach(0);
    let r: number | void;
    try { r = body(ptrs); } finally { if (!attached) k.pool_attach(poolPtr); }
    const out = ptrs.map((p, i) => arena.f32(p, inputs[i].length).slice());
    ptrs.forEach((p) => arena.release(p));
    return `${hashArrays(out)} ${r ?? ''}`;
  };
  return [run(true), run(false)];
}

describe('elementwise jobs split over the pool', () => {
  it('a pool of 2 threads is attached', () => {
    const rt = getRuntime();
    if (rt.threads < 2) return; // a page that is not cross-origin isolated runs one thread: nothing to split
    expect(poolPtr).toBeGreaterThan(0);
  });

  for (const n of [65535, 65536, 65537, 100003, 262147]) {
    it(`n = ${n}: sgd, momentum (Nesterov or not), Adam and AdamW, copy and first_nonfinite give the one-thread bits`, () => {
      const r = rng(n);
      const w = r.uniform(n, -1, 1), g = r.uniform(n, -1, 1), m = r.uniform(n, -0.1, 0.1), v = r.uniform(n, 0, 0.01);
      const cases: [string, Float32Array[], (p: number[]) => number | void][] = [
        ['sgd', [w, g], (p) => k.sgd_update(p[0], p[1], n, 0.05, 1e-4)],
        ['momentum', [w, m, g], (p) => k.momentum_update(p[0], p[1], p[2], n, 0.05, 0.9, 1e-4, 0)],
        ['nesterov', [w, m, g], (p) => k.momentum_update(p[0], p[1], p[2], n, 0.05, 0.9, 0, 1)],
        ['adam', [w, m, v, g], (p) => k.adam_update(p[0], p[1], p[2], p[3], n, 1e-3, 0.9, 0.999, 1e-8, 1e-2, 0, 7)],
        ['adamw', [w, m, v, g], (p) => k.adam_update(p[0], p[1], p[2], p[3], n, 1e-3, 0.9, 0.999, 1e-8, 1e-2, 1, 2 ** 33)],
        ['copy', [w, g], (p) => k.copy_bytes(p[1], p[0], n * 4)],
        // overlapping ranges (memmove): must not be split
        ['overlapping copy', [w], (p) => k.copy_bytes(p[0] + 28, p[0], (n - 7) * 4)],
        ['finite', [w], (p) => k.first_nonfinite(p[0], n)],
      ];
      for (const at of [5, Math.floor(n / 2) + 3, n - 1]) {
        const bad = w.slice();
        bad[at] = at % 2 ? NaN : -Infinity;
        cases.push([`nonfinite at ${at}`, [bad], (p) => k.first_nonfinite(p[0], n)]);
      }
      for (const [name, inputs, body] of cases) {
        const [two, one] = bothWays(inputs, body);
        expect(two, name).toBe(one);
      }
    });
  }
});
