// The thread pool of the threads build (shared memory, one wasm instance per worker). GEMM: C is
// cut into column ranges (multiples of the 8-wide panel), each computed by exactly one thread with
// the same per-element summation chain as the single-thread kernel, so results are bit-identical
// for any thread count. The caller (thread 0) spins while it waits, so it may be a browser main
// thread (where atomic waits trap); workers spin briefly after a job, then sleep in atomic.wait.
//
// A job is cut into shares (one per thread for GEMMs, finer for the others) that any thread claims
// one at a time, the caller included: a worker that is asleep, late or descheduled (a busy or
// shared machine) leaves its shares to the others instead of making them wait, and each share is
// computed with the same arithmetic whoever runs it, so the bits do not depend on who did what.
//
// Conv layers also split whole samples (forward and input gradient): each sample is computed by
// one thread with the single-thread arithmetic, using that thread's share of the caller's scratch.
// Elementwise jobs (the optimizer updates, the step guard's copies and finiteness checks) split
// element ranges in multiples of 16: every element sees the same arithmetic, so any split gives
// the same bits. Range jobs (RangeOp, run by range-jobs.ts) split the other serial phases of a step the same way, each
// output element computed by one thread, every reduction kept whole on one thread in its order:
// ReLU/LeakyReLU and axpy by elements, BatchNorm by channels (in fours), the pools by (sample,
// channel) planes, Dense's bias rows by rows and its bias gradient by columns, Conv2D's filter and
// bias gradients by dW columns (or rows) with each thread unfolding only the rows it reads.
//
// Pool block: i32 slots owned by TypeScript, laid out by PoolSlot (assembly/abi.ts). A worker trap:
// src/pool-worker.js catches it, stores tid+1 in Fault, still counts the job done and re-enters
// worker_run; the caller's join sees Fault after every worker is done, clears it and traps in turn,
// so the error surfaces on the caller's thread.
import { PoolSlot } from './abi';
import { gemm_cols } from './gemm';
import { conv_forward_range, conv_dx_range } from './conv2d';
import { ec_rows } from './ec';
import { RangeOp, range_share } from './range-jobs';
import { sgd_range, momentum_range, adam_range } from './optimizer';
import { copy_range, first_nonfinite_range } from './util';

/** Pool job kinds beyond the GEMM kinds 0..2 (PoolSlot.Kind); internal to the kernels. */
export enum Job {
  ConvFwd = 10,
  ConvDx = 11,
  ECRows = 12,
  Elementwise = 13,
  Range = 14,
}

/** Elementwise job operations (PoolSlot.ElemOp); internal to the kernels. */
export enum ElemOp {
  SGD = 0,
  Momentum = 1,
  Adam = 2,
  Copy = 3,
  FirstNonfinite = 4,
}

// Byte address of slot s of the pool block at p.
// @ts-ignore: decorator
@inline function at(p: usize, s: i32): usize { return p + (<usize>s << 2); }

// Minimum work per thread (below it the dispatch costs more than the thread saves; measured on 2
// cores with the workers spinning: an elementwise job of 65,536 floats gains 1.1-1.7x on 2 threads,
// a GEMM of 32,768 multiply-adds loses (0.9x), 65,536 gains 1.2x, and waking a sleeping worker
// costs 0.1 ms or more, so a margin). A job runs on min(threads, work / minimum) threads, the
// caller alone below 2. Elementwise and range jobs: elements per thread (2 threads from 65,536,
// the threshold before per-thread minimums).
const ELEM_PER_THREAD: i64 = 32768;
// GEMM: multiply-adds per thread (2 threads from 2^17; the threshold was 32,768 for any count).
const GEMM_PER_THREAD: i64 = 65536;

/**
 * Iterations a worker spins on the job generation before it sleeps in atomic.wait (about 35 us
 * here). A longer spin (2^17-2^21) gained 0-6% on a 2-core machine whose other core was lent to us,
 * but a spinning worker takes CPU time the caller needs when the machine is oversubscribed (2
 * threads of a busy machine: MLP steps 4x slower than one thread with 2^21), and a sleeping
 * worker's lateness costs little now that the caller takes the shares it has not claimed.
 */
const SPIN: i32 = 20000;

// Set once per instance by TypeScript (configuration, not kernel state): 0 = no pool.
let poolPtr: usize = 0;
// tid+1 of the pool worker whose trap made the last join trap (read and cleared by pool_fault).
let poolFault: i32 = 0;

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

/** Threads of the attached pool, 1 without one. */
export function pool_threads(): i32 {
  const p = poolPtr;
  return p == 0 ? 1 : max(1, load<i32>(at(p, PoolSlot.Threads)));
}

