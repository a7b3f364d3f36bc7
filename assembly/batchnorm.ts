// Batch normalisation over (B, C, S) tensors (S = H*W for maps, 1 or L for vectors), as
// torch.nn.BatchNorm1d/2d. Per channel c, over the N = B*S values x[b, c, s]:
//   training:  mean = sum x / N, var = sum (x - mean)^2 / N (biased, used to normalise),
//              xhat = (x - mean) * invstd, invstd = 1 / sqrt(var + eps), y = xhat * gamma + beta,
//              running_mean = (1 - m) running_mean + m mean, running_var = (1 - m) running_var + m var * N / (N - 1)
//   evaluation: xhat = (x - running_mean) * (1 / sqrt(running_var + eps)), y = xhat * gamma + beta
// gamma = beta = 0 (pointers): no affine part. saved holds (mean, invstd) per channel for backward.
//
// SUMMATION ORDER (determinism): every per-channel sum is one f64 chain in the order (b, then s),
// so results do not depend on threads, engines or the vector width. The chains are sequential by
// nature (one f64 add per element, latency-bound), so the SIMD kernels run FOUR CHANNELS AT ONCE:
// two f64x2 accumulators whose lanes are channels (c, c+1) and (c+2, c+3), fed by 4-value loads of
// each channel row and shuffles that pair the rows' values. Each lane is exactly the scalar chain
// of its channel, and every elementwise pass (normalise, dx) does the scalar f32 operations in the
// scalar order four values at a time (wasm SIMD has no fused multiply-add), so the bits equal the
// scalar kernels' (bench/batchnorm-dev/scalar.ts; bench/batchnorm.mjs checks them, and
// test/layers/batchnorm-kernels.test.ts that a channel in a group has the bits of the channel
// alone). Channels past the last multiple of 4 take the scalar path. With a thread pool the channels
// are split in ranges at multiples of 4 (threads.ts range jobs): each channel's chains stay on one
// thread, and the same channels are in quads, so the bits do not depend on the thread count.
import { assertSpan } from './bounds';
import { range_pool, range_arg, range_argf, range_run } from './threads';
import { RangeOp } from './range-jobs';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }
// @ts-ignore: decorator
@inline function row(x: usize, b: i32, C: i32, S: i32, c: i32): usize { return x + ((<usize>(b * C + c) * <usize>S) << 2); }

// Pairs of two channel rows' 4 values: lo = [r0[0], r1[0], r0[1], r1[1]], hi = [r0[2], r1[2], r0[3], r1[3]].
// @ts-ignore: decorator
@inline function lo01(r0: v128, r1: v128): v128 { return v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); }
// @ts-ignore: decorator
@inline function hi01(r0: v128, r1: v128): v128 { return v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); }
// Lanes 0, 1 (first) or 2, 3 (second) of an f32x4 as f64x2.
// @ts-ignore: decorator
@inline function first(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline function second(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)); }
// (f64 p[0], f64 p[stride]): one value of two adjacent channel rows (tails).
// @ts-ignore: decorator
@inline function pairAt(p: usize, stride: usize): v128 { return f64x2.replace_lane(f64x2.splat(<f64>load<f32>(p)), 1, <f64>load<f32>(p + stride)); }

// @ts-ignore: decorator
@inline function sq(acc: v128, v: v128, m: v128): v128 { const d = f64x2.sub(v, m); return f64x2.add(acc, f64x2.mul(d, d)); }

