// Pooling on NCHW activations: MaxPool2D (with an argmax cache for backward), AvgPool2D and global
// average pooling. No padding; Ho = floor((H - KH) / sh) + 1 (the caller checks windows fit).
// Forward kernels vectorise over 4 adjacent output columns (strided gathers for stride 1, 2 and
// other strides); backward kernels scatter into dx in a fixed order and overwrite dx. With a thread
// pool the (sample, channel) planes are split in ranges (threads.ts range jobs): every plane is
// computed by one thread with the single-thread arithmetic, so the bits do not depend on threads.
import { assertSpan } from './bounds';
import { range_pool, range_arg, range_run } from './threads';
import { RangeOp } from './range-jobs';

// x[iw0 + j*sw] for j = 0..3 from one input row; never reads past iw0 + 3*sw.
@inline function gather4(row: usize, iw0: i32, sw: i32): v128 {
  const p = row + (<usize>iw0 << 2);
  if (sw == 1) return v128.load(p);
  if (sw == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + (<usize>sw << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(p + (<usize>(2 * sw) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(p + (<usize>(3 * sw) << 2)));
}

// y (B,C,Ho,Wo) = window maxima of x (B,C,H,W); argmax (B,C,Ho,Wo) i32 = index of the max in its
// H*W plane (first one in (kh, kw) order on ties; NaN never replaces a number). Overwrites both.
export function maxpool2d_forward(y: usize, argmax: usize, x: usize, B: i32, C: i32, H: i32, W: i32,
  KH: i32, KW: i32, sh: i32, sw: i32, Ho: i32, Wo: i32): void {
  assertSpan(y, <i64>B * <i64>C * <i64>Ho * <i64>Wo, 4); assertSpan(argmax, <i64>B * <i64>C * <i64>Ho * <i64>Wo, 4); assertSpan(x, <i64>B * <i64>C * <i64>H * <i64>W, 4);
  const p = B * C >= 2 ? range_pool(<i64>B * C * H * W) : 0;
  if (p) {
    range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>argmax); range_arg(p, 2, <i32>x); range_arg(p, 3, H); range_arg(p, 4, W);
    range_arg(p, 5, KH); range_arg(p, 6, KW); range_arg(p, 7, sh); range_arg(p, 8, sw); range_arg(p, 9, Ho); range_arg(p, 10, Wo);
    range_run(p, RangeOp.MaxPoolFwd, B * C, 1);
    return;
  }
  maxpool_forward_range(y, argmax, x, H, W, KH, KW, sh, sw, Ho, Wo, 0, B * C);
}

// maxpool2d_forward of planes [bc0, bc1).
export function maxpool_forward_range(y: usize, argmax: usize, x: usize, H: i32, W: i32,
  KH: i32, KW: i32, sh: i32, sw: i32, Ho: i32, Wo: i32, bc0: i32, bc1: i32): void {
  const plane = <usize>H * <usize>W << 2;
  const oplane = <usize>Ho * <usize>Wo << 2;
  const lane = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(0), 1, sw), 2, 2 * sw), 3, 3 * sw);
  for (let bc = bc0; bc < bc1; bc++) {
    const xp = x + <usize>bc * plane;
    const yp = y + <usize>bc * oplane;
    const ap = argmax + <usize>bc * oplane;
    for (let oh = 0; oh < Ho; oh++) {
      const ih0 = oh * sh;
      const yr = yp + (<usize>(oh * Wo) << 2);
      const ar = ap + (<usize>(oh * Wo) << 2);
      let ow = 0;
      for (; ow + 4 <= Wo; ow += 4) {
        const iw0 = ow * sw;
        let best = gather4(xp + (<usize>(ih0 * W) << 2), iw0, sw);
        let idx = i32x4.add(i32x4.splat(ih0 * W + iw0), lane);
        for (let kh = 0; kh < KH; kh++) {
          const row = xp + (<usize>((ih0 + kh) * W) << 2);
          for (let kw = (kh == 0 ? 1 : 0); kw < KW; kw++) {
            const v = gather4(row, iw0 + kw, sw);
            const m = f32x4.gt(v, best);
            best = v128.bitselect(v, best, m);
            idx = v128.bitselect(i32x4.add(i32x4.splat((ih0 + kh) * W + iw0 + kw), lane), idx, m);
          }
        }
        v128.store(yr + (<usize>ow << 2), best);
        v128.store(ar + (<usize>ow << 2), idx);
      }
      for (; ow < Wo; ow++) {
        const iw0 = ow * sw;
        let bi = ih0 * W + iw0;
        let best = load<f32>(xp + (<usize>bi << 2));
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = (kh == 0 ? 1 : 0); kw < KW; kw++) {
            const i = (ih0 + kh) * W + iw0 + kw;
            const v = load<f32>(xp + (<usize>i << 2));
            if (v > best) { best = v; bi = i; }
          }
        }
        store<f32>(yr + (<usize>ow << 2), best);
        store<i32>(ar + (<usize>ow << 2), bi);
      }
    }
  }
}

