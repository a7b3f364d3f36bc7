// GEMM kernels in the three training shapes, on byte offsets into linear memory.
// All matrices are f32, row-major, densely packed. Every kernel either overwrites C
// (accumulate = 0) or adds to it (accumulate = 1). `scratch` is a caller-owned buffer of at
// least gemm_scratch_bytes(M, N, K) bytes (kernels never allocate, no module-level state).
// Pointers must be 4-byte aligned (16 is nicer); any row stride works (loads are unaligned-safe).
//
// SUMMATION ORDER (determinism). Every C element is computed as one sequential f32 chain
//     acc = (accumulate ? C[i,j] : +0)
//     for k = 0, 1, ..., K-1:  acc = acc + (A[i,k] * B[k,j])     (f32 mul, then f32 add; no FMA)
//     C[i,j] = acc
// in the same order for nn, nt and tn. The SIMD lanes hold different (i,j), never different k;
// K blocking only parks acc in C between blocks (f32 -> f32, exact); padded rows/columns of
// edge tiles are zeros that are never stored. So the bits of C[i,j] depend only on row i of A,
// column j of B, K and the old C[i,j]: NOT on M, N, the tile position or the blocking, and any
// split of C over threads (rows or columns) reproduces the single-thread result bit for bit.
// NB with accumulate = 1 the old C value is the chain's start, so the result may differ in the
// last bits from  C_old + (A·B computed with accumulate = 0).
//
// DESIGN (BLIS-style). Loops: jc over N in NC blocks > pc over K in kc blocks (K split into equal
// blocks of <= KC) > pack B(kc x nc) into NR-wide panels [panel][k][8] > ic over M in MC blocks >
// pack A(mc x kc) into row panels: 5-row [k][5] panels for the first m5 rows, then 4-row [k][4]
// (m5 = the most rows in 5s that leave a multiple of 4; 0 for mc < 12 and for thin C) > jr over
// NR panels > ir over the row panels > 5x8 microkernel (10 v128 accumulators, per k: 2 B loads,
// 5 load32_splat of A, 10 mul + 10 add) or 4x8 (8 accumulators).
// Packing hides the transpose: nn/tn B and tn A are plain copies (v128), nt B and nn/nt A are
// transposed with 4x4 i32 shuffles. Few rows (M <= 64, nn/tn): full B panels are read in place.
// The blocks (NC, balanced; MC; KC) decide only where acc is parked in C, never the k order.
// Tiles with mr < 4 or nr < 8 run the same kernels on zero-padded panels, either into a 4x8 tile
// buffer in scratch whose valid part is then copied to C, or (5-row tiles) with lane loads and
// stores of the valid columns: no write ever leaves C. Scratch = (ncb*kcb + mcb*kcb + 32) floats
// with ncb*kcb <= NC*KC: <= 393,344 bytes (threads.ts pool_worker_scratch_bytes).
//
// 2026-12 (issue #18 part 2, bench/gemm-tile.mjs and bench/gemm-ab.mjs, interleaved, CPU time):
//   V8 (11.3, Node 20) keeps the broadcasts and B loads in registers (it does not fold a v128 load
//   into vmulps as a memory operand, and Binaryen merges repeated loads of one address), so a tile
//   needs accumulators + A + B + 1 product register <= 15. 4x8: 8+1+2+1 = 12; 5x8: 10+1+2+1 = 14;
//   6x8 / 4x12 / 3x16 / 2x24 (12 acc): 16, one accumulator spills. The 4x8 tile is bound by
//   dispatch, not by the FP pipes: per k ~35 instructions for 16 mul/add (6 loads, 3 lea that V8
//   recomputes for the broadcast offsets, 2 zero-extensions, 2 pointer adds, the loop's stack check
//   and branch), so spreading that fixed cost over 20 mul/add gains. On L1-resident panels, ratio
//   to 4x8: 5x8 1.19, 3x12 1.12, 2x16 1.06, 4x8 with A as one v128 + lane shuffles 1.05, 12-acc
//   tiles 0.92-0.93, 4x8 k unrolled x2 0.96, 6x8 with a store barrier per k 0.67. In the product
//   (vs the 4x8-only GEMM): 512^3 1.17-1.18, MLP shapes 1.13-1.19, ResNet 64x64x576 1.24-1.33.
//   Binaryen inlines a kernel that has one call site; inlined into gemm_cols, the 5x8 loop ran at
//   0.78x of the 4x8 (V8 allocates registers for the whole function), so kernel5 is called from
//   two places. A 5x8 variant that also handled nr <= 4 with lane loads ran at 0.57x (spills).
//
// MEASURED (Node 20.20, V8 TurboFan, 1 thread, 2-core AMD EPYC (AVX-512 host) shared with other
// jobs, GFLOP/s = 2MNK/t; 512^3 nn/nt/tn, then MLP shapes; bench/gemm-dev.mjs):
//   microkernel  (KC/MC/NC 256/128/512)   512^3 nn  nt  tn   nt 128x512x784  tn 512x784x128
//   4x8  (8 acc)                             39   38   39        37               39
//   + a 4x4 kernel for the last panel when it is at most 4 wide (N = 10 = 8 + 2): nt 128x10x512
//     21 -> 24.9, tn 10x512x128 24.8, nn 128x512x10 29.3 (packing A dominates what is left).
//   4x8, KC/MC/NC 256/128/256, SIMD transpose packing (FINAL): 40 40 40; nt 128x512x784 39.7,
//     nt 128x512x512 40, nn 128x784x512 39.5, tn 512x784x128 39, small-edge shapes:
//     nt 128x10x512 22, nn 128x512x10 30, tn 10x512x128 26 (padding + packing overhead).
//   4x8  k unrolled x2                       28   26   27        26               27
//   6x8  (12 acc)                            27   26   27        26               28
//   6x8  k unrolled x2                       29   26   28        25               24
//   4x12 (12 acc)                            27   27   28        27               28
//   4x12 k unrolled x2                       32   29   30        28               31
//   8x8  (16 acc, spills)                    35   32   33        31               33
//   4x16 (16 acc, spills)                    34   30   31        30               32
//   3x16 (12 acc)                            28   25   27        25               28
//   More than 8 accumulators or unrolling k makes V8's register allocator spill.
//   KC in {128,192,256,384,512}, MC in {64,128,256}, NC in {256,512,1024}: all within ~1-2
//   GFLOP/s of each other at these shapes (MC 256 lost ~5 on tn 512x784x128); NC 256 keeps
//   scratch small. SIMD 4x4-transpose packing (vs scalar) raised nt 128x10x512 from 16 to 22
//   and nt 128x512x784 from 37.5 to 39.

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 256;
const DIRECT_M: i32 = 64;