// The claim word of job generation g with S shares, the next unclaimed one `next` (PoolSlot.Claim).
// @ts-ignore: decorator
@inline function claimWord(g: i32, S: i32, next: i32): i64 { return (<i64>g << 32) | (<i64>S << 16) | <i64>next; }

// Publishes a job of S shares (2 <= S <= 65535; its slots written before) and wakes the workers;
// returns its generation.
// @ts-ignore: decorator
@inline function post(p: usize, S: i32): i32 {
  let g = 0;
  if (ASC_FEATURE_THREADS) {
    const T = load<i32>(at(p, PoolSlot.Threads));
    g = atomic.load<i32>(at(p, PoolSlot.Gen)) + 1;
    store<i32>(at(p, PoolSlot.Shares), S);
    atomic.store<i32>(at(p, PoolSlot.Pending), S);
    atomic.store<i64>(at(p, PoolSlot.Claim), claimWord(g, S, 0));
    atomic.store<i32>(at(p, PoolSlot.Gen), g);
    atomic.notify(at(p, PoolSlot.Gen), T - 1);
  }
  return g;
}

// Claims and computes shares of job g on thread tid (scratch: its GEMM packing buffers) until none
// is left. A claim is a compare-exchange on the whole claim word, so it fails once the job is over
// and a later one posted (then this thread had nothing more to do for g anyway).
function work(p: usize, g: i32, tid: i32, scratch: usize): void {
  if (!ASC_FEATURE_THREADS) return;
  const w = at(p, PoolSlot.Claim);
  while (true) {
    const c = atomic.load<i64>(w);
    if (<i32>(c >>> 32) != g) return;
    const S = <i32>((c >>> 16) & 0xffff), s = <i32>(c & 0xffff);
    if (s >= S) return;
    if (atomic.cmpxchg<i64>(w, c, c + 1) != c) continue;
    if (tid == 0) store<i32>(at(p, PoolSlot.CallerShare), 1);
    runShare(p, tid, s, S, scratch);
    if (tid == 0) store<i32>(at(p, PoolSlot.CallerShare), 0);
    atomic.sub<i32>(at(p, PoolSlot.Pending), 1);
  }
}

// Share s of S of the posted job, on thread tid.
function runShare(p: usize, tid: i32, s: i32, S: i32, scratch: usize): void {
  const kind = load<i32>(at(p, PoolSlot.Kind));
  if (kind == Job.Range) range_share(p, tid, s, S);
  else if (kind == Job.Elementwise) runElementShare(p, s, S);
  else if (kind >= Job.ConvFwd) runSplitShare(p, tid, s, S);
  else {
    if (tid != 0) scratch = <usize>load<i32>(at(p, PoolSlot.Scratch)) + <usize>(tid - 1) * <usize>load<i32>(at(p, PoolSlot.ScratchBytes));
    const N = load<i32>(at(p, PoolSlot.Arg4));
    gemm_cols(kind, <usize>load<i32>(at(p, PoolSlot.Arg0)), <usize>load<i32>(at(p, PoolSlot.Arg1)), <usize>load<i32>(at(p, PoolSlot.Arg2)),
      load<i32>(at(p, PoolSlot.Arg3)), N, load<i32>(at(p, PoolSlot.Arg5)), load<i32>(at(p, PoolSlot.Arg6)), scratch, colSplit(N, S, s), colSplit(N, S, s + 1));
  }
}

// Posts a job of S shares, computes shares on the caller's thread until none is left, waits for the
// others (a trap in any share traps here too).
// @ts-ignore: decorator
@inline function run(p: usize, S: i32, scratch: usize): void {
  const g = post(p, S);
  work(p, g, 0, scratch);
  join(p);
}

// Threads a job of `work` units gets, at least `per` each: min(pool threads, work / per).
// @ts-ignore: decorator
@inline function threadsFor(p: usize, work: i64, per: i64): i32 {
  return <i32>min(<i64>load<i32>(at(p, PoolSlot.Threads)), work / per);
}

// Waits (spinning: the caller may be a browser main thread) until every share is done; traps when
// a worker's share trapped (fault field), so the kernel call fails on the caller's thread too.
// @ts-ignore: decorator
@inline function join(p: usize): void {
  if (ASC_FEATURE_THREADS) {
    while (atomic.load<i32>(at(p, PoolSlot.Pending)) != 0) { /* spin */ }
    const fault = atomic.xchg<i32>(at(p, PoolSlot.Fault), 0);
    if (fault != 0) {
      poolFault = fault;
      unreachable();
    }
  }
}

