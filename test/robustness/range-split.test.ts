// The range jobs of the thread pool (assembly/threads.ts: ReLU, LeakyReLU, axpy, BatchNorm, the
// pools, Dense's bias rows and column sums, Conv2D's filter and bias gradients) and the GEMMs and
// elementwise jobs at their per-thread minimums give the bits of one thread: every kernel runs on
// the threads build with its pool of 2 attached, then detached (the serial path), then on 3 threads
// (where small jobs use 2 of them) and on the single-thread release build, on the same inputs, at
// sizes around the thresholds (32,768 elements per thread; 2^16 multiply-adds per thread for GEMM,
// 2^19 for Conv2D's filter gradient), odd tails and channel counts, in place and on partly
// overlapping buffers (not split). Node and Chromium (a cross-origin isolated page).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, shutdown, getRuntime, type Kernels } from '../../src/index.js';
import { rng, hashArrays } from '../helpers.js';

type K = Kernels & { pool_attach(p: number): void };

/** A kernel call on fresh buffers: `buffers` are copied in (outputs too: kernels may read them), `run` gets their pointers. */
interface Case { name: string; buffers: () => (Float32Array | Int32Array)[]; run: (k: K, p: number[]) => void; scratch?: number }

const EXTRA = 8; // guard floats after every buffer: a split share writing past its range changes the hash

