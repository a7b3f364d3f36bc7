// Multi-core training in Node: the GEMMs are split over worker_threads, and the weights must be
// bit-identical for any thread count (in-process: pool attached vs detached; other counts: child
// processes running the built package, which `npm test` builds first).
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { init, getRuntime, shutdown } from '../src/index.js';
import { parallelRun, graphRun } from './determinism-run.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// The same workload as parallelRun, written against the built package (plain JS) for child processes.
const childScript = (threads: number) => `
import { init, Sequential, Dense, ReLU, PReLU, Adam, ECSGD, Momentum, ECAdam, Conv2D, MaxPool2D, Flatten } from ${JSON.stringify(dist)};
const rt = await init({ threads: ${threads} });
function rng(seed) { let a = seed >>> 0; const next = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  return { uniform(n, lo, hi) { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = lo + (hi - lo) * next(); return o; }, int(n, hi) { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = Math.floor(next() * hi); return o; } }; }
function hash(arrs) { let h1 = 0x811c9dc5 >>> 0, h2 = 0x01000193 >>> 0; for (const a of arrs) { const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength); for (let i = 0; i < b.length; i++) { h1 = Math.imul(h1 ^ b[i], 0x01000193) >>> 0; h2 = Math.imul(h2 ^ b[i], 0x85ebca6b) >>> 0; } } return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0'); }
const r = rng(4321); const losses = [];
const mlp = new Sequential([new Dense(64, 96), new ReLU(), new Dense(96, 80), new PReLU(), new Dense(80, 10)], { seed: 5 });
const mo = [new Adam(mlp, { lr: 1e-3 }), new ECSGD(mlp, { lr: 0.02 })];
for (let s = 0; s < 12; s++) losses.push(mlp.trainBatch(r.uniform(48 * 64, -1, 1), r.int(48, 10), mo[s % 2]));
const cnn = new Sequential([new Conv2D(1, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Conv2D(8, 16, 3, { padding: 1 }), new ReLU(), new Flatten(), new Dense(16 * 7 * 7, 10)], { seed: 5, inputShape: [1, 14, 14] });
const co = [new Momentum(cnn, { lr: 0.01 }), new ECAdam(cnn, { lr: 1e-3 })];
for (let s = 0; s < 6; s++) losses.push(cnn.trainBatch(r.uniform(16 * 196, 0, 1), r.int(16, 10), co[s % 2]));
console.log(JSON.stringify({ threads: rt.threads, result: { mlp: hash(mlp.getWeights()), cnn: hash(cnn.getWeights()), losses } }));
`;

describe('threads (Node worker_threads)', () => {
  beforeAll(async () => { await init({ threads: 2 }); });
  let reference: ReturnType<typeof parallelRun> | null = null;

  it('runs on 2 threads and gives the same bits as one thread', () => {
    const rt = getRuntime();
    expect(rt.threads).toBe(2);
    expect(rt.build).toBe('threads');
    const two = parallelRun(5);
    const graphTwo = graphRun(5);
    reference = two;
    // detach the pool: every GEMM runs on this thread only
    (rt.kernels as unknown as { pool_attach(p: number): void }).pool_attach(0);
    const one = parallelRun(5);
    expect(two).toEqual(one);
    expect(graphTwo).toEqual(graphRun(5));
    expect(two.losses.every(Number.isFinite)).toBe(true);
  });

  it('the debug threads build (after shutdown) on 3 threads gives the same bits (GEMM, conv and EC passes split)', async () => {
    expect(reference).not.toBeNull();
    await shutdown();
    const rt = await init({ debug: true, threads: 3 });
    expect(rt.build).toBe('threads-debug');
    expect(rt.threads).toBe(3);
    expect(parallelRun(5)).toEqual(reference);
    await shutdown();
  });

  it('gives identical weights with 1, 2 and 3 threads in separate processes', () => {
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const results = [1, 2, 3].map((t) => {
      const out = execFileSync(process.execPath, ['--input-type=module'], { input: childScript(t), encoding: 'utf8', env: { ...process.env, ECOPT_THREADS: '', NODE_OPTIONS: '' } });
      const parsed = JSON.parse(out.trim().split('\n').pop()!);
      expect(parsed.threads).toBe(t);
      return parsed.result;
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});
