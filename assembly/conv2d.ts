// Conv2D forward/backward on NCHW activations, PyTorch layouts: x (B,C,H,W), weight (O,C,KH,KW),
// bias (O), y (B,O,Ho,Wo). Stride, dilation and zero padding with separate top/left amounts (the
// bottom/right padding is implied by the Ho, Wo the caller passes). Shapes travel in a descriptor
// block written by conv2d_desc (TypeScript only allocates it), so no kernel has a 15-int list.
//
// ALGORITHM: per-sample im2col + the packed GEMM kernels of gemm.ts. With K = C*KH*KW, P = Ho*Wo
// and col (K,P) the unfolded input of one sample:
//   forward      y_b (O,P)  = [bias] + W (O,K) · col_b          gemm_nn, accumulate onto bias rows
//   filter grad  dW  (O,K) += dy_b (O,P) · col_bᵀ, b = 0..B-1   gemm_nt, chain continued over b
//   input grad   dcol (K,P) = Wᵀ · dy_b, then col2im -> dx_b    gemm_tn
// 1x1 kernels with stride 1 and no padding skip im2col/col2im (col_b is x_b itself).
// Scratch = col (K*P floats) + the GEMM packing buffers; col (627 KB for the 32->64 5x5 layer on
// 14x14) stays in L2; a batched col would be 40 MB at B = 64 (not pursued: per-sample GEMMs already
// run at 34 GFLOP/s, ~85% of the 512^3 GEMM rate).
//
// MEASURED (Node 20.20, 1 thread, 2-core AVX-512 host shared with other jobs; stride 1, forward
// in ms per batch and GFLOP/s; node bench/conv-dev.mjs --build). "direct" is an implicit-GEMM
// SIMD forward without im2col (bench/conv-dev/direct.ts): input copied once into a zero-padded
// plane, weights packed [O/4][K][4], the same 4x8 register tile as the GEMM fed by an offset table.
//   shape (batch)                          im2col+GEMM      direct          bwd dx+dW (im2col)
//   conv1 1->32 5x5 same 28x28 (64)        2.90 ms 27.7     4.05 ms 19.8    7.25 ms 22.2
//   conv2 32->64 5x5 same 14x14 (64)      38.2 ms 33.6     39.5 ms 32.5    75.5 ms 34.0
//   16->32 3x3 pad 1 32x32 (32)           10.3 ms 29.3     10.6 ms 28.6    19.9 ms 30.4
//   64->64 3x3 pad 1 8x8 (64)              9.75 ms 31.0     8.97 ms 33.6    19.6 ms 30.8
// Direct only wins (by 8%) when Wo is a multiple of 8; it loses ~30% on the small-K first layer
// (no K blocking, per-tile overhead) and on Wo = 14/28 tails, and it would need its own backward
// pair plus stride/dilation variants. im2col + GEMM is one code path for every shape, so it is the
// only algorithm in the product. CNN of bench/conv.bench.js (conv 5x5x32 same, pool, conv 5x5x64
// same, pool, dense, batch 64, SGD): 508 samples/s (126 ms per step; conv kernels 120 ms of it).
//
// SUMMATION ORDER (determinism): every y element is bias[o] (or +0) followed by the GEMM chain over
// k = (c, kh, kw) in that order; dW continues one chain over samples b then pixels p; dx sums
// col2im contributions in (c, kh, kw, oh, ow) order; dbias sums b, then p in 4 interleaved lanes
// combined as ((l0 + l1) + (l2 + l3)) + tail. A sample's y and dx do not depend on B or on its
// position in the batch (bitwise). With a thread pool, forward and dx split samples; dW and dbias
// are one job over dW's columns (each thread unfolds only the col rows its columns read) or, when
// K is narrow, over its rows, every dW element keeping its chain over b then p: the same bits.

import { ConvDesc } from './abi';
import { assertSpan } from './bounds';
import { gemm_cols, gemm_scratch_bytes } from './gemm';
import { parallel_samples, pool_threads, Job, range_pool, range_arg, range_run } from './threads';
import { RangeOp } from './range-jobs';

// descriptor slots (i32): ConvDesc of assembly/abi.ts
const DESC_BYTES: i32 = ConvDesc.Count << 2;

@inline function rd(desc: usize, slot: i32): i32 { return load<i32>(desc + (<usize>slot << 2)); }
@inline function wr(desc: usize, slot: i32, v: i32): void { store<i32>(desc + (<usize>slot << 2), v); }