// c + a*b: two rounded operations in the default builds; one fused (or not: the hardware decides)
// f32x4.relaxed_madd in the opt-in relaxed-SIMD build, whose results are therefore not portable.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// 4x8 microkernel: C tile (4 rows, ldc bytes apart) = [C tile if useC, else +0] + Apanel·Bpanel,
// Apanel packed [k][4], Bpanel 8 columns whose k rows are ldb bytes apart (32: packed [k][8]; the
// row stride of B when B is read in place), kc >= 1. Kept out of line so V8 allocates its
// 8 accumulators + 2 B + 1 A registers on its own (15 xmm available).
@noinline function kernel(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, useC: bool, ldb: usize): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  if (useC) {
    const r0 = c;
    c00 = v128.load(r0, 0);
    c01 = v128.load(r0, 16);
    const r1 = c + 1 * ldc;
    c10 = v128.load(r1, 0);
    c11 = v128.load(r1, 16);
    const r2 = c + 2 * ldc;
    c20 = v128.load(r2, 0);
    c21 = v128.load(r2, 16);
    const r3 = c + 3 * ldc;
    c30 = v128.load(r3, 0);
    c31 = v128.load(r3, 16);
  }
  const end = bp + (<usize>kc * ldb);
  while (bp < end) {
    const b0 = v128.load(bp, 0);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap, 0);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(ap, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(ap, 8);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(ap, 12);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    ap += 16; bp += ldb;
  }
  const s0 = c;
  v128.store(s0, c00, 0);
  v128.store(s0, c01, 16);
  const s1 = c + 1 * ldc;
  v128.store(s1, c10, 0);
  v128.store(s1, c11, 16);
  const s2 = c + 2 * ldc;
  v128.store(s2, c20, 0);
  v128.store(s2, c21, 16);
  const s3 = c + 3 * ldc;
  v128.store(s3, c30, 0);
  v128.store(s3, c31, 16);
}