/** y = (x - mean) * invstd * g + bt over channel c, four values at a time (the scalar order per value). */
function normalizeChannel(y: usize, x: usize, gamma: usize, beta: usize, B: i32, C: i32, S: i32, c: i32, mean: f32, invstd: f32): void {
  const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
  const bt: f32 = beta ? load<f32>(at(beta, c)) : 0;
  const mv = f32x4.splat(mean), iv = f32x4.splat(invstd), gv = f32x4.splat(g), bv = f32x4.splat(bt);
  for (let b = 0; b < B; b++) {
    const off = (<usize>(b * C + c) * <usize>S) << 2;
    let s = 0;
    for (; s + 4 <= S; s += 4) {
      const p = off + (<usize>s << 2);
      v128.store(y + p, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + p), mv), iv), gv), bv));
    }
    for (; s < S; s++) {
      const p = off + (<usize>s << 2);
      store<f32>(y + p, (load<f32>(x + p) - mean) * invstd * g + bt);
    }
  }
}

/** Stores a channel's batch statistics and updates its running ones (scalar: once per channel). */
function finishChannel(rmean: usize, rvar: usize, saved: usize, C: i32, c: i32, N: i32, mean64: f64, var64: f64, eps: f32, momentum: f32): void {
  const mean = <f32>mean64;
  const invstd = <f32>(1.0 / Math.sqrt(var64 + <f64>eps));
  store<f32>(at(saved, c), mean);
  store<f32>(at(saved, C + c), invstd);
  const unbiased = N > 1 ? var64 * <f64>N / <f64>(N - 1) : var64;
  const m = momentum;
  store<f32>(at(rmean, c), (<f32>1 - m) * load<f32>(at(rmean, c)) + m * mean);
  store<f32>(at(rvar, c), (<f32>1 - m) * load<f32>(at(rvar, c)) + m * <f32>unbiased);
}

/** Lane l of an f64x2 (l constant). */
// @ts-ignore: decorator
@inline function lane(v: v128, l: u8): f64 { return l == 0 ? f64x2.extract_lane(v, 0) : f64x2.extract_lane(v, 1); }

/** Training forward of channels c..c+3: their two f64 chains run as the lanes of two f64x2 accumulators. */
function trainQuad(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize, saved: usize,
  B: i32, C: i32, S: i32, c: i32, eps: f32, momentum: f32): void {
  const rs = <usize>S << 2;
  const N = B * S;
  const nv = f64x2.splat(<f64>N);
  let a01 = f64x2.splat(0), a23 = f64x2.splat(0);
  for (let b = 0; b < B; b++) {
    const p = row(x, b, C, S, c);
    let s = 0;
    for (; s + 4 <= S; s += 4) {
      const o = p + (<usize>s << 2);
      const r0 = v128.load(o), r1 = v128.load(o + rs), r2 = v128.load(o + 2 * rs), r3 = v128.load(o + 3 * rs);
      const l = lo01(r0, r1), h = hi01(r0, r1), l2 = lo01(r2, r3), h2 = hi01(r2, r3);
      a01 = f64x2.add(a01, first(l)); a23 = f64x2.add(a23, first(l2));
      a01 = f64x2.add(a01, second(l)); a23 = f64x2.add(a23, second(l2));
      a01 = f64x2.add(a01, first(h)); a23 = f64x2.add(a23, first(h2));
      a01 = f64x2.add(a01, second(h)); a23 = f64x2.add(a23, second(h2));
    }
    for (; s < S; s++) {
      const o = p + (<usize>s << 2);
      a01 = f64x2.add(a01, pairAt(o, rs)); a23 = f64x2.add(a23, pairAt(o + 2 * rs, rs));
    }
  }
  const m01 = f64x2.div(a01, nv), m23 = f64x2.div(a23, nv);
  a01 = f64x2.splat(0); a23 = f64x2.splat(0);
  for (let b = 0; b < B; b++) {
    const p = row(x, b, C, S, c);
    let s = 0;
    for (; s + 4 <= S; s += 4) {
      const o = p + (<usize>s << 2);
      const r0 = v128.load(o), r1 = v128.load(o + rs), r2 = v128.load(o + 2 * rs), r3 = v128.load(o + 3 * rs);
      const l = lo01(r0, r1), h = hi01(r0, r1), l2 = lo01(r2, r3), h2 = hi01(r2, r3);
      a01 = sq(a01, first(l), m01); a23 = sq(a23, first(l2), m23);
      a01 = sq(a01, second(l), m01); a23 = sq(a23, second(l2), m23);
      a01 = sq(a01, first(h), m01); a23 = sq(a23, first(h2), m23);
      a01 = sq(a01, second(h), m01); a23 = sq(a23, second(h2), m23);
    }
    for (; s < S; s++) {
      const o = p + (<usize>s << 2);
      a01 = sq(a01, pairAt(o, rs), m01); a23 = sq(a23, pairAt(o + 2 * rs, rs), m23);
    }
  }
  const v01 = f64x2.div(a01, nv), v23 = f64x2.div(a23, nv);
  finishChannel(rmean, rvar, saved, C, c, N, lane(m01, 0), lane(v01, 0), eps, momentum);
  finishChannel(rmean, rvar, saved, C, c + 1, N, lane(m01, 1), lane(v01, 1), eps, momentum);
  finishChannel(rmean, rvar, saved, C, c + 2, N, lane(m23, 0), lane(v23, 0), eps, momentum);
  finishChannel(rmean, rvar, saved, C, c + 3, N, lane(m23, 1), lane(v23, 1), eps, momentum);
  for (let i = 0; i < 4; i++) normalizeChannel(y, x, gamma, beta, B, C, S, c + i, load<f32>(at(saved, c + i)), load<f32>(at(saved, C + c + i)));
}