/** tid+1 of the pool worker whose trap made the last kernel call trap (0: none); clears it. */
export function pool_fault(): i32 {
  const f = poolFault;
  poolFault = 0;
  return f;
}

// @ts-ignore: decorator
@inline function sampleSplit(B: i32, T: i32, t: i32): i32 {
  return <i32>((<i64>B * <i64>t) / <i64>T);
}

// Share s of S of a job split by samples (conv) or rows (EC passes), on thread tid (its scratch share).
function runSplitShare(p: usize, tid: i32, s: i32, S: i32): void {
  const kind = load<i32>(at(p, PoolSlot.Kind));
  const B = load<i32>(at(p, PoolSlot.Arg4));
  const b0 = sampleSplit(B, S, s), b1 = sampleSplit(B, S, s + 1);
  if (kind == Job.ECRows) { ec_rows(<usize>load<i32>(at(p, PoolSlot.Arg0)), b0, b1); return; }
  const scratch = <usize>load<i32>(at(p, PoolSlot.Arg6)) + <usize>tid * <usize>load<i32>(at(p, PoolSlot.Share));
  const out = <usize>load<i32>(at(p, PoolSlot.Arg0)), inp = <usize>load<i32>(at(p, PoolSlot.Arg1)), w = <usize>load<i32>(at(p, PoolSlot.Arg2));
  const desc = <usize>load<i32>(at(p, PoolSlot.Arg5));
  if (kind == Job.ConvFwd) conv_forward_range(out, inp, w, <usize>load<i32>(at(p, PoolSlot.Arg3)), b0, b1, desc, scratch);
  else conv_dx_range(out, inp, w, b0, b1, desc, scratch);
}

/**
 * Splits a conv job over the pool by samples if one is attached (the caller's scratch holds one
 * share of `share` bytes per thread); false = caller computes it alone.
 */
export function parallel_samples(kind: i32, out: usize, inp: usize, w: usize, bias: usize, B: i32, desc: usize, scratch: usize, share: usize): bool {
  if (!ASC_FEATURE_THREADS) return false;
  const p = poolPtr;
  if (p == 0) return false;
  if (load<i32>(at(p, PoolSlot.Threads)) < 2 || B < 2) return false;
  store<i32>(at(p, PoolSlot.Kind), kind);
  store<i32>(at(p, PoolSlot.Arg0), <i32>out);
  store<i32>(at(p, PoolSlot.Arg1), <i32>inp);
  store<i32>(at(p, PoolSlot.Arg2), <i32>w);
  store<i32>(at(p, PoolSlot.Arg3), <i32>bias);
  store<i32>(at(p, PoolSlot.Arg4), B);
  store<i32>(at(p, PoolSlot.Arg5), <i32>desc);
  store<i32>(at(p, PoolSlot.Arg6), <i32>scratch);
  store<i32>(at(p, PoolSlot.Share), <i32>share);
  run(p, min(B, 0xffff), 0); // a share per sample
  return true;
}

/** Whether parallel_rows would split this job (a pool of 2+ threads, 2+ rows, 32768+ elements). */
export function pool_can_split(rows: i32, elements: i64): bool {
  if (!ASC_FEATURE_THREADS) return false;
  const p = poolPtr;
  return p != 0 && load<i32>(at(p, PoolSlot.Threads)) >= 2 && rows >= 2 && elements >= 32768;
}

/**
 * Splits rows [0, rows) of an EC bulk pass (the job slots of its layer descriptor `desc`) over the
 * pool; false = caller computes them (see pool_can_split).
 */
export function parallel_rows(desc: usize, rows: i32, elements: i64): bool {
  if (!pool_can_split(rows, elements)) return false;
  const p = poolPtr;
  const T = load<i32>(at(p, PoolSlot.Threads));
  store<i32>(at(p, PoolSlot.Kind), Job.ECRows);
  store<i32>(at(p, PoolSlot.Arg0), <i32>desc);
  store<i32>(at(p, PoolSlot.Arg4), rows);
  run(p, min(rows, 4 * T), 0);
  return true;
}

// @ts-ignore: decorator
@inline function elemSplit(n: i32, T: i32, t: i32): i32 {
  if (t >= T) return n;
  return <i32>(((<i64>(n >> 4) * <i64>t) / <i64>T) << 4);
}