// Writes the descriptor of one conv shape into desc (>= conv2d_desc_bytes() bytes, 4-aligned).
export function conv2d_desc(desc: usize, C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, dilH: i32, dilW: i32, Ho: i32, Wo: i32): void {
  wr(desc, ConvDesc.C, C); wr(desc, ConvDesc.H, H); wr(desc, ConvDesc.W, W); wr(desc, ConvDesc.O, O);
  wr(desc, ConvDesc.KH, KH); wr(desc, ConvDesc.KW, KW); wr(desc, ConvDesc.SH, strideH); wr(desc, ConvDesc.SW, strideW);
  wr(desc, ConvDesc.PadTop, padTop); wr(desc, ConvDesc.PadLeft, padLeft); wr(desc, ConvDesc.DilH, dilH); wr(desc, ConvDesc.DilW, dilW);
  wr(desc, ConvDesc.Ho, Ho); wr(desc, ConvDesc.Wo, Wo); wr(desc, ConvDesc.K, C * KH * KW); wr(desc, ConvDesc.P, Ho * Wo);
  const direct = KH == 1 && KW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && Ho == H && Wo == W;
  wr(desc, ConvDesc.Direct, direct ? 1 : 0);
}

// Bytes a descriptor block needs (callers may allocate more).
export function conv2d_desc_bytes(): i32 { return DESC_BYTES; }

@inline function colBytes(desc: usize): usize {
  return rd(desc, ConvDesc.Direct) ? 0 : ((<usize>rd(desc, ConvDesc.K) * <usize>rd(desc, ConvDesc.P) + 3) & ~<usize>3) << 2;
}

// Scratch bytes conv2d_forward/backward need for this descriptor (independent of B): one share
// per thread of the attached pool (one without a pool). Computed in 64 bits and returned as f64
// (exact): TypeScript refuses a size the 32-bit kernels cannot address before allocating.
export function conv2d_scratch_bytes(desc: usize): f64 {
  const O = rd(desc, ConvDesc.O), K = rd(desc, ConvDesc.K), P = rd(desc, ConvDesc.P);
  const g = max(gemm_scratch_bytes(O, P, K), max(gemm_scratch_bytes(O, K, P), gemm_scratch_bytes(K, P, O)));
  const col: u64 = rd(desc, ConvDesc.Direct) ? 0 : ((<u64>K * <u64>P + 3) & ~<u64>3) << 2;
  const per: u64 = (col + <u64>g + 15) & ~<u64>15;
  return <f64>per * <f64>pool_threads();
}

// First and one-past-last output column whose input column ow*s + off lies in [0, W).
@inline function validLo(off: i32, s: i32, Wo: i32): i32 { return off >= 0 ? 0 : min(Wo, (-off + s - 1) / s); }
@inline function validHi(off: i32, s: i32, W: i32, Wo: i32): i32 { return off > W - 1 ? 0 : min(Wo, (W - 1 - off) / s + 1); }

@inline function zeroRow(d: usize, n: i32): void {
  const z = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(d + (<usize>j << 2), z);
  for (; j < n; j++) store<f32>(d + (<usize>j << 2), 0);
}

// col (K,P) of one sample xb (C,H,W): col[(c,kh,kw)][(oh,ow)] = x[c, oh*sh+kh*dh-pt, ow*sw+kw*dw-pl] or 0.
@inline function im2col(col: usize, xb: usize, desc: usize): void {
  im2col_rows(col, xb, desc, 0, rd(desc, ConvDesc.K));
}