function cases(): Case[] {
  const out: Case[] = [];
  const u = (seed: number, n: number, lo = -1, hi = 1) => {
    const a = rng(seed).uniform(n, lo, hi);
    // values where the SIMD and the scalar paths could differ (NaN, -0, 0)
    for (let i = 3; i < n; i += 997) a[i] = i % 3 === 0 ? NaN : i % 3 === 1 ? -0 : 0;
    return a;
  };
  for (const n of [65535, 65536, 65537, 100003]) {
    out.push({ name: `relu_forward n=${n}`, buffers: () => [new Float32Array(n), u(1, n)], run: (k, p) => k.relu_forward(p[0], p[1], n) });
    out.push({ name: `relu_forward in place n=${n}`, buffers: () => [u(2, n)], run: (k, p) => k.relu_forward(p[0], p[0], n) });
    out.push({ name: `relu_backward n=${n}`, buffers: () => [new Float32Array(n), u(3, n), u(4, n)], run: (k, p) => k.relu_backward(p[0], p[1], p[2], n) });
    out.push({ name: `leaky_relu_forward n=${n}`, buffers: () => [new Float32Array(n), u(5, n)], run: (k, p) => k.leaky_relu_forward(p[0], p[1], n, 0.01) });
    out.push({ name: `leaky_relu_backward n=${n}`, buffers: () => [new Float32Array(n), u(6, n), u(7, n)], run: (k, p) => k.leaky_relu_backward(p[0], p[1], p[2], n, 0.2) });
    out.push({ name: `axpy_f32 n=${n}`, buffers: () => [u(8, n), u(9, n)], run: (k, p) => k.axpy_f32(p[0], p[1], n, 0.75) });
    out.push({ name: `axpy_f32 in place n=${n}`, buffers: () => [u(10, n)], run: (k, p) => k.axpy_f32(p[0], p[0], n, 1) });
    // x overlaps y three floats ahead: must stay on one thread (each element reads an element not yet written)
    out.push({ name: `axpy_f32 overlapping n=${n}`, buffers: () => [u(11, n + 3)], run: (k, p) => k.axpy_f32(p[0], p[0] + 12, n, 1) });
    out.push({ name: `relu_forward overlapping n=${n}`, buffers: () => [u(12, n + 5)], run: (k, p) => k.relu_forward(p[0] + 20, p[0], n) });
  }

  // BatchNorm: [B, C, S] around 65,536 values; C odd (quads + scalar tail), C < 8 (training kernels stay serial)
  for (const [B, C, S] of [[8, 13, 631], [8, 13, 630], [4, 16, 1024], [3, 7, 4099], [2, 9, 3641], [16, 64, 64]]) {
    const n = B * C * S;
    const tag = `B=${B} C=${C} S=${S}`;
    const stats = () => [u(20, C, -0.5, 0.5), u(21, C, 0.5, 2).map(Math.abs), new Float32Array(2 * C)];
    const affine = () => [u(22, C, 0.5, 1.5), u(23, C)];
    out.push({
      name: `batchnorm_forward_train ${tag}`, buffers: () => [new Float32Array(n), u(24, n, -2, 3), ...affine(), ...stats()],
      run: (k, p) => k.batchnorm_forward_train(p[0], p[1], p[2], p[3], p[4], p[5], p[6], B, C, S, 1e-5, 0.1),
    });
    out.push({
      name: `batchnorm_forward_train, no affine ${tag}`, buffers: () => [new Float32Array(n), u(25, n, -2, 3), ...stats()],
      run: (k, p) => k.batchnorm_forward_train(p[0], p[1], 0, 0, p[2], p[3], p[4], B, C, S, 1e-5, 0.1),
    });
    out.push({
      name: `batchnorm_forward_eval ${tag}`, buffers: () => [new Float32Array(n), u(26, n, -2, 3), ...affine(), ...stats()],
      run: (k, p) => k.batchnorm_forward_eval(p[0], p[1], p[2], p[3], p[4], p[5], B, C, S, 1e-5),
    });
    const saved = () => { const s = new Float32Array(2 * C); for (let c = 0; c < C; c++) { s[c] = 0.1 * c - 0.3; s[C + c] = 1 + 0.05 * c; } return s; };
    out.push({
      name: `batchnorm_backward (training) ${tag}`,
      buffers: () => [new Float32Array(n), new Float32Array(C), new Float32Array(C), u(27, n), u(28, n, -2, 3), ...affine(), saved(), ...stats().slice(0, 2)],
      run: (k, p) => k.batchnorm_backward(p[0], p[1], p[2], p[3], p[4], p[5], p[7], p[8], p[9], B, C, S, 1e-5),
    });
    out.push({
      name: `batchnorm_backward (evaluation, no dx) ${tag}`,
      buffers: () => [new Float32Array(C), new Float32Array(C), u(29, n), u(30, n, -2, 3), ...affine(), ...stats().slice(0, 2)],
      run: (k, p) => k.batchnorm_backward(0, p[0], p[1], p[2], p[3], p[4], 0, p[6], p[7], B, C, S, 1e-5),
    });
  }

  // pools: B*C planes, B*C*H*W around 65,536
  for (const [B, C, H, W, KH, S] of [[3, 5, 67, 67, 2, 2], [3, 5, 66, 66, 3, 1], [1, 3, 150, 147, 3, 2], [2, 2, 128, 128, 2, 2]]) {
    const Ho = Math.floor((H - KH) / S) + 1, Wo = Math.floor((W - KH) / S) + 1;
    const n = B * C * H * W, m = B * C * Ho * Wo;
    const tag = `B=${B} C=${C} ${H}x${W} k${KH} s${S}`;
    out.push({
      name: `maxpool2d_forward ${tag}`, buffers: () => [new Float32Array(m), new Int32Array(m), u(40, n)],
      run: (k, p) => k.maxpool2d_forward(p[0], p[1], p[2], B, C, H, W, KH, KH, S, S, Ho, Wo),
    });
    out.push({
      name: `maxpool2d_backward ${tag}`,
      buffers: () => [new Float32Array(n), u(41, m), Int32Array.from({ length: m }, (_, i) => ((i * 7919) % (H * W)))],
      run: (k, p) => k.maxpool2d_backward(p[0], p[1], p[2], B, C, H, W, Ho, Wo),
    });
    out.push({
      name: `avgpool2d_forward ${tag}`, buffers: () => [new Float32Array(m), u(42, n)],
      run: (k, p) => k.avgpool2d_forward(p[0], p[1], B, C, H, W, KH, KH, S, S, Ho, Wo),
    });
    out.push({
      name: `avgpool2d_backward ${tag}`, buffers: () => [new Float32Array(n), u(43, m)],
      run: (k, p) => k.avgpool2d_backward(p[0], p[1], B, C, H, W, KH, KH, S, S, Ho, Wo),
    });
  }
  for (const [B, C, HW] of [[7, 9, 1041], [7, 9, 1040], [128, 64, 64], [3, 1, 65537]]) {
    out.push({ name: `global_avgpool_forward B=${B} C=${C} HW=${HW}`, buffers: () => [new Float32Array(B * C), u(44, B * C * HW)], run: (k, p) => k.global_avgpool_forward(p[0], p[1], B, C, HW) });
    out.push({ name: `global_avgpool_backward B=${B} C=${C} HW=${HW}`, buffers: () => [new Float32Array(B * C * HW), u(45, B * C)], run: (k, p) => k.global_avgpool_backward(p[0], p[1], B, C, HW) });
  }

  // Dense: bias rows (split by rows) and column sums (by columns in fours)
  for (const [R, C] of [[128, 512], [129, 509], [255, 257], [6554, 10], [1000, 256], [7, 9363]]) {
    out.push({ name: `bias_add_rows R=${R} C=${C}`, buffers: () => [u(50, R * C), u(51, C)], run: (k, p) => k.bias_add_rows(p[0], p[1], R, C) });
    out.push({ name: `col_sums R=${R} C=${C}`, buffers: () => [new Float32Array(C), u(52, R * C)], run: (k, p) => k.col_sums(p[0], p[1], R, C) });
  }
  // GEMMs around the per-thread minimum (2^16 multiply-adds: 2 threads from 2^17, 3 from 3 * 2^16),
  // narrow N (a full panel of 8 per thread at least: N = 15 stays serial), accumulate; and first_nonfinite / sgd where a pool
  // of 3 uses 2 threads (65,536 <= n < 98,304)
  for (const [M, N, K] of [[64, 64, 32], [63, 65, 32], [64, 64, 48], [32, 64, 96], [128, 15, 128], [128, 16, 64], [128, 24, 64], [200, 100, 37]]) {
    for (const kind of ['nn', 'nt', 'tn'] as const) {
      for (const acc of [0, 1]) {
        out.push({
          name: `gemm_${kind} ${M}x${N}x${K} (${M * N * K}) accumulate ${acc}`,
          buffers: () => [u(70, M * N), u(71, M * K), u(72, K * N), new Float32Array(128 * 1024)],
          scratch: 3, // packing buffers: their contents depend on the split
          run: (k, p) => k[`gemm_${kind}`](p[0], p[1], p[2], M, N, K, acc, p[3]),
        });
      }
    }
  }
  for (const n of [70001, 98303, 98304, 131075]) {
    for (const at of [17, Math.floor(n / 2) + 5, n - 2, -1]) {
      out.push({
        name: `first_nonfinite n=${n}, ${at < 0 ? 'all finite' : `NaN at ${at}`}`,
        buffers: () => { const a = rng(80).uniform(n); if (at >= 0) a[at] = NaN; return [a, new Float32Array(1)]; },
        run: (k, p) => { getRuntime().arena.i32(p[1], 1)[0] = k.first_nonfinite(p[0], n); },
      });
    }
    out.push({ name: `sgd_update n=${n}`, buffers: () => [rng(81).uniform(n), rng(82).uniform(n)], run: (k, p) => k.sgd_update(p[0], p[1], n, 0.1, 1e-4) });
  }
  return out;
}