/** Training forward of one channel (the channels past the last multiple of 4): the scalar chains. */
function trainChannel(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize, saved: usize,
  B: i32, C: i32, S: i32, c: i32, eps: f32, momentum: f32): void {
  let sum: f64 = 0;
  for (let b = 0; b < B; b++) {
    const p = row(x, b, C, S, c);
    for (let s = 0; s < S; s++) sum += <f64>load<f32>(at(p, s));
  }
  const mean64 = sum / <f64>(B * S);
  let sq: f64 = 0;
  for (let b = 0; b < B; b++) {
    const p = row(x, b, C, S, c);
    for (let s = 0; s < S; s++) { const d = <f64>load<f32>(at(p, s)) - mean64; sq += d * d; }
  }
  finishChannel(rmean, rvar, saved, C, c, B * S, mean64, sq / <f64>(B * S), eps, momentum);
  normalizeChannel(y, x, gamma, beta, B, C, S, c, load<f32>(at(saved, c)), load<f32>(at(saved, C + c)));
}

// Training-mode forward: normalises with the batch statistics, updates the running statistics.
export function batchnorm_forward_train(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize, saved: usize,
  B: i32, C: i32, S: i32, eps: f32, momentum: f32): void {
  assertSpan(x, <i64>B * C * S, 4); assertSpan(y, <i64>B * C * S, 4); assertSpan(saved, <i64>2 * C, 4);
  const p = C >= 8 ? range_pool(<i64>B * C * S) : 0;
  if (p) {
    range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>x); range_arg(p, 2, <i32>gamma); range_arg(p, 3, <i32>beta);
    range_arg(p, 4, <i32>rmean); range_arg(p, 5, <i32>rvar); range_arg(p, 6, <i32>saved);
    range_arg(p, 7, B); range_arg(p, 8, C); range_arg(p, 9, S); range_argf(p, 10, eps); range_argf(p, 11, momentum);
    range_run(p, RangeOp.BNTrain, C, 4);
    return;
  }
  bn_train_range(y, x, gamma, beta, rmean, rvar, saved, B, C, S, eps, momentum, 0, C);
}

// batchnorm_forward_train of channels [c0, c1) (c0 a multiple of 4).
export function bn_train_range(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize, saved: usize,
  B: i32, C: i32, S: i32, eps: f32, momentum: f32, c0: i32, c1: i32): void {
  let c = c0;
  for (; c + 4 <= c1; c += 4) trainQuad(y, x, gamma, beta, rmean, rvar, saved, B, C, S, c, eps, momentum);
  for (; c < c1; c++) trainChannel(y, x, gamma, beta, rmean, rvar, saved, B, C, S, c, eps, momentum);
}

