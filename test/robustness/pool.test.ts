// The runtime's life cycle and the thread pool's failure handling, in Node and in Chromium (the test
// page is cross-origin isolated, so threads work there too): init options (thread cap, concurrent
// calls, the debug threads build), shutdown() and re-init, and a trapping pool worker that must
// surface as an error on the caller's thread while the pool stays usable with the same bits.
import { describe, it, expect, afterEach } from 'vitest';
import {
  init, getRuntime, shutdown, MAX_THREADS, ArgumentError, Sequential, Dense, ReLU, Adam, type Runtime,
} from '../../src/index.js';
import { rng, hashArrays } from '../helpers.js';

/** A few Adam steps on an MLP whose GEMMs (48x96x64 and up) are split over the pool; weight hash and losses. */
function train(steps = 4): { hash: string; losses: number[] } {
  const m = new Sequential([new Dense(64, 96), new ReLU(), new Dense(96, 80), new ReLU(), new Dense(80, 10)], { seed: 3 });
  const o = new Adam(m, { lr: 1e-3 });
  const r = rng(99);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(m.trainBatch(r.uniform(48 * 64), r.int(48, 10), o));
  const hash = hashArrays(m.getWeights());
  m.dispose();
  return { hash, losses };
}

// every test starts from nothing and leaves nothing behind
afterEach(async () => { await shutdown(); });