// Rows [r0, r1) of col (r = (c, kh, kw)), at their places in col; the other rows are not touched.
function im2col_rows(col: usize, xb: usize, desc: usize, r0: i32, r1: i32): void {
  const H = rd(desc, ConvDesc.H), W = rd(desc, ConvDesc.W), KH = rd(desc, ConvDesc.KH), KW = rd(desc, ConvDesc.KW);
  const sh = rd(desc, ConvDesc.SH), sw = rd(desc, ConvDesc.SW), pt = rd(desc, ConvDesc.PadTop), pl = rd(desc, ConvDesc.PadLeft);
  const dh = rd(desc, ConvDesc.DilH), dw = rd(desc, ConvDesc.DilW), Ho = rd(desc, ConvDesc.Ho), Wo = rd(desc, ConvDesc.Wo);
  let d = col + (<usize>r0 * <usize>rd(desc, ConvDesc.P) << 2);
  // (c, kh, kw) of row r0, then stepped row by row (no divisions in the loop)
  let c = r0 / (KH * KW), kh = (r0 / KW) % KH, kw = r0 % KW;
  for (let r = r0; r < r1; r++, kw++) {
    if (kw == KW) { kw = 0; kh++; if (kh == KH) { kh = 0; c++; } }
    const xc = xb + (<usize>c * <usize>H * <usize>W << 2);
    const off = kw * dw - pl;
    const lo = validLo(off, sw, Wo);
    const hi = max(lo, validHi(off, sw, W, Wo));
    for (let oh = 0; oh < Ho; oh++) {
      const ih = oh * sh + kh * dh - pt;
      if (ih < 0 || ih >= H) { zeroRow(d, Wo); d += <usize>Wo << 2; continue; }
      const xr = xc + (<usize>ih * <usize>W << 2);
      zeroRow(d, lo);
      if (sw == 1) {
        const s = xr + (<usize>(lo + off) << 2);
        const dd = d + (<usize>lo << 2);
        const n = hi - lo;
        let j = 0;
        for (; j + 4 <= n; j += 4) v128.store(dd + (<usize>j << 2), v128.load(s + (<usize>j << 2)));
        for (; j < n; j++) store<f32>(dd + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
      } else {
        for (let ow = lo; ow < hi; ow++) store<f32>(d + (<usize>ow << 2), load<f32>(xr + (<usize>(ow * sw + off) << 2)));
      }
      zeroRow(d + (<usize>hi << 2), Wo - hi);
      d += <usize>Wo << 2;
    }
  }
}

// dx_b (C,H,W) = col2im(dcol (K,P)): every dcol element added to the input it was copied from. Overwrites dx_b.
function col2im(dxb: usize, dcol: usize, desc: usize): void {
  const C = rd(desc, ConvDesc.C), H = rd(desc, ConvDesc.H), W = rd(desc, ConvDesc.W), KH = rd(desc, ConvDesc.KH), KW = rd(desc, ConvDesc.KW);
  const sh = rd(desc, ConvDesc.SH), sw = rd(desc, ConvDesc.SW), pt = rd(desc, ConvDesc.PadTop), pl = rd(desc, ConvDesc.PadLeft);
  const dh = rd(desc, ConvDesc.DilH), dw = rd(desc, ConvDesc.DilW), Ho = rd(desc, ConvDesc.Ho), Wo = rd(desc, ConvDesc.Wo);
  zeroRow(dxb, C * H * W);
  let s = dcol;
  for (let c = 0; c < C; c++) {
    const xc = dxb + (<usize>c * <usize>H * <usize>W << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const off = kw * dw - pl;
        const lo = validLo(off, sw, Wo);
        const hi = max(lo, validHi(off, sw, W, Wo));
        for (let oh = 0; oh < Ho; oh++) {
          const ih = oh * sh + kh * dh - pt;
          if (ih >= 0 && ih < H) {
            const xr = xc + (<usize>ih * <usize>W << 2);
            if (sw == 1) {
              const d = xr + (<usize>(lo + off) << 2);
              const ss = s + (<usize>lo << 2);
              const n = hi - lo;
              let j = 0;
              for (; j + 4 <= n; j += 4) {
                const o = <usize>j << 2;
                v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(ss + o)));
              }
              for (; j < n; j++) {
                const o = <usize>j << 2;
                store<f32>(d + o, load<f32>(d + o) + load<f32>(ss + o));
              }
            } else {
              for (let ow = lo; ow < hi; ow++) {
                const p = xr + (<usize>(ow * sw + off) << 2);
                store<f32>(p, load<f32>(p) + load<f32>(s + (<usize>ow << 2)));
              }
            }
          }
          s += <usize>Wo << 2;
        }
      }
    }
  }
}

// Bytes of one thread's share of the scratch: col + GEMM packing buffers.
@inline function perThreadScratch(desc: usize): usize {
  const O = rd(desc, ConvDesc.O), K = rd(desc, ConvDesc.K), P = rd(desc, ConvDesc.P);
  const g = max(gemm_scratch_bytes(O, P, K), max(gemm_scratch_bytes(O, K, P), gemm_scratch_bytes(K, P, O)));
  return (colBytes(desc) + <usize>g + 15) & ~<usize>15;
}