// dx (B,C,H,W) = dy (B,C,Ho,Wo) routed to the argmax positions, added in output order. Overwrites dx.
export function maxpool2d_backward(dx: usize, dy: usize, argmax: usize, B: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32): void {
  const p = B * C >= 2 ? range_pool(<i64>B * C * H * W) : 0;
  if (p) {
    range_arg(p, 0, <i32>dx); range_arg(p, 1, <i32>dy); range_arg(p, 2, <i32>argmax); range_arg(p, 3, H * W); range_arg(p, 4, Ho * Wo);
    range_run(p, RangeOp.MaxPoolBwd, B * C, 1);
    return;
  }
  maxpool_backward_range(dx, dy, argmax, H * W, Ho * Wo, 0, B * C);
}

// maxpool2d_backward of planes [bc0, bc1) (n = H*W, on = Ho*Wo).
export function maxpool_backward_range(dx: usize, dy: usize, argmax: usize, n: i32, on: i32, bc0: i32, bc1: i32): void {
  memory.fill(dx + (<usize>bc0 * <usize>n << 2), 0, <usize>(bc1 - bc0) * <usize>n << 2);
  for (let bc = bc0; bc < bc1; bc++) {
    const xp = dx + (<usize>bc * <usize>n << 2);
    const off = <usize>bc * <usize>on << 2;
    for (let o = 0; o < on; o++) {
      const p = xp + (<usize>load<i32>(argmax + off + (<usize>o << 2)) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(dy + off + (<usize>o << 2)));
    }
  }
}

// y (B,C,Ho,Wo) = window sums of x (B,C,H,W) in (kh, kw) order, divided by KH*KW. Overwrites y.
export function avgpool2d_forward(y: usize, x: usize, B: i32, C: i32, H: i32, W: i32,
  KH: i32, KW: i32, sh: i32, sw: i32, Ho: i32, Wo: i32): void {
  const p = B * C >= 2 ? range_pool(<i64>B * C * H * W) : 0;
  if (p) {
    range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>x); range_arg(p, 2, H); range_arg(p, 3, W); range_arg(p, 4, KH);
    range_arg(p, 5, KW); range_arg(p, 6, sh); range_arg(p, 7, sw); range_arg(p, 8, Ho); range_arg(p, 9, Wo);
    range_run(p, RangeOp.AvgPoolFwd, B * C, 1);
    return;
  }
  avgpool_forward_range(y, x, H, W, KH, KW, sh, sw, Ho, Wo, 0, B * C);
}

// avgpool2d_forward of planes [bc0, bc1).
export function avgpool_forward_range(y: usize, x: usize, H: i32, W: i32,
  KH: i32, KW: i32, sh: i32, sw: i32, Ho: i32, Wo: i32, bc0: i32, bc1: i32): void {
  const plane = <usize>H * <usize>W << 2;
  const oplane = <usize>Ho * <usize>Wo << 2;
  const nf = <f32>(KH * KW);
  const nv = f32x4.splat(nf);
  for (let bc = bc0; bc < bc1; bc++) {
    const xp = x + <usize>bc * plane;
    const yr0 = y + <usize>bc * oplane;
    for (let oh = 0; oh < Ho; oh++) {
      const ih0 = oh * sh;
      const yr = yr0 + (<usize>(oh * Wo) << 2);
      let ow = 0;
      for (; ow + 4 <= Wo; ow += 4) {
        const iw0 = ow * sw;
        let s = gather4(xp + (<usize>(ih0 * W) << 2), iw0, sw);
        for (let kh = 0; kh < KH; kh++) {
          const row = xp + (<usize>((ih0 + kh) * W) << 2);
          for (let kw = (kh == 0 ? 1 : 0); kw < KW; kw++) s = f32x4.add(s, gather4(row, iw0 + kw, sw));
        }
        v128.store(yr + (<usize>ow << 2), f32x4.div(s, nv));
      }
      for (; ow < Wo; ow++) {
        const iw0 = ow * sw;
        let s = load<f32>(xp + (<usize>(ih0 * W + iw0) << 2));
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = (kh == 0 ? 1 : 0); kw < KW; kw++) s += load<f32>(xp + (<usize>((ih0 + kh) * W + iw0 + kw) << 2));
        }
        store<f32>(yr + (<usize>ow << 2), s / nf);
      }
    }
  }
}