// 5x8 microkernel: kernel() with a fifth row, Apanel packed [k][5]. 10 accumulators + 2 B + 1 A +
// 1 product = 14 xmm registers: the widest tile V8 (15 allocatable xmm) runs without spilling.
// Per k it does 20 multiplies and 20 adds for 7 loads and the same loop overhead (pointer adds,
// V8's loop stack check, address arithmetic for the broadcasts) as the 4x8 tile, which spends
// ~35 instructions per 16 multiply-adds and is bound by the core's 8-wide dispatch rather than by
// its FP pipes (bench/gemm-tile.mjs: 5x8 1.19x the 4x8 on L1-resident panels; 6x8, 4x12, 3x16
// with 12 accumulators need 16 registers, spill one accumulator and run at 0.92-0.93x).
// nr = 8: full tile; nr in 5..7: the last column panel, whose C columns >= nr are neither read nor
// written (lane loads and stores; B's are zero padding there). Called from both places, so it stays
// a function of its own: Binaryen inlines a function with one call site, and inlined into
// gemm_cols the loop gets V8's registers and schedule of that big function (~0.78x).
@noinline function kernel5(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, useC: bool, ldb: usize, nr: i32): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0);
  let c41 = f32x4.splat(0);
  if (useC) {
    const r0 = c;
    c00 = v128.load(r0, 0);
    c01 = nr < NR ? loadPart(r0, nr) : v128.load(r0, 16);
    const r1 = c + 1 * ldc;
    c10 = v128.load(r1, 0);
    c11 = nr < NR ? loadPart(r1, nr) : v128.load(r1, 16);
    const r2 = c + 2 * ldc;
    c20 = v128.load(r2, 0);
    c21 = nr < NR ? loadPart(r2, nr) : v128.load(r2, 16);
    const r3 = c + 3 * ldc;
    c30 = v128.load(r3, 0);
    c31 = nr < NR ? loadPart(r3, nr) : v128.load(r3, 16);
    const r4 = c + 4 * ldc;
    c40 = v128.load(r4, 0);
    c41 = nr < NR ? loadPart(r4, nr) : v128.load(r4, 16);
  }
  const end = bp + (<usize>kc * ldb);
  while (bp < end) {
    const b0 = v128.load(bp, 0);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap, 0);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(ap, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(ap, 8);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(ap, 12);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    const a4 = v128.load32_splat(ap, 16);
    c40 = madd(a4, b0, c40);
    c41 = madd(a4, b1, c41);
    ap += 20; bp += ldb;
  }
  const s0 = c;
  v128.store(s0, c00, 0);
  if (nr < NR) storePart(s0, c01, nr); else v128.store(s0, c01, 16);
  const s1 = c + 1 * ldc;
  v128.store(s1, c10, 0);
  if (nr < NR) storePart(s1, c11, nr); else v128.store(s1, c11, 16);
  const s2 = c + 2 * ldc;
  v128.store(s2, c20, 0);
  if (nr < NR) storePart(s2, c21, nr); else v128.store(s2, c21, 16);
  const s3 = c + 3 * ldc;
  v128.store(s3, c30, 0);
  if (nr < NR) storePart(s3, c31, nr); else v128.store(s3, c31, 16);
  const s4 = c + 4 * ldc;
  v128.store(s4, c40, 0);
  if (nr < NR) storePart(s4, c41, nr); else v128.store(s4, c41, 16);
}

// Columns 4..nr-1 (nr in 5..7) of a C row as the lanes of a vector (the rest +0), and back.
// @ts-ignore: decorator
@inline function loadPart(row: usize, nr: i32): v128 {
  let v = v128.load32_zero(row, 16);
  if (nr > 5) v = v128.load_lane<f32>(row, v, 1, 20);
  if (nr > 6) v = v128.load_lane<f32>(row, v, 2, 24);
  return v;
}
// @ts-ignore: decorator
@inline function storePart(row: usize, v: v128, nr: i32): void {
  v128.store_lane<f32>(row, v, 0, 16);
  if (nr > 5) v128.store_lane<f32>(row, v, 1, 20);
  if (nr > 6) v128.store_lane<f32>(row, v, 2, 24);
}



