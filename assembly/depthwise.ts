// DepthwiseConv2D forward/backward on NCHW activations, PyTorch's grouped layout (groups = C):
// x (B,C,H,W), weight (O,1,KH,KW) with O = C*M (M = depth multiplier; output channel o reads input
// channel o / M), bias (O), y (B,O,Ho,Wo). The shape travels in the Conv2D descriptor block
// (conv2d_desc with O = C*M; its K and Direct slots are unused here).
//
// ALGORITHM: direct loops, no im2col (a depthwise conv has only KH*KW multiply-adds per output, so
// an unfolded copy would cost as much as the arithmetic). Each output row accumulates one tap
// (kh, kw) at a time over the output columns whose input column is inside the map, vectorised by 4
// columns for stride 1 (contiguous input) and stride 2 (two loads and a shuffle); other strides
// are scalar. No scratch.
// MEASURED (bench/depthwise.mjs; 3x3 pad 1, batch 64, 1 thread, loaded 2-core host): forward 1.1-4.6
// GFLOP/s, 7-20x less time than the same layer as a dense Conv2D with a block-diagonal weight. A
// register-blocked forward (all taps of 16 columns in registers, edge columns alone; same bits)
// measured 0.94-1.13x of this one, interleaved A/B on 5 shapes: no winner, not kept.
//
// SUMMATION ORDER (determinism, single thread: depthwise layers are a few percent of a network's
// arithmetic, not worth a pool job): y = bias (or +0), then the taps in (kh, kw) order (taps that
// fall in the padding add nothing); dx sums (m, kh, kw, oh) contributions in that order; dw and
// dbias sum b, then (oh, ow) in 4 interleaved column lanes combined as ((l0 + l1) + (l2 + l3)) +
// the scalar tail. Every multiply and add is a separate f32 operation (no fused multiply-add), so
// the scalar and vector paths give the same bits; a sample's y and dx do not depend on B.
import { ConvDesc } from './abi';
import { assertSpan } from './bounds';

@inline function rd(desc: usize, slot: i32): i32 { return load<i32>(desc + (<usize>slot << 2)); }
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// First and one-past-last output column whose input column ow*s + off lies in [0, W).
@inline function validLo(off: i32, s: i32, Wo: i32): i32 { return off >= 0 ? 0 : min(Wo, (-off + s - 1) / s); }
@inline function validHi(off: i32, s: i32, W: i32, Wo: i32): i32 { return off > W - 1 ? 0 : min(Wo, (W - 1 - off) / s + 1); }

// Four input values x[(ow + j) * s + off], j = 0..3, of row xr (s = 1 or 2; never past the 4th).
@inline function gather4(xr: usize, ow: i32, s: i32, off: i32): v128 {
  const p = at(xr, ow * s + off);
  if (s == 1) return v128.load(p);
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
}

// yr[ow] += wv * xr[ow*s + off] for ow in [lo, hi).
@inline function tapRow(yr: usize, xr: usize, wv: f32, lo: i32, hi: i32, s: i32, off: i32): void {
  let ow = lo;
  if (s <= 2) {
    const wvec = f32x4.splat(wv);
    for (; ow + 4 <= hi; ow += 4) {
      const p = at(yr, ow);
      v128.store(p, f32x4.add(v128.load(p), f32x4.mul(wvec, gather4(xr, ow, s, off))));
    }
  }
  for (; ow < hi; ow++) store<f32>(at(yr, ow), load<f32>(at(yr, ow)) + wv * load<f32>(at(xr, ow * s + off)));
}

@inline function checkSpans(y: usize, x: usize, B: i32, desc: usize): void {
  assertSpan(y, <i64>B * <i64>rd(desc, ConvDesc.O) * <i64>rd(desc, ConvDesc.Ho) * <i64>rd(desc, ConvDesc.Wo), 4);
  assertSpan(x, <i64>B * <i64>rd(desc, ConvDesc.C) * <i64>rd(desc, ConvDesc.H) * <i64>rd(desc, ConvDesc.W), 4);
}