/** Conv2D backward (dW + dbias over the pool, dx by samples) at a shape; [B, C, H, W, O, KH, stride, pad]. */
function convCases(): Case[] {
  const out: Case[] = [];
  const shapes: [string, number[]][] = [
    ['columns (K = 72), 2^20+', [10, 8, 20, 20, 6, 3, 1, 1]],
    ['columns, below 2^20', [5, 8, 20, 20, 6, 3, 1, 1]],
    ['rows (K = 25 < 32, O = 12)', [5, 1, 28, 28, 12, 5, 1, 2]],
    ['rows, odd O = 9', [7, 1, 27, 27, 9, 5, 1, 2]],
    ['direct 1x1 (K = 40)', [8, 40, 16, 16, 16, 1, 1, 0]],
    ['stride 2, K = 45, O = 7', [14, 5, 31, 31, 7, 3, 2, 1]],
    ['narrow: K = 9, O = 3 (stays serial)', [40, 1, 30, 30, 3, 3, 1, 1]],
  ];
  for (const [tag, [B, C, H, W, O, KH, S, P]] of shapes) {
    const Ho = Math.floor((H + 2 * P - KH) / S) + 1, Wo = Math.floor((W + 2 * P - KH) / S) + 1;
    const K = C * KH * KH;
    for (const withBias of [true, false]) {
      out.push({
        name: `conv2d_backward ${tag}${withBias ? '' : ', no dbias, no dx'}`,
        buffers: () => [new Float32Array(O * K), new Float32Array(O), new Float32Array(B * C * H * W), rng(60).uniform(B * O * Ho * Wo),
          rng(61).uniform(B * C * H * W), rng(62).uniform(O * K, -0.3, 0.3), new Float32Array(32)],
        run: (k, p) => {
          const { arena } = getRuntime();
          k.conv2d_desc(p[6], C, H, W, O, KH, KH, S, S, P, P, 1, 1, Ho, Wo);
          const bytes = k.conv2d_scratch_bytes(p[6]) * 3; // room for a pool of 3 (the size asked while detached is one share)
          const scratch = arena.alloc(bytes + 16, 'test scratch');
          try {
            k.conv2d_backward(withBias ? p[2] : 0, p[0], withBias ? p[1] : 0, p[3], p[4], p[5], B, p[6], scratch);
          } finally { arena.release(scratch); }
        },
      });
    }
  }
  return out;
}