// 4x4 microkernel for the last panel of a narrow C (nr <= 4, e.g. N = 10 = 8 + 2): reads only the
// first 4 columns of the 8-wide packed B panel, so half the work of the 4x8 kernel on zero
// padding is skipped. Same per-element chain as kernel(): identical bits.
@noinline function kernel4(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, useC: bool): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  if (useC) {
    c0 = v128.load(c);
    c1 = v128.load(c + ldc);
    c2 = v128.load(c + 2 * ldc);
    c3 = v128.load(c + 3 * ldc);
  }
  const end = bp + (<usize>kc * 32);
  while (bp < end) {
    const b0 = v128.load(bp, 0);
    c0 = madd(v128.load32_splat(ap, 0), b0, c0);
    c1 = madd(v128.load32_splat(ap, 4), b0, c1);
    c2 = madd(v128.load32_splat(ap, 8), b0, c2);
    c3 = madd(v128.load32_splat(ap, 12), b0, c3);
    ap += 16; bp += 32;
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
}

// Edge tile of a narrow panel (nr <= 4): kernel4 on a 4x4 tile buffer (row stride 16 bytes).
function edgeTile4(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, mr: i32, nr: i32, useC: bool, tile: usize): void {
  if (useC) {
    for (let i = 0; i < MR; i++) {
      for (let j = 0; j < 4; j++) {
        const v: f32 = i < mr && j < nr ? load<f32>(c + <usize>i * ldc + (<usize>j << 2)) : 0;
        store<f32>(tile + (<usize>(i * 4 + j) << 2), v);
      }
    }
  }
  kernel4(ap, bp, kc, tile, 16, useC);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      store<f32>(c + <usize>i * ldc + (<usize>j << 2), load<f32>(tile + (<usize>(i * 4 + j) << 2)));
    }
  }
}

// Edge tile (mr < MR or nr < NR): run the kernel on a dense MR x NR tile buffer, copy the valid part.
function edgeTile(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, mr: i32, nr: i32, useC: bool, tile: usize): void {
  if (useC) {
    for (let i = 0; i < MR; i++) {
      for (let j = 0; j < NR; j++) {
        const v: f32 = i < mr && j < nr ? load<f32>(c + <usize>i * ldc + (<usize>j << 2)) : 0;
        store<f32>(tile + (<usize>(i * NR + j) << 2), v);
      }
    }
  }
  kernel(ap, bp, kc, tile, <usize>NR << 2, useC, 32);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      store<f32>(c + <usize>i * ldc + (<usize>j << 2), load<f32>(tile + (<usize>(i * NR + j) << 2)));
    }
  }
}

// Pack rows [0, n) x k [0, kc) of a source whose panel dimension is contiguous
// (element (k, x) at src + k*ld + x*4) into W-wide panels: dst[p][k][x], zero padded.
@inline function packCopy(w: i32, src: usize, ld: usize, kc: i32, n: i32, dst: usize): void {
  for (let x0 = 0; x0 < n; x0 += w) {
    const cnt = min(w, n - x0);
    let s = src + (<usize>x0 << 2);
    let d = dst + (<usize>x0 * <usize>kc << 2);
    if (cnt == w && (w & 3) == 0) {
      for (let k = 0; k < kc; k++) {
        for (let v = 0; v < w; v += 4) v128.store(d, v128.load(s + (<usize>v << 2)), 0), d += 16;
        s += ld;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let x = 0; x < w; x++) store<f32>(d + (<usize>x << 2), x < cnt ? load<f32>(s + (<usize>x << 2)) : <f32>0);
        d += <usize>w << 2;
        s += ld;
      }
    }
  }
}