// Evaluation-mode forward: normalises with the running statistics.
export function batchnorm_forward_eval(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize,
  B: i32, C: i32, S: i32, eps: f32): void {
  assertSpan(x, <i64>B * C * S, 4); assertSpan(y, <i64>B * C * S, 4);
  const p = C >= 2 ? range_pool(<i64>B * C * S) : 0;
  if (p) {
    range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>x); range_arg(p, 2, <i32>gamma); range_arg(p, 3, <i32>beta);
    range_arg(p, 4, <i32>rmean); range_arg(p, 5, <i32>rvar); range_arg(p, 6, B); range_arg(p, 7, C); range_arg(p, 8, S); range_argf(p, 9, eps);
    range_run(p, RangeOp.BNEval, C, 1);
    return;
  }
  bn_eval_range(y, x, gamma, beta, rmean, rvar, B, C, S, eps, 0, C);
}

// batchnorm_forward_eval of channels [c0, c1).
export function bn_eval_range(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize,
  B: i32, C: i32, S: i32, eps: f32, c0: i32, c1: i32): void {
  for (let c = c0; c < c1; c++) {
    const mean = load<f32>(at(rmean, c));
    const invstd = <f32>(1.0 / Math.sqrt(<f64>load<f32>(at(rvar, c)) + <f64>eps));
    normalizeChannel(y, x, gamma, beta, B, C, S, c, mean, invstd);
  }
}

/** Mean and invstd of channel c for backward: the batch's (saved) or the running statistics'. */
// @ts-ignore: decorator
@inline function meanOf(saved: usize, rmean: usize, c: i32): f32 { return saved ? load<f32>(at(saved, c)) : load<f32>(at(rmean, c)); }
// @ts-ignore: decorator
@inline function invstdOf(saved: usize, rvar: usize, C: i32, c: i32, eps: f32): f32 {
  return saved ? load<f32>(at(saved, C + c)) : <f32>(1.0 / Math.sqrt(<f64>load<f32>(at(rvar, c)) + <f64>eps));
}

/** Writes dgamma, dbeta of channel c and its dx (dx = 0: not needed), from the sums of dy and dy * xhat. */
function backwardChannel(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, gamma: usize, train: bool,
  B: i32, C: i32, S: i32, c: i32, mean: f32, invstd: f32, sdy: f64, sdyx: f64): void {
  if (dgamma) store<f32>(at(dgamma, c), <f32>sdyx);
  if (dbeta) store<f32>(at(dbeta, c), <f32>sdy);
  if (!dx) return;
  const N = B * S;
  const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
  const k = g * invstd;
  const mdy = <f32>(sdy / <f64>N), mdyx = <f32>(sdyx / <f64>N);
  const kv = f32x4.splat(k), mv = f32x4.splat(mean), iv = f32x4.splat(invstd), mdyv = f32x4.splat(mdy), mdyxv = f32x4.splat(mdyx);
  for (let b = 0; b < B; b++) {
    const off = (<usize>(b * C + c) * <usize>S) << 2;
    let s = 0;
    if (train) {
      for (; s + 4 <= S; s += 4) {
        const p = off + (<usize>s << 2);
        const xh = f32x4.mul(f32x4.sub(v128.load(x + p), mv), iv);
        v128.store(dx + p, f32x4.mul(kv, f32x4.sub(f32x4.sub(v128.load(dy + p), mdyv), f32x4.mul(xh, mdyxv))));
      }
      for (; s < S; s++) {
        const p = off + (<usize>s << 2);
        store<f32>(dx + p, k * (load<f32>(dy + p) - mdy - ((load<f32>(x + p) - mean) * invstd) * mdyx));
      }
    } else {
      for (; s + 4 <= S; s += 4) { const p = off + (<usize>s << 2); v128.store(dx + p, f32x4.mul(kv, v128.load(dy + p))); }
      for (; s < S; s++) { const p = off + (<usize>s << 2); store<f32>(dx + p, k * load<f32>(dy + p)); }
    }
  }
}

