// Optimizer update kernels over one contiguous parameter region (llm.c style: one fused walk).
// Equations follow torch.optim (SGD with momentum/Nesterov, Adam/AdamW) so results can be
// compared with PyTorch. All overwrite w and their state in place.
import { assertSpan } from './bounds';
import { parallel_elementwise, ElemOp } from './threads';

// SGD: w -= lr * (g + wd * w). Split over the pool by element ranges for large n (elementwise:
// the same bits for any split).
export function sgd_update(w: usize, g: usize, n: i32, lr: f32, wd: f32): void {
  assertSpan(w, n, 4); assertSpan(g, n, 4);
  if (parallel_elementwise(ElemOp.SGD, n, w, g, 0, 0, lr, wd, 0, 0, 0, 0, 0)) return;
  sgd_range(w, g, 0, n, lr, wd);
}

// sgd_update on elements [i0, i1) (i0 a multiple of 4).
export function sgd_range(w: usize, g: usize, i0: i32, i1: i32, lr: f32, wd: f32): void {
  const lrs = f32x4.splat(lr);
  const wds = f32x4.splat(wd);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    const wv = v128.load(w + off);
    const d = f32x4.add(v128.load(g + off), f32x4.mul(wds, wv));
    v128.store(w + off, f32x4.sub(wv, f32x4.mul(lrs, d)));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    const wv = load<f32>(w + off);
    const d = load<f32>(g + off) + wd * wv;
    store<f32>(w + off, wv - lr * d);
  }
}

// Heavy ball (torch.optim.SGD with momentum, dampening 0):
//   d = g + wd*w;  v = mu*v + d;  w -= lr * (nesterov ? d + mu*v : v)
export function momentum_update(w: usize, v: usize, g: usize, n: i32, lr: f32, mu: f32, wd: f32, nesterov: i32): void {
  assertSpan(w, n, 4); assertSpan(v, n, 4); assertSpan(g, n, 4);
  if (parallel_elementwise(ElemOp.Momentum, n, w, v, g, 0, lr, mu, wd, 0, 0, nesterov, 0)) return;
  momentum_range(w, v, g, 0, n, lr, mu, wd, nesterov);
}

// momentum_update on elements [i0, i1) (i0 a multiple of 4).
export function momentum_range(w: usize, v: usize, g: usize, i0: i32, i1: i32, lr: f32, mu: f32, wd: f32, nesterov: i32): void {
  const lrs = f32x4.splat(lr);
  const mus = f32x4.splat(mu);
  const wds = f32x4.splat(wd);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    const wv = v128.load(w + off);
    const d = f32x4.add(v128.load(g + off), f32x4.mul(wds, wv));
    const vv = f32x4.add(f32x4.mul(mus, v128.load(v + off)), d);
    v128.store(v + off, vv);
    const step = nesterov ? f32x4.add(d, f32x4.mul(mus, vv)) : vv;
    v128.store(w + off, f32x4.sub(wv, f32x4.mul(lrs, step)));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    const wv = load<f32>(w + off);
    const d = load<f32>(g + off) + wd * wv;
    const vv = mu * load<f32>(v + off) + d;
    store<f32>(v + off, vv);
    const step = nesterov ? d + mu * vv : vv;
    store<f32>(w + off, wv - lr * step);
  }
}

// Adam (torch.optim.Adam; AdamW when decoupled != 0), t = step number starting at 1 (an f64: any
// safe integer step count is exact, no 32-bit wrap in the bias corrections):
//   decoupled: w *= 1 - lr*wd, d = g      else d = g + wd*w
//   m = b1*m + (1-b1)*d;  v = b2*v + (1-b2)*d*d
//   w -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
export function adam_update(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, decoupled: i32, t: f64): void {
  assertSpan(w, n, 4); assertSpan(m, n, 4); assertSpan(v, n, 4); assertSpan(g, n, 4);
  const bc1 = 1.0 - Math.pow(<f64>b1, t);
  const bc2 = 1.0 - Math.pow(<f64>b2, t);
  const stepSize = <f32>(<f64>lr / bc1);
  const invSqrtBc2 = <f32>(1.0 / Math.sqrt(bc2));
  const decay: f32 = decoupled ? <f32>1 - lr * wd : <f32>1;
  const l2: f32 = decoupled ? <f32>0 : wd;
  if (parallel_elementwise(ElemOp.Adam, n, w, m, v, g, b1, b2, eps, stepSize, invSqrtBc2, <i32>reinterpret<i32>(decay), <i32>reinterpret<i32>(l2))) return;
  adam_range(w, m, v, g, 0, n, b1, b2, eps, stepSize, invSqrtBc2, decay, l2);
}

// adam_update on elements [i0, i1) (i0 a multiple of 4), with the step's scalars prepared.
export function adam_range(w: usize, m: usize, v: usize, g: usize, i0: i32, i1: i32, b1: f32, b2: f32, eps: f32,
  stepSize: f32, invSqrtBc2: f32, decay: f32, l2: f32): void {
  const b1s = f32x4.splat(b1), c1s = f32x4.splat(<f32>1 - b1);
  const b2s = f32x4.splat(b2), c2s = f32x4.splat(<f32>1 - b2);
  const ss = f32x4.splat(stepSize), ibs = f32x4.splat(invSqrtBc2), es = f32x4.splat(eps);
  const decs = f32x4.splat(decay), l2s = f32x4.splat(l2);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    let wv = v128.load(w + off);
    const d = f32x4.add(v128.load(g + off), f32x4.mul(l2s, wv));
    wv = f32x4.mul(wv, decs);
    const mv = f32x4.add(f32x4.mul(b1s, v128.load(m + off)), f32x4.mul(c1s, d));
    const vv = f32x4.add(f32x4.mul(b2s, v128.load(v + off)), f32x4.mul(c2s, f32x4.mul(d, d)));
    v128.store(m + off, mv);
    v128.store(v + off, vv);
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vv), ibs), es);
    v128.store(w + off, f32x4.sub(wv, f32x4.mul(ss, f32x4.div(mv, den))));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    let wv = load<f32>(w + off);
    const d = load<f32>(g + off) + l2 * wv;
    wv = wv * decay;
    const mv = b1 * load<f32>(m + off) + (<f32>1 - b1) * d;
    const vv = b2 * load<f32>(v + off) + (<f32>1 - b2) * (d * d);
    store<f32>(m + off, mv);
    store<f32>(v + off, vv);
    const den = Mathf.sqrt(vv) * invSqrtBc2 + eps;
    store<f32>(w + off, wv - stepSize * (mv / den));
  }
}