// Forward of samples [b0, b1) with this thread's scratch (col + GEMM buffers); GEMMs stay on this thread.
export function conv_forward_range(y: usize, x: usize, w: usize, bias: usize, b0: i32, b1: i32, desc: usize, scratch: usize): void {
  const O = rd(desc, ConvDesc.O), K = rd(desc, ConvDesc.K), P = rd(desc, ConvDesc.P);
  const direct = rd(desc, ConvDesc.Direct) != 0;
  const xStride = <usize>rd(desc, ConvDesc.C) * <usize>rd(desc, ConvDesc.H) * <usize>rd(desc, ConvDesc.W) << 2;
  const yStride = <usize>O * <usize>P << 2;
  const col = scratch;
  const gs = scratch + colBytes(desc);
  for (let b = b0; b < b1; b++) {
    const xb = x + <usize>b * xStride;
    const yb = y + <usize>b * yStride;
    let src = xb;
    if (!direct) { im2col(col, xb, desc); src = col; }
    if (bias) {
      for (let o = 0; o < O; o++) {
        const v = f32x4.splat(load<f32>(bias + (<usize>o << 2)));
        const r = yb + (<usize>o * <usize>P << 2);
        let j = 0;
        for (; j + 4 <= P; j += 4) v128.store(r + (<usize>j << 2), v);
        for (; j < P; j++) store<f32>(r + (<usize>j << 2), f32x4.extract_lane(v, 0));
      }
    }
    gemm_cols(0, yb, w, src, O, P, K, bias ? 1 : 0, gs, 0, P);
  }
}

// Input gradient of samples [b0, b1): dcol = Wᵀ · dy_b, then col2im (overwrites dx_b).
export function conv_dx_range(dx: usize, dy: usize, w: usize, b0: i32, b1: i32, desc: usize, scratch: usize): void {
  const O = rd(desc, ConvDesc.O), K = rd(desc, ConvDesc.K), P = rd(desc, ConvDesc.P);
  const direct = rd(desc, ConvDesc.Direct) != 0;
  const xStride = <usize>rd(desc, ConvDesc.C) * <usize>rd(desc, ConvDesc.H) * <usize>rd(desc, ConvDesc.W) << 2;
  const yStride = <usize>O * <usize>P << 2;
  const col = scratch;
  const gs = scratch + colBytes(desc);
  for (let b = b0; b < b1; b++) {
    const dyb = dy + <usize>b * yStride;
    const dxb = dx + <usize>b * xStride;
    if (direct) gemm_cols(2, dxb, w, dyb, K, P, O, 0, gs, 0, P);
    else { gemm_cols(2, col, w, dyb, K, P, O, 0, gs, 0, P); col2im(dxb, col, desc); }
  }
}

// y (B,O,Ho,Wo) = conv(x (B,C,H,W), w (O,C,KH,KW)) + bias (O) (skipped when bias == 0). Overwrites y.
// With a thread pool, samples are split over the threads (each sample computed by one thread,
// with the same arithmetic: identical bits).
// Debug builds: output maps (B,O,Ho,Wo), input maps (B,C,H,W) and the scratch all inside memory.
@inline function checkConvSpans(y: usize, x: usize, B: i32, desc: usize, scratch: usize): void {
  assertSpan(y, <i64>B * <i64>rd(desc, ConvDesc.O) * <i64>rd(desc, ConvDesc.P), 4);
  assertSpan(x, <i64>B * <i64>rd(desc, ConvDesc.C) * <i64>rd(desc, ConvDesc.H) * <i64>rd(desc, ConvDesc.W), 4);
  assertSpan(scratch, <i64>conv2d_scratch_bytes(desc), 1);
}

// y (B,O,Ho,Wo) = [bias] + w (O,C,KH,KW) ⋆ x (B,C,H,W), the shape in desc. Overwrites y; split by samples on a pool.
export function conv2d_forward(y: usize, x: usize, w: usize, bias: usize, B: i32, desc: usize, scratch: usize): void {
  checkConvSpans(y, x, B, desc, scratch);
  if (parallel_samples(Job.ConvFwd, y, x, w, bias, B, desc, scratch, perThreadScratch(desc))) return;
  conv_forward_range(y, x, w, bias, 0, B, desc, scratch);
}