const ALL = [...cases(), ...convCases()];

/** Hash of every case's buffers (guards included) after its kernel ran, with the pool attached or detached. */
function runAll(attached: boolean): Map<string, string> {
  const rt = getRuntime();
  const k = rt.kernels as K;
  const pool = rt.arena.liveBlocks().find((b) => b.what === 'thread pool block')?.ptr ?? 0;
  const res = new Map<string, string>();
  for (const c of ALL) {
    const bufs = c.buffers();
    const ptrs = bufs.map((a) => {
      const p = rt.arena.alloc((a.length + EXTRA) * 4, 'test');
      const v = rt.arena.i32(p, a.length + EXTRA);
      v.fill(0x7fa5a5a5);
      v.set(new Int32Array(a.buffer, a.byteOffset, a.length));
      return p;
    });
    if (!attached && pool) k.pool_attach(0);
    try { c.run(k, ptrs); } finally { if (!attached && pool) k.pool_attach(pool); }
    res.set(c.name, hashArrays(ptrs.map((p, i) => rt.arena.i32(p, i === c.scratch ? 0 : bufs[i].length + EXTRA).slice())));
    ptrs.forEach((p) => rt.arena.release(p));
  }
  return res;
}

const results: Record<string, Map<string, string>> = {};

beforeAll(async () => {
  await shutdown();
  const two = await init({ threads: 2 });
  results.two = runAll(true);
  results.detached = runAll(false);
  results.twoThreads = new Map([['threads', String(two.threads)]]);
  await shutdown();
  const three = await init({ threads: 3 });
  results.three = runAll(true);
  results.threeThreads = new Map([['threads', String(three.threads)]]);
  await shutdown();
  const one = await init({ threads: 1 });
  expect(one.threads).toBe(1);
  results.one = runAll(true);
  await shutdown();
}, 300_000);
afterAll(async () => { await shutdown(); });

describe('pool jobs (range jobs, GEMMs, elementwise) give the one-thread bits', () => {
  it('ran on pools of 2 and 3 threads (Node, or a cross-origin isolated page)', () => {
    const node = typeof process !== 'undefined' && !!process.versions?.node;
    if (node || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
      expect(results.twoThreads.get('threads')).toBe('2');
      expect(results.threeThreads.get('threads')).toBe('3');
    }
  });
  for (const c of ALL) {
    it(c.name, () => {
      const want = results.one.get(c.name);
      expect(results.detached.get(c.name), 'threads build, pool detached (serial) vs release build').toBe(want);
      expect(results.two.get(c.name), '2 threads vs 1').toBe(want);
      expect(results.three.get(c.name), '3 threads vs 1').toBe(want);
    });
  }
});