// dx (B,C,H,W): every input of a window gets dy / (KH*KW), added in output then (kh, kw) order. Overwrites dx.
export function avgpool2d_backward(dx: usize, dy: usize, B: i32, C: i32, H: i32, W: i32,
  KH: i32, KW: i32, sh: i32, sw: i32, Ho: i32, Wo: i32): void {
  const p = B * C >= 2 ? range_pool(<i64>B * C * H * W) : 0;
  if (p) {
    range_arg(p, 0, <i32>dx); range_arg(p, 1, <i32>dy); range_arg(p, 2, H); range_arg(p, 3, W); range_arg(p, 4, KH);
    range_arg(p, 5, KW); range_arg(p, 6, sh); range_arg(p, 7, sw); range_arg(p, 8, Ho); range_arg(p, 9, Wo);
    range_run(p, RangeOp.AvgPoolBwd, B * C, 1);
    return;
  }
  avgpool_backward_range(dx, dy, H, W, KH, KW, sh, sw, Ho, Wo, 0, B * C);
}

// avgpool2d_backward of planes [bc0, bc1).
export function avgpool_backward_range(dx: usize, dy: usize, H: i32, W: i32,
  KH: i32, KW: i32, sh: i32, sw: i32, Ho: i32, Wo: i32, bc0: i32, bc1: i32): void {
  const n = H * W, on = Ho * Wo;
  const nf = <f32>(KH * KW);
  memory.fill(dx + (<usize>bc0 * <usize>n << 2), 0, <usize>(bc1 - bc0) * <usize>n << 2);
  for (let bc = bc0; bc < bc1; bc++) {
    const xp = dx + (<usize>bc * <usize>n << 2);
    const gp = dy + (<usize>bc * <usize>on << 2);
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        const g = load<f32>(gp + (<usize>(oh * Wo + ow) << 2)) / nf;
        const gv = f32x4.splat(g);
        for (let kh = 0; kh < KH; kh++) {
          const r = xp + (<usize>((oh * sh + kh) * W + ow * sw) << 2);
          let kw = 0;
          for (; kw + 4 <= KW; kw += 4) {
            const p = r + (<usize>kw << 2);
            v128.store(p, f32x4.add(v128.load(p), gv));
          }
          for (; kw < KW; kw++) {
            const p = r + (<usize>kw << 2);
            store<f32>(p, load<f32>(p) + g);
          }
        }
      }
    }
  }
}

// y (B,C) = mean of each H*W plane of x (B,C,HW): 4 interleaved lane sums combined as
// ((l0 + l1) + (l2 + l3)), then the tail in order, then / HW. Overwrites y.
export function global_avgpool_forward(y: usize, x: usize, B: i32, C: i32, HW: i32): void {
  const p = B * C >= 2 ? range_pool(<i64>B * C * HW) : 0;
  if (p) { range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>x); range_arg(p, 2, HW); range_run(p, RangeOp.GapFwd, B * C, 1); return; }
  gap_forward_range(y, x, HW, 0, B * C);
}

// global_avgpool_forward of planes [bc0, bc1).
export function gap_forward_range(y: usize, x: usize, HW: i32, bc0: i32, bc1: i32): void {
  const nf = <f32>HW;
  for (let bc = bc0; bc < bc1; bc++) {
    const r = x + (<usize>bc * <usize>HW << 2);
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= HW; j += 4) acc = f32x4.add(acc, v128.load(r + (<usize>j << 2)));
    let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
    for (; j < HW; j++) s += load<f32>(r + (<usize>j << 2));
    store<f32>(y + (<usize>bc << 2), s / nf);
  }
}

// dx (B,C,HW) = dy (B,C) / HW broadcast over each plane. Overwrites dx.
export function global_avgpool_backward(dx: usize, dy: usize, B: i32, C: i32, HW: i32): void {
  const p = B * C >= 2 ? range_pool(<i64>B * C * HW) : 0;
  if (p) { range_arg(p, 0, <i32>dx); range_arg(p, 1, <i32>dy); range_arg(p, 2, HW); range_run(p, RangeOp.GapBwd, B * C, 1); return; }
  gap_backward_range(dx, dy, HW, 0, B * C);
}

// global_avgpool_backward of planes [bc0, bc1).
export function gap_backward_range(dx: usize, dy: usize, HW: i32, bc0: i32, bc1: i32): void {
  const nf = <f32>HW;
  for (let bc = bc0; bc < bc1; bc++) {
    const g = load<f32>(dy + (<usize>bc << 2)) / nf;
    const gv = f32x4.splat(g);
    const r = dx + (<usize>bc * <usize>HW << 2);
    let j = 0;
    for (; j + 4 <= HW; j += 4) v128.store(r + (<usize>j << 2), gv);
    for (; j < HW; j++) store<f32>(r + (<usize>j << 2), g);
  }
}