// dw (O,C,KH,KW) = sum_b dy_b · col_bᵀ;  dbias (O) = sums of dy over b and pixels;  dx (B,C,H,W).
// Overwrites dw, dbias (when dbias != 0) and dx (when dx != 0). dw keeps one chain over samples;
// on a pool dW + dbias are one job split by dW columns (or rows), dx is split by samples.
export function conv2d_backward(dx: usize, dw: usize, dbias: usize, dy: usize, x: usize, w: usize, B: i32, desc: usize, scratch: usize): void {
  checkConvSpans(dy, x, B, desc, scratch);
  if (dx) checkConvSpans(dy, dx, B, desc, scratch);
  const O = rd(desc, ConvDesc.O), K = rd(desc, ConvDesc.K), P = rd(desc, ConvDesc.P);
  if (B <= 0) zeroRow(dw, O * K);
  // dW and dbias: one pool job over dW's columns (each thread unfolds only the col rows it reads)
  // or, for narrow K, over its rows; every dW element keeps its one chain over b and p
  const T = pool_threads();
  const cols = K >= 16 * T, rows = !cols && O >= 4 * T;
  const p = B > 0 && (cols || rows) ? range_pool(<i64>B * <i64>O * <i64>K * <i64>P >> 4) : 0;
  if (p) {
    range_arg(p, 0, <i32>dw); range_arg(p, 1, <i32>dbias); range_arg(p, 2, <i32>dy); range_arg(p, 3, <i32>x); range_arg(p, 4, B);
    range_arg(p, 5, <i32>scratch); range_arg(p, 6, <i32>perThreadScratch(desc)); range_arg(p, 7, cols ? 0 : 1);
    range_arg(p, 8, O); range_arg(p, 9, K); range_arg(p, 10, <i32>desc);
    range_run(p, RangeOp.ConvDW, cols ? K : O, cols ? 8 : 4);
  } else conv_dw_range(dw, dbias, dy, x, B, desc, scratch, 0, O, 0, K, 0, O);
  if (dx && !parallel_samples(Job.ConvDx, dx, dy, w, 0, B, desc, scratch, perThreadScratch(desc))) {
    conv_dx_range(dx, dy, w, 0, B, desc, scratch);
  }
}

// dW rows [o0, o1) x columns [k0, k1) summed over all B samples with this thread's scratch (col +
// GEMM buffers; only col rows [k0, k1) are unfolded), and dbias of channels [q0, q1) (dbias = 0: none).
export function conv_dw_range(dw: usize, dbias: usize, dy: usize, x: usize, B: i32, desc: usize, scratch: usize,
  o0: i32, o1: i32, k0: i32, k1: i32, q0: i32, q1: i32): void {
  const O = rd(desc, ConvDesc.O), K = rd(desc, ConvDesc.K), P = rd(desc, ConvDesc.P);
  const direct = rd(desc, ConvDesc.Direct) != 0;
  const xStride = <usize>rd(desc, ConvDesc.C) * <usize>rd(desc, ConvDesc.H) * <usize>rd(desc, ConvDesc.W) << 2;
  const yStride = <usize>O * <usize>P << 2;
  const col = scratch;
  const gs = scratch + colBytes(desc);
  if (o0 < o1 && k0 < k1) {
    for (let b = 0; b < B; b++) {
      const xb = x + <usize>b * xStride;
      const dyb = dy + <usize>b * yStride + (<usize>o0 * <usize>P << 2);
      let src = xb;
      if (!direct) { im2col_rows(col, xb, desc, k0, k1); src = col; }
      gemm_cols(1, dw + (<usize>o0 * <usize>K << 2), dyb, src, o1 - o0, K, P, b > 0 ? 1 : 0, gs, k0, k1);
    }
  }
  if (dbias) {
    for (let o = q0; o < q1; o++) {
      let acc = f32x4.splat(0);
      let tail: f32 = 0;
      for (let b = 0; b < B; b++) {
        const r = dy + <usize>b * yStride + (<usize>o * <usize>P << 2);
        let j = 0;
        for (; j + 4 <= P; j += 4) acc = f32x4.add(acc, v128.load(r + (<usize>j << 2)));
        for (; j < P; j++) tail += load<f32>(r + (<usize>j << 2));
      }
      const s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      store<f32>(dbias + (<usize>o << 2), s + tail);
    }
  }
}