// Share s of S, elements [i0, i1), of an elementwise job.
function runElementShare(p: usize, s: i32, S: i32): void {
  const n = load<i32>(at(p, PoolSlot.ElemN));
  const i0 = elemSplit(n, S, s), i1 = elemSplit(n, S, s + 1);
  const op = load<i32>(at(p, PoolSlot.ElemOp));
  const p0 = <usize>load<i32>(at(p, PoolSlot.ElemPtr0)), p1 = <usize>load<i32>(at(p, PoolSlot.ElemPtr1)), p2 = <usize>load<i32>(at(p, PoolSlot.ElemPtr2)), p3 = <usize>load<i32>(at(p, PoolSlot.ElemPtr3));
  const f0 = load<f32>(at(p, PoolSlot.ElemF0)), f1 = load<f32>(at(p, PoolSlot.ElemF1)), f2 = load<f32>(at(p, PoolSlot.ElemF2)), f3 = load<f32>(at(p, PoolSlot.ElemF3)), f4 = load<f32>(at(p, PoolSlot.ElemF4));
  const a = load<i32>(at(p, PoolSlot.ElemA)), b = load<i32>(at(p, PoolSlot.ElemB)), f5 = load<f32>(at(p, PoolSlot.ElemF5));
  if (op == ElemOp.SGD) sgd_range(p0, p1, i0, i1, f0, f1);
  else if (op == ElemOp.Momentum) momentum_range(p0, p1, p2, i0, i1, f0, f1, f2, a);
  else if (op == ElemOp.Adam) adam_range(p0, p1, p2, p3, i0, i1, f0, f1, f2, f3, f4, f5, reinterpret<f32>(a), reinterpret<f32>(b));
  else if (op == ElemOp.Copy) copy_range(p0, p1, i0, i1);
  else store<i32>(at(p, PoolSlot.Results + s), first_nonfinite_range(p0, i0, i1));
}

/**
 * Splits an elementwise job over `n` elements by ranges if a pool of 2+ threads is attached and n is
 * large enough; false = caller computes it alone. For ElemOp.FirstNonfinite the per-share results
 * are in the block (pool_first_result combines them).
 */
export function parallel_elementwise(op: i32, n: i32, p0: usize, p1: usize, p2: usize, p3: usize,
  f0: f32, f1: f32, f2: f32, f3: f32, f4: f32, a: i32, b: i32, f5: f32 = 0): bool {
  if (!ASC_FEATURE_THREADS) return false;
  const p = poolPtr;
  if (p == 0) return false;
  const T = threadsFor(p, n, ELEM_PER_THREAD);
  if (T < 2) return false;
  store<i32>(at(p, PoolSlot.Kind), Job.Elementwise);
  store<i32>(at(p, PoolSlot.ElemOp), op);
  store<i32>(at(p, PoolSlot.ElemN), n);
  store<i32>(at(p, PoolSlot.ElemPtr0), <i32>p0); store<i32>(at(p, PoolSlot.ElemPtr1), <i32>p1); store<i32>(at(p, PoolSlot.ElemPtr2), <i32>p2); store<i32>(at(p, PoolSlot.ElemPtr3), <i32>p3);
  store<f32>(at(p, PoolSlot.ElemF0), f0); store<f32>(at(p, PoolSlot.ElemF1), f1); store<f32>(at(p, PoolSlot.ElemF2), f2); store<f32>(at(p, PoolSlot.ElemF3), f3); store<f32>(at(p, PoolSlot.ElemF4), f4);
  store<i32>(at(p, PoolSlot.ElemA), a); store<i32>(at(p, PoolSlot.ElemB), b); store<f32>(at(p, PoolSlot.ElemF5), f5);
  run(p, min(4 * T, 32), 0); // four shares per thread (at most 32: one result slot each)
  return true;
}

// ---- range jobs (the operations themselves: range-jobs.ts) ----

/**
 * The pool block if a range job of `work` (elements; ConvDW passes multiply-adds / 16) should be
 * split over the pool: a threads build with a pool attached and work for 2+ threads at
 * ELEM_PER_THREAD each (how many is kept for range_run); else 0 (the caller computes the job alone).
 * Callers then set the job's arguments and call range_run.
 */
export function range_pool(work: i64): usize {
  if (!ASC_FEATURE_THREADS) return 0;
  const p = poolPtr;
  if (p == 0) return 0;
  const U = threadsFor(p, work, ELEM_PER_THREAD);
  if (U < 2) return 0;
  store<i32>(at(p, PoolSlot.Shares), U); // threads, until range_run sets the shares
  return p;
}

// @ts-ignore: decorator
@inline function apart(out: usize, inp: usize, bytes: usize): bool { return inp == 0 || out == inp || out + bytes <= inp || inp + bytes <= out; }

