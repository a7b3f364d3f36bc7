// The thread pool of the threads build (shared memory, one wasm instance per worker). Only GEMM is
// split: C is cut into column ranges (multiples of the 8-wide panel), each computed by exactly one
// thread with the same per-element summation chain as the single-thread kernel, so results are
// bit-identical for any thread count. The caller (thread 0) spins while it waits, so it may be a
// browser main thread (where atomic waits trap); workers sleep in atomic.wait between jobs.
//
// Pool block (i32 fields, 64 bytes, owned by TypeScript):
//   0 gen: job generation (workers wake when it changes)   4 pending: workers still busy
//   8 kind  12 c  16 a  20 b  24 M  28 N  32 K  36 accumulate
//   40 threads  44 scratch base of worker 1  48 scratch bytes per worker  52 exit flag
import { gemm_cols } from './gemm';

// Set once per instance by TypeScript (configuration, not kernel state): 0 = no pool.
let poolPtr: usize = 0;

/** Attaches this (main) instance to a pool block; 0 detaches. */
export function pool_attach(pool: usize): void {
  poolPtr = pool;
}

// @ts-ignore: decorator
@inline function colSplit(N: i32, T: i32, t: i32): i32 {
  if (t >= T) return N;
  const panels = (N + 7) >> 3;
  return min(N, ((panels * t) / T) << 3);
}

/** Runs a GEMM on the pool if one is attached and the job is large enough; false = caller computes it. */
export function parallel_gemm(kind: i32, c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): bool {
  if (!ASC_FEATURE_THREADS) return false;
  const p = poolPtr;
  if (p == 0) return false;
  const T = load<i32>(p + 40);
  if (T < 2 || N < 16 || <i64>M * <i64>N * <i64>K < 32768) return false;
  store<i32>(p + 8, kind);
  store<i32>(p + 12, <i32>c);
  store<i32>(p + 16, <i32>a);
  store<i32>(p + 20, <i32>b);
  store<i32>(p + 24, M);
  store<i32>(p + 28, N);
  store<i32>(p + 32, K);
  store<i32>(p + 36, accumulate);
  if (ASC_FEATURE_THREADS) {
    atomic.store<i32>(p + 4, T - 1);
    atomic.add<i32>(p, 1);
    atomic.notify(p, T - 1);
  }
  gemm_cols(kind, c, a, b, M, N, K, accumulate, scratch, 0, colSplit(N, T, 1));
  if (ASC_FEATURE_THREADS) {
    while (atomic.load<i32>(p + 4) != 0) { /* spin: the other threads finish their columns */ }
  }
  return true;
}

/** Worker loop: waits for jobs on the pool block and computes column range `tid`; returns on exit. */
export function worker_run(p: usize, tid: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  if (ASC_FEATURE_THREADS) {
    let seen = atomic.load<i32>(p);
    while (true) {
      while (atomic.load<i32>(p) == seen) atomic.wait<i32>(p, seen, -1);
      seen++;
      if (load<i32>(p + 52) != 0) return;
      const T = load<i32>(p + 40);
      const N = load<i32>(p + 28);
      const scratch = <usize>load<i32>(p + 44) + <usize>(tid - 1) * <usize>load<i32>(p + 48);
      gemm_cols(load<i32>(p + 8), <usize>load<i32>(p + 12), <usize>load<i32>(p + 16), <usize>load<i32>(p + 20),
        load<i32>(p + 24), N, load<i32>(p + 32), load<i32>(p + 36), scratch, colSplit(N, T, tid), colSplit(N, T, tid + 1));
      atomic.sub<i32>(p + 4, 1);
    }
  }
}

/** Bytes of scratch each worker needs (the largest GEMM packing buffers). */
export function pool_worker_scratch_bytes(): i32 {
  return (256 * 256 + 128 * 256 + 32) << 2;
}