// Backward of either mode. Training (saved = batch mean, invstd):
//   dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * invstd * (dy - dbeta / N - xhat * dgamma / N)
// Evaluation (saved = 0: running statistics, which do not depend on x): dx = dy * gamma * invstd.
// dx = 0: input gradient not needed; dgamma = dbeta = 0: no affine part. Overwrites dx, dgamma, dbeta.
export function batchnorm_backward(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, gamma: usize, saved: usize,
  rmean: usize, rvar: usize, B: i32, C: i32, S: i32, eps: f32): void {
  assertSpan(x, <i64>B * C * S, 4); assertSpan(dy, <i64>B * C * S, 4);
  const p = C >= 8 ? range_pool(<i64>B * C * S) : 0;
  if (p) {
    range_arg(p, 0, <i32>dx); range_arg(p, 1, <i32>dgamma); range_arg(p, 2, <i32>dbeta); range_arg(p, 3, <i32>dy);
    range_arg(p, 4, <i32>x); range_arg(p, 5, <i32>gamma); range_arg(p, 6, <i32>saved); range_arg(p, 7, <i32>rmean);
    range_arg(p, 8, <i32>rvar); range_arg(p, 9, B); range_arg(p, 10, C); range_arg(p, 11, S); range_argf(p, 12, eps);
    range_run(p, RangeOp.BNBwd, C, 4);
    return;
  }
  bn_backward_range(dx, dgamma, dbeta, dy, x, gamma, saved, rmean, rvar, B, C, S, eps, 0, C);
}