describe('init options', () => {
  it('caps threads at MAX_THREADS (32) and says so in runtime.note; the bits do not change', async () => {
    expect(MAX_THREADS).toBe(32);
    const rt = await init({ threads: 10000 });
    expect(rt.threads).toBe(32);
    expect(rt.note).toMatch(/asked for 10000 threads; capped at 32/);
    const wide = train(2);
    await shutdown();
    await init({ threads: 1 });
    expect(train(2)).toEqual(wide);
  });

  it('rejects threads that are not positive integers', async () => {
    for (const t of [0, -1, 1.5, NaN]) await expect(init({ threads: t })).rejects.toThrow(ArgumentError);
  });

  it('concurrent init() calls with the same options share one initialisation', async () => {
    const [a, b, c] = await Promise.all([init({ threads: 2 }), init({ threads: 2 }), init({ threads: 2 })]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(getRuntime()).toBe(a);
    expect(a.threads).toBe(2);
  });

  it('a concurrent init() with another thread count or build rejects with ArgumentError, as a sequential one does', async () => {
    const first = init({ threads: 2 });
    const other = init({ threads: 3 });
    const debug = init({ debug: true });
    await expect(other).rejects.toThrow(ArgumentError);
    await expect(other).rejects.toThrow(/2 thread/);
    await expect(debug).rejects.toThrow(ArgumentError);
    const rt = await first;
    expect(rt.threads).toBe(2);
    // sequential: the same answers
    await expect(init({ threads: 3 })).rejects.toThrow(ArgumentError);
    await expect(init({ debug: true })).rejects.toThrow(ArgumentError);
    expect(await init({ threads: 2 })).toBe(rt);
  });

  it('init({ debug: true, threads: 2 }) runs the debug threads build on 2 threads with the release bits', async () => {
    await init({ threads: 1 });
    const release = train();
    await shutdown();
    const rt = await init({ debug: true, threads: 2 });
    expect(rt.build).toBe('threads-debug');
    expect(rt.threads).toBe(2);
    expect(rt.note).toBeUndefined();
    expect(train()).toEqual(release);
  });

  it('init({ debug: true }) alone still runs the single-thread debug build; init() the release build', async () => {
    const d = await init({ debug: true });
    expect(d.build).toBe('debug');
    expect(d.threads).toBe(1);
    await shutdown();
    const r = await init({ threads: 1 });
    expect(r.build).toBe('release');
  });
});

describe('shutdown()', () => {
  it('resolves when nothing is initialised (twice)', async () => {
    await shutdown();
    await shutdown();
    expect(() => getRuntime()).toThrow(/init/);
  });

  it('init threads 2 -> train -> shutdown -> init threads 1 -> train: same bits; the old arena is closed', async () => {
    const a = await init({ threads: 2 });
    const two = train();
    const m = new Sequential([new Dense(4, 3)], { seed: 1 });
    await shutdown();
    expect(a.arena.isOpen).toBe(false);
    expect(() => a.arena.alloc(16)).toThrow(/shut down/);
    expect(() => getRuntime()).toThrow(/init/);
    const b = await init({ threads: 1 });
    expect(b).not.toBe(a);
    expect(b.threads).toBe(1);
    expect(b.arena.isOpen).toBe(true);
    expect(train()).toEqual(two);
    void m;
  });

  it('init -> shutdown -> init({ debug: true }) works (another build after shutdown)', async () => {
    await init({ threads: 2 });
    await shutdown();
    const d = await init({ debug: true });
    expect(d.build).toBe('debug');
    expect(train().losses.every(Number.isFinite)).toBe(true);
  });

  it('shutdown() while init() is loading waits for it, then shuts it down', async () => {
    const loading = init({ threads: 2 });
    const done = shutdown();
    const rt = await loading;
    await done;
    expect(rt.arena.isOpen).toBe(false);
    expect(() => getRuntime()).toThrow(/init/);
    const again = await init({ threads: 3 });
    expect(again.threads).toBe(3);
    expect(train().losses.every(Number.isFinite)).toBe(true);
  });

  it('the old kernels no longer use the stopped pool (a large GEMM on them does not hang)', async () => {
    const rt = await init({ threads: 2 });
    const k = rt.kernels;
    const M = 8, N = 64, K = 512;
    const a = rt.arena.alloc(M * K * 4), b = rt.arena.alloc(K * N * 4), c = rt.arena.alloc(M * N * 4);
    const scratch = rt.arena.alloc(k.gemm_scratch_bytes(M, N, K));
    rt.arena.f32(a, M * K).fill(1);
    rt.arena.f32(b, K * N).fill(2);
    await shutdown();
    k.gemm_nn(c, a, b, M, N, K, 0, scratch); // runs on this thread alone
    expect(Array.from(new Float32Array(k.memory.buffer, c, M * N)).every((v) => v === 1024)).toBe(true);
  });
});

describe('a trapping pool worker', () => {
  /** A GEMM whose second share (columns 32..63) is beyond linear memory: share 0 (0..31) fits. */
  function outOfBoundsGemm(rt: Runtime): () => void {
    const k = rt.kernels, mem = k.memory;
    const M = 1, N = 64, K = 2048; // 131072 multiply-adds: split over 2 threads by 8-column panels (2^16 each at least)
    const a = rt.arena.alloc(K * 4), b = rt.arena.alloc(K * N * 4), scratch = rt.arena.alloc(k.gemm_scratch_bytes(M, N, K));
    return () => {
      mem.grow(1); // a fresh last page nobody owns (training in between may have used the last one)
      k.gemm_nn(mem.buffer.byteLength - 32 * 4, a, b, M, N, K, 0, scratch);
    };
  }

  it('throws on the caller naming the kernel and the thread that trapped; the pool keeps training with the same bits', async () => {
    const rt = await init({ threads: 2 });
    const before = train();
    const bad = outOfBoundsGemm(rt);
    // Shares are claimed by whichever thread gets there first (the caller takes a sleeping or late
    // worker's share), so the trapping share runs on worker 1 or on the caller: both must surface
    // the same way, and the pool must survive either, many times over.
    const who = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      let err: Error | null = null;
      try { bad(); } catch (e) { err = e as Error; }
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/gemm_nn/);
      const m = /(pool worker 1|the main thread \(the caller\)) trapped/.exec(err!.message);
      expect(m, err!.message).not.toBeNull();
      who.set(m![1], (who.get(m![1]) ?? 0) + 1);
      expect(err!.message).toMatch(/still usable/);
      expect(train()).toEqual(before);
    }
    console.log(`trapping share ran on: ${[...who].map(([k, n]) => `${k} x${n}`).join(', ')}`);
  });

  it('a trap on the main thread (its own share out of bounds) is reported as such, after the workers are done', async () => {
    const rt = await init({ threads: 2 });
    const before = train();
    const k = rt.kernels, mem = k.memory;
    const M = 1, N = 64, K = 2048;
    const a = rt.arena.alloc(K * 4), b = rt.arena.alloc(K * N * 4), scratch = rt.arena.alloc(k.gemm_scratch_bytes(M, N, K));
    const c = mem.buffer.byteLength + 4096; // everything out of bounds: both threads trap
    expect(() => k.gemm_nn(c, a, b, M, N, K, 0, scratch)).toThrow(/gemm_nn.*(main thread|pool worker)/s);
    expect(train()).toEqual(before);
  });
});