// Pack a source whose k dimension is contiguous (element (k, x) at src + x*ld + k*4)
// into W-wide panels dst[p][k][x], zero padded. Full panels go through 4x4 SIMD transposes.
@inline function packTrans(w: i32, src: usize, ld: usize, kc: i32, n: i32, dst: usize): void {
  const dstride = <usize>w << 2; // bytes per k row of a panel
  for (let x0 = 0; x0 < n; x0 += w) {
    const cnt = min(w, n - x0);
    const d0 = dst + (<usize>x0 * <usize>kc << 2);
    if (cnt == w && (w & 3) == 0) {
      for (let g = 0; g < w; g += 4) {
        let s0 = src + <usize>(x0 + g) * ld;
        let s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
        let d = d0 + (<usize>g << 2);
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const r0 = v128.load(s0), r1 = v128.load(s1), r2 = v128.load(s2), r3 = v128.load(s3);
          const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
          const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
          v128.store(d + dstride, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
          v128.store(d + 2 * dstride, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
          v128.store(d + 3 * dstride, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
          s0 += 16; s1 += 16; s2 += 16; s3 += 16; d += 4 * dstride;
        }
        for (; k < kc; k++) {
          store<f32>(d, load<f32>(s0)); store<f32>(d, load<f32>(s1), 4);
          store<f32>(d, load<f32>(s2), 8); store<f32>(d, load<f32>(s3), 12);
          s0 += 4; s1 += 4; s2 += 4; s3 += 4; d += dstride;
        }
      }
    } else {
      for (let x = 0; x < w; x++) {
        let d = d0 + (<usize>x << 2);
        if (x < cnt) {
          let s = src + <usize>(x0 + x) * ld;
          for (let k = 0; k < kc; k++) { store<f32>(d, load<f32>(s)); s += 4; d += dstride; }
        } else {
          for (let k = 0; k < kc; k++) { store<f32>(d, <f32>0); d += dstride; }
        }
      }
    }
  }
}

// Pack n5 (a multiple of 5) rows of A into 5-row panels dst[p][k][5]. colMajor: element (k, x) at
// src + k*ld + x*4 (tn); else at src + x*ld + k*4 (nn, nt: 4 rows through 4x4 SIMD transposes).
function packA5(colMajor: bool, src: usize, ld: usize, kc: i32, n5: i32, dst: usize): void {
  const dstride: usize = 20;
  for (let x0 = 0; x0 < n5; x0 += 5) {
    let d = dst + (<usize>x0 * <usize>kc << 2);
    if (colMajor) {
      let s = src + (<usize>x0 << 2);
      for (let k = 0; k < kc; k++) {
        v128.store(d, v128.load(s));
        store<f32>(d, load<f32>(s, 16), 16);
        s += ld; d += dstride;
      }
    } else {
      let s0 = src + <usize>x0 * ld;
      let s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld, s4 = s3 + ld;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const r0 = v128.load(s0), r1 = v128.load(s1), r2 = v128.load(s2), r3 = v128.load(s3), r4 = v128.load(s4);
        const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
        const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
        v128.store(d + dstride, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
        v128.store(d + 2 * dstride, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
        v128.store(d + 3 * dstride, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
        v128.store_lane<f32>(d, r4, 0, 16);
        v128.store_lane<f32>(d + dstride, r4, 1, 16);
        v128.store_lane<f32>(d + 2 * dstride, r4, 2, 16);
        v128.store_lane<f32>(d + 3 * dstride, r4, 3, 16);
        s0 += 16; s1 += 16; s2 += 16; s3 += 16; s4 += 16; d += 4 * dstride;
      }
      for (; k < kc; k++) {
        store<f32>(d, load<f32>(s0)); store<f32>(d, load<f32>(s1), 4); store<f32>(d, load<f32>(s2), 8);
        store<f32>(d, load<f32>(s3), 12); store<f32>(d, load<f32>(s4), 16);
        s0 += 4; s1 += 4; s2 += 4; s3 += 4; s4 += 4; d += dstride;
      }
    }
  }
}

// Rows of an mc-row block that go to 5-row tiles: the most that leave a multiple of 4 rows for
// 4-row tiles (any mc >= 12; else 0: 4-row tiles plus one partial tile, as before).
@inline function rows5(mc: i32): i32 {
  for (let t = mc / 5; t > 0; t--) if (((mc - 5 * t) & 3) == 0) return 5 * t;
  return 0;
}

@inline function kcBlock(K: i32): i32 {
  if (K <= KC) return K;
  const nb = (K + KC - 1) / KC;
  return (K + nb - 1) / nb;
}
@inline function mcBlock(M: i32): i32 { return M <= MC ? (M + MR - 1) / MR * MR : MC; }
// NC grows to NC * KC / kcb for short K (the B block stays at most NC x KC floats) and the blocks
// are balanced, so a K = 128 weight gradient (tn 512x784x128) packs A twice over 392 columns
// instead of four times with a last block of 16.
@inline function ncBlock(N: i32, kcb: i32): i32 {
  const ncMax = (NC * KC / kcb) / NR * NR;
  if (N <= ncMax) return (N + NR - 1) / NR * NR;
  const nb = (N + ncMax - 1) / ncMax;
  return ((N + nb - 1) / nb + NR - 1) / NR * NR;
}

// Pack columns [j0, j0 + n) x k [pc, pc + kc) of B into NR-wide panels at dst.
@inline function packB(kind: i32, b: usize, N: i32, K: i32, j0: i32, pc: i32, kc: i32, n: i32, dst: usize): void {
  if (kind == 1) packTrans(NR, b + ((<usize>j0 * <usize>K + <usize>pc) << 2), <usize>K << 2, kc, n, dst);
  else packCopy(NR, b + ((<usize>pc * <usize>N + <usize>j0) << 2), <usize>N << 2, kc, n, dst);
}

// Columns [n0, n1) of C only (n0 a multiple of NR or 0): the unit of work of one thread.
// kind: 0 = nn, 1 = nt, 2 = tn
export function gemm_cols(kind: i32, c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize, n0: i32, n1: i32): void {
  if (M <= 0 || n1 <= n0) return;
  const ldc = <usize>N << 2;
  if (K <= 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + <usize>i * ldc + (<usize>n0 << 2), 0, <usize>(n1 - n0) << 2);
    return;
  }
  const kcb = kcBlock(K), mcb = mcBlock(M), ncb = ncBlock(N, kcb);
  const bpack = scratch;
  const apack = bpack + (<usize>ncb * <usize>kcb << 2);
  const tile = apack + (<usize>mcb * <usize>kcb << 2);
  // Few rows (M <= DIRECT_M, nn and tn): the tiles read full 8-column panels of B where B lies
  // (its rows are B's k rows) instead of packing them first; each packed panel would be used by
  // only M/4 tiles, so packing cost more than it saved. The last, narrower panel is still packed.
  // Not when a panel's kc rows spread over more than NC*KC floats of B (N = 1024, K = 144: one
  // 4 KB page per k row; measured 0.89x there, 1.05-1.13x at 32x784x25, 64x196x800, 32x256x288).
  const direct = kind != 1 && M <= DIRECT_M && kcb * N <= NC * KC;
  // 5-row tiles unless the last column panel is at most 4 wide (kernel4 does those, on 4-row tiles)
  const rem = (n1 - n0) & (NR - 1);
  const five = rem == 0 || rem > 4;
  for (let jc = n0; jc < n1; jc += ncb) {
    const nc = min(ncb, n1 - jc);
    for (let pc = 0; pc < K; pc += kcb) {
      const kc = min(kcb, K - pc);
      if (!direct) packB(kind, b, N, K, jc, pc, kc, nc, bpack);
      const ld = pc > 0 || accumulate != 0;
      for (let ic = 0; ic < M; ic += mcb) {
        const mc = min(mcb, M - ic);
        // rows [0, m5) in 5-row panels, then 4-row panels (the last zero padded): panel of row ir at apack + ir*kc floats
        const m5 = five ? rows5(mc) : 0;
        if (m5 > 0) packA5(kind == 2, kind == 2 ? a + ((<usize>pc * <usize>M + <usize>ic) << 2) : a + ((<usize>ic * <usize>K + <usize>pc) << 2),
          kind == 2 ? <usize>M << 2 : <usize>K << 2, kc, m5, apack);
        const a4 = apack + (<usize>m5 * <usize>kc << 2);
        if (kind == 2) packCopy(MR, a + ((<usize>pc * <usize>M + <usize>(ic + m5)) << 2), <usize>M << 2, kc, mc - m5, a4);
        else packTrans(MR, a + ((<usize>(ic + m5) * <usize>K + <usize>pc) << 2), <usize>K << 2, kc, mc - m5, a4);
        const partial = ((mc - m5) & (MR - 1)) != 0;
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = bpack + (<usize>jr * <usize>kc << 2);
          let bk = bp, ldb: usize = <usize>NR << 2;
          if (direct) {
            // in place for full panels; packed for the narrow last panel and for a partial row tile
            if (nr == NR) { bk = b + ((<usize>pc * <usize>N + <usize>(jc + jr)) << 2); ldb = <usize>N << 2; }
            if (nr < NR || partial) packB(kind, b, N, K, jc + jr, pc, kc, nr, bp);
          }
          for (let ir = 0; ir < mc;) {
            const ap = apack + (<usize>ir * <usize>kc << 2);
            const cp = c + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
            if (ir < m5) {
              if (nr == NR) kernel5(ap, bk, kc, cp, ldc, ld, ldb, NR);
              else kernel5(ap, bp, kc, cp, ldc, ld, NR << 2, nr);
              ir += 5;
              continue;
            }
            const mr = min(MR, mc - ir);
            if (mr == MR && nr == NR) kernel(ap, bk, kc, cp, ldc, ld, ldb);
            else if (nr <= 4) {
              if (mr == MR && nr == 4) kernel4(ap, bp, kc, cp, ldc, ld);
              else edgeTile4(ap, bp, kc, cp, ldc, mr, nr, ld, tile);
            } else edgeTile(ap, bp, kc, cp, ldc, mr, nr, ld, tile);
            ir += MR;
          }
        }
      }
    }
  }
}

// Whole C: split over the thread pool by columns when one is configured (threads build), else
// computed here. Either way every element follows the same chain, so results are identical.
@inline function gemm(kind: i32, c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): void {
  // A·Bᵀ with at most 3 rows (batch-1 inference): no packing, the same bits (gemv.ts)
  if (!ASC_FEATURE_RELAXED_SIMD && kind == 1 && M <= 3) {
    for (let i = 0; i < M; i++) gemv_nt_row(c + (<usize>i * <usize>N << 2), a + (<usize>i * <usize>K << 2), b, N, K, accumulate);
    return;
  }
  if (!parallel_gemm(kind, c, a, b, M, N, K, accumulate, scratch)) gemm_cols(kind, c, a, b, M, N, K, accumulate, scratch, 0, N);
}

import { assertSpan } from './bounds';
import { parallel_gemm } from './threads';
import { gemv_nt_row } from './gemv';

// C (M,N) = A (M,K) · B (K,N)
export function gemm_nn(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): void {
  assertSpan(c, <i64>M * <i64>N, 4); assertSpan(a, <i64>M * <i64>K, 4); assertSpan(b, <i64>K * <i64>N, 4);
  gemm(0, c, a, b, M, N, K, accumulate, scratch);
}

// C (M,N) = A (M,K) · Bᵀ, B is (N,K)
export function gemm_nt(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): void {
  assertSpan(c, <i64>M * <i64>N, 4); assertSpan(a, <i64>M * <i64>K, 4); assertSpan(b, <i64>N * <i64>K, 4);
  gemm(1, c, a, b, M, N, K, accumulate, scratch);
}

// C (M,N) = Aᵀ · B, A is (K,M), B is (K,N)
export function gemm_tn(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): void {
  assertSpan(c, <i64>M * <i64>N, 4); assertSpan(a, <i64>K * <i64>M, 4); assertSpan(b, <i64>K * <i64>N, 4);
  gemm(2, c, a, b, M, N, K, accumulate, scratch);
}

// Bytes of scratch the GEMM kernels need for this shape (packing buffers).
export function gemm_scratch_bytes(M: i32, N: i32, K: i32): i32 {
  if (M <= 0 || N <= 0 || K <= 0) return 0;
  const kcb = kcBlock(K);
  return (ncBlock(N, kcb) * kcb + mcBlock(M) * kcb + MR * NR) << 2;
}