// batchnorm_backward of channels [c0, c1) (c0 a multiple of 4).
export function bn_backward_range(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, gamma: usize, saved: usize,
  rmean: usize, rvar: usize, B: i32, C: i32, S: i32, eps: f32, c0: i32, c1: i32): void {
  const train = saved != 0;
  const rs = <usize>S << 2;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    // four channels' chains of sum dy and sum dy * xhat as f64x2 lanes (xhat in f32, as the scalar path)
    const m0 = meanOf(saved, rmean, c), m1 = meanOf(saved, rmean, c + 1), m2 = meanOf(saved, rmean, c + 2), m3 = meanOf(saved, rmean, c + 3);
    const i0 = invstdOf(saved, rvar, C, c, eps), i1 = invstdOf(saved, rvar, C, c + 1, eps);
    const i2 = invstdOf(saved, rvar, C, c + 2, eps), i3 = invstdOf(saved, rvar, C, c + 3, eps);
    const mv0 = f32x4.splat(m0), mv1 = f32x4.splat(m1), mv2 = f32x4.splat(m2), mv3 = f32x4.splat(m3);
    const iv0 = f32x4.splat(i0), iv1 = f32x4.splat(i1), iv2 = f32x4.splat(i2), iv3 = f32x4.splat(i3);
    let d01 = f64x2.splat(0), d23 = f64x2.splat(0), e01 = f64x2.splat(0), e23 = f64x2.splat(0);
    for (let b = 0; b < B; b++) {
      const px = row(x, b, C, S, c), pd = row(dy, b, C, S, c);
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        const x0 = f32x4.mul(f32x4.sub(v128.load(px + o), mv0), iv0), x1 = f32x4.mul(f32x4.sub(v128.load(px + o + rs), mv1), iv1);
        const x2 = f32x4.mul(f32x4.sub(v128.load(px + o + 2 * rs), mv2), iv2), x3 = f32x4.mul(f32x4.sub(v128.load(px + o + 3 * rs), mv3), iv3);
        const g0 = v128.load(pd + o), g1 = v128.load(pd + o + rs), g2 = v128.load(pd + o + 2 * rs), g3 = v128.load(pd + o + 3 * rs);
        const gl = lo01(g0, g1), gh = hi01(g0, g1), gl2 = lo01(g2, g3), gh2 = hi01(g2, g3);
        const xl = lo01(x0, x1), xh = hi01(x0, x1), xl2 = lo01(x2, x3), xh2 = hi01(x2, x3);
        let g = first(gl), g2v = first(gl2);
        d01 = f64x2.add(d01, g); d23 = f64x2.add(d23, g2v);
        e01 = f64x2.add(e01, f64x2.mul(g, first(xl))); e23 = f64x2.add(e23, f64x2.mul(g2v, first(xl2)));
        g = second(gl); g2v = second(gl2);
        d01 = f64x2.add(d01, g); d23 = f64x2.add(d23, g2v);
        e01 = f64x2.add(e01, f64x2.mul(g, second(xl))); e23 = f64x2.add(e23, f64x2.mul(g2v, second(xl2)));
        g = first(gh); g2v = first(gh2);
        d01 = f64x2.add(d01, g); d23 = f64x2.add(d23, g2v);
        e01 = f64x2.add(e01, f64x2.mul(g, first(xh))); e23 = f64x2.add(e23, f64x2.mul(g2v, first(xh2)));
        g = second(gh); g2v = second(gh2);
        d01 = f64x2.add(d01, g); d23 = f64x2.add(d23, g2v);
        e01 = f64x2.add(e01, f64x2.mul(g, second(xh))); e23 = f64x2.add(e23, f64x2.mul(g2v, second(xh2)));
      }
      for (; s < S; s++) {
        const o = <usize>s << 2;
        const g = pairAt(pd + o, rs), g2v = pairAt(pd + o + 2 * rs, rs);
        const xa = f64x2.replace_lane(f64x2.splat(<f64>((load<f32>(px + o) - m0) * i0)), 1, <f64>((load<f32>(px + o + rs) - m1) * i1));
        const xb = f64x2.replace_lane(f64x2.splat(<f64>((load<f32>(px + o + 2 * rs) - m2) * i2)), 1, <f64>((load<f32>(px + o + 3 * rs) - m3) * i3));
        d01 = f64x2.add(d01, g); d23 = f64x2.add(d23, g2v);
        e01 = f64x2.add(e01, f64x2.mul(g, xa)); e23 = f64x2.add(e23, f64x2.mul(g2v, xb));
      }
    }
    backwardChannel(dx, dgamma, dbeta, dy, x, gamma, train, B, C, S, c, m0, i0, lane(d01, 0), lane(e01, 0));
    backwardChannel(dx, dgamma, dbeta, dy, x, gamma, train, B, C, S, c + 1, m1, i1, lane(d01, 1), lane(e01, 1));
    backwardChannel(dx, dgamma, dbeta, dy, x, gamma, train, B, C, S, c + 2, m2, i2, lane(d23, 0), lane(e23, 0));
    backwardChannel(dx, dgamma, dbeta, dy, x, gamma, train, B, C, S, c + 3, m3, i3, lane(d23, 1), lane(e23, 1));
  }
  for (; c < c1; c++) {
    const mean = meanOf(saved, rmean, c), invstd = invstdOf(saved, rvar, C, c, eps);
    let sdy: f64 = 0, sdyx: f64 = 0;
    for (let b = 0; b < B; b++) {
      const px = row(x, b, C, S, c), pd = row(dy, b, C, S, c);
      for (let s = 0; s < S; s++) {
        const g = <f64>load<f32>(at(pd, s));
        sdy += g;
        sdyx += g * <f64>((load<f32>(at(px, s)) - mean) * invstd);
      }
    }
    backwardChannel(dx, dgamma, dbeta, dy, x, gamma, train, B, C, S, c, mean, invstd, sdy, sdyx);
  }
}