/**
 * range_pool for an elementwise job over n floats writing `out` and reading `in1`, `in2` (0: none):
 * 0 when an input partly overlaps the output (the single-thread order must then be kept: a split
 * would race at the seams). The same buffer, or disjoint ones, split freely.
 */
export function elem_pool(n: i32, out: usize, in1: usize, in2: usize): usize {
  const bytes = <usize>max(n, 0) << 2;
  return apart(out, in1, bytes) && apart(out, in2, bytes) ? range_pool(n) : 0;
}

/** Argument k of the range job being prepared in pool block p (pointers and ints; range_argf for f32). */
export function range_arg(p: usize, k: i32, v: i32): void { store<i32>(at(p, PoolSlot.RangeArg0 + k), v); }
export function range_argf(p: usize, k: i32, v: f32): void { store<f32>(at(p, PoolSlot.RangeArg0 + k), v); }

/**
 * Runs range job `op` over units [0, n), split at multiples of `align`, on pool block p (from
 * range_pool): four shares per thread (one for ConvDW, whose shares each pack the batch's output
 * gradients once), at most one per aligned unit; alone when there is one unit.
 */
export function range_run(p: usize, op: i32, n: i32, align: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  align = max(1, align);
  const U = load<i32>(at(p, PoolSlot.Shares));
  const S = min(op == RangeOp.ConvDW ? U : 4 * U, n / align);
  store<i32>(at(p, PoolSlot.Kind), Job.Range);
  store<i32>(at(p, PoolSlot.RangeOp), op);
  store<i32>(at(p, PoolSlot.RangeN), n);
  store<i32>(at(p, PoolSlot.RangeAlign), align);
  if (S < 2) { range_share(p, 0, 0, 1); return; }
  run(p, S, 0);
}

/** After a split ElemOp.FirstNonfinite job: the first index over all ranges (ranges are in order), or -1. */
export function pool_first_result(): i32 {
  const p = poolPtr;
  const S = load<i32>(at(p, PoolSlot.Shares));
  for (let t = 0; t < S; t++) {
    const r = load<i32>(at(p, PoolSlot.Results + t));
    if (r >= 0) return r;
  }
  return -1;
}

/** Runs a GEMM on the pool if one is attached and the job is large enough; false = caller computes it. */
export function parallel_gemm(kind: i32, c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): bool {
  if (!ASC_FEATURE_THREADS) return false;
  const p = poolPtr;
  if (p == 0) return false;
  const T = min(threadsFor(p, <i64>M * <i64>N * <i64>K, GEMM_PER_THREAD), N >> 3); // a full 8-wide panel each at least
  if (T < 2) return false;
  store<i32>(at(p, PoolSlot.Kind), kind);
  store<i32>(at(p, PoolSlot.Arg0), <i32>c);
  store<i32>(at(p, PoolSlot.Arg1), <i32>a);
  store<i32>(at(p, PoolSlot.Arg2), <i32>b);
  store<i32>(at(p, PoolSlot.Arg3), M);
  store<i32>(at(p, PoolSlot.Arg4), N);
  store<i32>(at(p, PoolSlot.Arg5), K);
  store<i32>(at(p, PoolSlot.Arg6), accumulate);
  run(p, T, scratch); // a share per thread: each share packs A once more
  return true;
}

/**
 * Worker loop: waits for jobs on the pool block and claims their shares; returns on exit. `seen`
 * is the last generation this worker has served (read before it reported ready, or the generation
 * of the job that trapped), so a job posted before the loop starts is not missed.
 */
export function worker_run(p: usize, tid: i32, seen: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  if (ASC_FEATURE_THREADS) {
    while (true) {
      // spin briefly (jobs often follow each other within microseconds), then sleep
      for (let spin = 0; spin < SPIN && atomic.load<i32>(at(p, PoolSlot.Gen)) == seen; spin++) { /* spin */ }
      while (atomic.load<i32>(at(p, PoolSlot.Gen)) == seen) atomic.wait<i32>(at(p, PoolSlot.Gen), seen, -1);
      seen = atomic.load<i32>(at(p, PoolSlot.Gen)); // the newest job (a late worker skips the ones it missed)
      if (load<i32>(at(p, PoolSlot.Exit)) != 0) return;
      work(p, seen, tid, 0); // a worker's GEMM scratch is read per share (the caller may grow it between jobs)
    }
  }
}

/** Bytes of scratch each worker needs (the largest GEMM packing buffers). */
export function pool_worker_scratch_bytes(): i32 {
  return (256 * 256 + 128 * 256 + 32) << 2;
}
