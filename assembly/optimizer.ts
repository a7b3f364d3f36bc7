// Optimizer update kernels over one contiguous parameter region (llm.c style: one fused walk).
// Equations follow torch.optim (SGD with momentum/Nesterov, Adam/AdamW) so results can be
// compared with PyTorch. All overwrite w and their state in place.
import { assertSpan } from './bounds';
import { momentum_m, momentum_step, adam_m, adam_s, adam_step, momentum_m4, momentum_step4, adam_m4, adam_s4, adam_step4 } from './rules';
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

// Heavy ball (torch.optim.SGD with momentum, dampening 0), the rule of rules.ts on d = g + wd*w:
//   m = mu*m + d;  w -= lr * (nesterov ? d + mu*m : m)
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
  const nest = nesterov != 0;
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    const wv = v128.load(w + off);
    const d = f32x4.add(v128.load(g + off), f32x4.mul(wds, wv));
    const m = momentum_m4(v128.load(v + off), d, mus);
    v128.store(v + off, m);
    v128.store(w + off, f32x4.sub(wv, f32x4.mul(lrs, momentum_step4(m, d, mus, nest))));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    const wv = load<f32>(w + off);
    const d = load<f32>(g + off) + wd * wv;
    const m = momentum_m(load<f32>(v + off), d, mu);
    store<f32>(v + off, m);
    store<f32>(w + off, wv - lr * momentum_step(m, d, mu, nest));
  }
}

// Adam (torch.optim.Adam; AdamW when decoupled != 0), the rule of rules.ts, t = step number from 1
// (an f64: any safe integer step count is exact, no 32-bit wrap in the bias corrections):
//   decoupled: w *= 1 - lr*wd, d = g      else d = g + wd*w
//   m = b1*m + (1-b1)*d;  s = b2*s + (1-b2)*d*d;  w -= lr * (m / bc1) / (sqrt(s)*isbc2 + eps)
// with bc1 = 1 - b1^t and isbc2 = 1/sqrt(1 - b2^t) computed in f64 from the f64 betas (as the EC
// optimizers' hyperparameter block does), then rounded to f32.
export function adam_update(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f64, b2: f64, eps: f32, wd: f32, decoupled: i32, t: f64): void {
  assertSpan(w, n, 4); assertSpan(m, n, 4); assertSpan(v, n, 4); assertSpan(g, n, 4);
  const bc1 = <f32>(1.0 - Math.pow(b1, t));
  const isbc2 = <f32>(1.0 / Math.sqrt(1.0 - Math.pow(b2, t)));
  const decay: f32 = decoupled ? <f32>1 - lr * wd : <f32>1;
  const l2: f32 = decoupled ? <f32>0 : wd;
  if (parallel_elementwise(ElemOp.Adam, n, w, m, v, g, <f32>b1, <f32>b2, eps, lr, bc1, <i32>reinterpret<i32>(decay), <i32>reinterpret<i32>(l2), isbc2)) return;
  adam_range(w, m, v, g, 0, n, <f32>b1, <f32>b2, eps, lr, bc1, isbc2, decay, l2);
}

// adam_update on elements [i0, i1) (i0 a multiple of 4), with the step's scalars prepared.
export function adam_range(w: usize, m: usize, v: usize, g: usize, i0: i32, i1: i32, b1: f32, b2: f32, eps: f32,
  lr: f32, bc1: f32, isbc2: f32, decay: f32, l2: f32): void {
  const b1s = f32x4.splat(b1), c1s = f32x4.splat(<f32>1 - b1);
  const b2s = f32x4.splat(b2), c2s = f32x4.splat(<f32>1 - b2);
  const lrs = f32x4.splat(lr), bc1s = f32x4.splat(bc1), ibs = f32x4.splat(isbc2), es = f32x4.splat(eps);
  const decs = f32x4.splat(decay), l2s = f32x4.splat(l2);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    let wv = v128.load(w + off);
    const d = f32x4.add(v128.load(g + off), f32x4.mul(l2s, wv));
    wv = f32x4.mul(wv, decs);
    const mv = adam_m4(v128.load(m + off), d, b1s, c1s);
    const sv = adam_s4(v128.load(v + off), d, b2s, c2s);
    v128.store(m + off, mv);
    v128.store(v + off, sv);
    v128.store(w + off, f32x4.sub(wv, f32x4.mul(lrs, adam_step4(mv, sv, bc1s, ibs, es))));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    let wv = load<f32>(w + off);
    const d = load<f32>(g + off) + l2 * wv;
    wv = wv * decay;
    const mv = adam_m(load<f32>(m + off), d, b1);
    const sv = adam_s(load<f32>(v + off), d, b2);
    store<f32>(m + off, mv);
    store<f32>(v + off, sv);
    store<f32>(w + off, wv - lr * adam_step(mv, sv, bc1, isbc2, eps));
  }
}