// y (B,O,Ho,Wo) = [bias] + w (O,1,KH,KW) ⋆ x (B,C,H,W) per channel group, the shape in desc. Overwrites y.
export function depthwise_conv2d_forward(y: usize, x: usize, w: usize, bias: usize, B: i32, desc: usize): void {
  checkSpans(y, x, B, desc);
  const C = rd(desc, ConvDesc.C), H = rd(desc, ConvDesc.H), W = rd(desc, ConvDesc.W), O = rd(desc, ConvDesc.O);
  const KH = rd(desc, ConvDesc.KH), KW = rd(desc, ConvDesc.KW), sh = rd(desc, ConvDesc.SH), sw = rd(desc, ConvDesc.SW);
  const pt = rd(desc, ConvDesc.PadTop), pl = rd(desc, ConvDesc.PadLeft), dh = rd(desc, ConvDesc.DilH), dw = rd(desc, ConvDesc.DilW);
  const Ho = rd(desc, ConvDesc.Ho), Wo = rd(desc, ConvDesc.Wo);
  const M = O / C;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const xc = x + ((<usize>(b * C + o / M) * <usize>H * <usize>W) << 2);
      const yc = y + ((<usize>(b * O + o) * <usize>Ho * <usize>Wo) << 2);
      const bv: f32 = bias ? load<f32>(at(bias, o)) : 0;
      const wo = w + ((<usize>o * <usize>KH * <usize>KW) << 2);
      for (let oh = 0; oh < Ho; oh++) {
        const yr = yc + ((<usize>oh * <usize>Wo) << 2);
        const bvec = f32x4.splat(bv);
        let j = 0;
        for (; j + 4 <= Wo; j += 4) v128.store(at(yr, j), bvec);
        for (; j < Wo; j++) store<f32>(at(yr, j), bv);
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh * dh - pt;
          if (ih < 0 || ih >= H) continue;
          const xr = xc + ((<usize>ih * <usize>W) << 2);
          for (let kw = 0; kw < KW; kw++) {
            const off = kw * dw - pl;
            const lo = validLo(off, sw, Wo), hi = validHi(off, sw, W, Wo);
            if (lo < hi) tapRow(yr, xr, load<f32>(at(wo, kh * KW + kw)), lo, hi, sw, off);
          }
        }
      }
    }
  }
}

// sum over ow in [lo, hi) of dyr[ow] * xr[ow*s + off] into 4 lanes (acc) and a scalar tail.
@inline function dotRow(acc: v128, dyr: usize, xr: usize, lo: i32, hi: i32, s: i32, off: i32): v128 {
  let ow = lo;
  if (s <= 2) for (; ow + 4 <= hi; ow += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(dyr, ow)), gather4(xr, ow, s, off)));
  return acc;
}
@inline function dotTail(tail: f32, dyr: usize, xr: usize, lo: i32, hi: i32, s: i32, off: i32): f32 {
  let ow = lo;
  if (s <= 2) ow = lo + ((hi - lo) & ~3);
  for (; ow < hi; ow++) tail += load<f32>(at(dyr, ow)) * load<f32>(at(xr, ow * s + off));
  return tail;
}

@inline function lanes(acc: v128, tail: f32): f32 {
  return ((f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3))) + tail;
}

// dw (O,1,KH,KW) and dbias (O) from dy (B,O,Ho,Wo) and x; dx (B,C,H,W). Overwrites dw, dbias (when
// dbias != 0) and dx (when dx != 0).
export function depthwise_conv2d_backward(dx: usize, dw: usize, dbias: usize, dy: usize, x: usize, w: usize, B: i32, desc: usize): void {
  checkSpans(dy, x, B, desc);
  if (dx) checkSpans(dy, dx, B, desc);
  const C = rd(desc, ConvDesc.C), H = rd(desc, ConvDesc.H), W = rd(desc, ConvDesc.W), O = rd(desc, ConvDesc.O);
  const KH = rd(desc, ConvDesc.KH), KW = rd(desc, ConvDesc.KW), sh = rd(desc, ConvDesc.SH), sw = rd(desc, ConvDesc.SW);
  const pt = rd(desc, ConvDesc.PadTop), pl = rd(desc, ConvDesc.PadLeft), dh = rd(desc, ConvDesc.DilH), dil = rd(desc, ConvDesc.DilW);
  const Ho = rd(desc, ConvDesc.Ho), Wo = rd(desc, ConvDesc.Wo);
  const M = O / C;
  const xPlane = <usize>H * <usize>W, yPlane = <usize>Ho * <usize>Wo;
  // weight gradient: one (kh, kw) tap at a time over every sample and output row
  for (let o = 0; o < O; o++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const off = kw * dil - pl;
        const lo = validLo(off, sw, Wo), hi = max(lo, validHi(off, sw, W, Wo));
        let acc = f32x4.splat(0);
        let tail: f32 = 0;
        for (let b = 0; b < B; b++) {
          const xc = x + ((<usize>(b * C + o / M) * xPlane) << 2);
          const dyc = dy + ((<usize>(b * O + o) * yPlane) << 2);
          for (let oh = 0; oh < Ho; oh++) {
            const ih = oh * sh + kh * dh - pt;
            if (ih < 0 || ih >= H) continue;
            const xr = xc + ((<usize>ih * <usize>W) << 2), dyr = dyc + ((<usize>oh * <usize>Wo) << 2);
            acc = dotRow(acc, dyr, xr, lo, hi, sw, off);
            tail = dotTail(tail, dyr, xr, lo, hi, sw, off);
          }
        }
        store<f32>(at(dw, (o * KH + kh) * KW + kw), lanes(acc, tail));
      }
    }
  }
  if (dbias) {
    for (let o = 0; o < O; o++) {
      let acc = f32x4.splat(0);
      let tail: f32 = 0;
      for (let b = 0; b < B; b++) {
        const r = dy + ((<usize>(b * O + o) * yPlane) << 2);
        const P = <i32>yPlane;
        let j = 0;
        for (; j + 4 <= P; j += 4) acc = f32x4.add(acc, v128.load(at(r, j)));
        for (; j < P; j++) tail += load<f32>(at(r, j));
      }
      store<f32>(at(dbias, o), lanes(acc, tail));
    }
  }
  if (!dx) return;
  // input gradient: each input plane gathers its M output channels' taps, (m, kh, kw, oh) in order
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const dxc = dx + ((<usize>(b * C + c) * xPlane) << 2);
      const z = f32x4.splat(0);
      const n = <i32>xPlane;
      let j = 0;
      for (; j + 4 <= n; j += 4) v128.store(at(dxc, j), z);
      for (; j < n; j++) store<f32>(at(dxc, j), 0);
      for (let m = 0; m < M; m++) {
        const o = c * M + m;
        const dyc = dy + ((<usize>(b * O + o) * yPlane) << 2);
        const wo = w + ((<usize>o * <usize>KH * <usize>KW) << 2);
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const off = kw * dil - pl;
            const lo = validLo(off, sw, Wo), hi = validHi(off, sw, W, Wo);
            if (lo >= hi) continue;
            const wv = load<f32>(at(wo, kh * KW + kw));
            const wvec = f32x4.splat(wv);
            for (let oh = 0; oh < Ho; oh++) {
              const ih = oh * sh + kh * dh - pt;
              if (ih < 0 || ih >= H) continue;
              const xr = dxc + ((<usize>ih * <usize>W) << 2), dyr = dyc + ((<usize>oh * <usize>Wo) << 2);
              let ow = lo;
              if (sw == 1) {
                for (; ow + 4 <= hi; ow += 4) {
                  const p = at(xr, ow + off);
                  v128.store(p, f32x4.add(v128.load(p), f32x4.mul(wvec, v128.load(at(dyr, ow)))));
                }
              }
              for (; ow < hi; ow++) {
                const p = at(xr, ow * sw + off);
                store<f32>(p, load<f32>(p) + wv * load<f32>(at(dyr, ow)));
              }
            }
          }
        }
      }
    }
  }
}
