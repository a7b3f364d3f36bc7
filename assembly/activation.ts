// Activations: ReLU, LeakyReLU, PReLU forward/backward. Layout (B, C, inner): inner = 1 for dense
// features, H*W for conv maps; PReLU has one slope per C. Backward kernels overwrite dx
// (and dslope). The derivative at x = 0 is taken from the x <= 0 side.
// ReLU and LeakyReLU split over the pool by element ranges for large n (threads.ts range jobs,
// split points at multiples of 16, so every element takes the SIMD or the scalar path as in one
// thread: the same bits for any thread count).
import { assertSpan } from './bounds';
import { elem_pool, range_arg, range_argf, range_run } from './threads';
import { RangeOp } from './range-jobs';

// y = max(x, 0)
export function relu_forward(y: usize, x: usize, n: i32): void {
  assertSpan(y, n, 4); assertSpan(x, n, 4);
  const p = elem_pool(n, y, x, 0);
  if (p) { range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>x); range_run(p, RangeOp.ReluFwd, n, 16); return; }
  relu_forward_range(y, x, 0, n);
}

// relu_forward on elements [i0, i1) (i0 a multiple of 4).
export function relu_forward_range(y: usize, x: usize, i0: i32, i1: i32): void {
  const z = f32x4.splat(0);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.max(v128.load(x + off), z));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(x + off);
    store<f32>(y + off, v > 0 ? v : 0);
  }
}

// dx = dy * (x > 0)    (overwrites dx)
export function relu_backward(dx: usize, dy: usize, x: usize, n: i32): void {
  assertSpan(dx, n, 4); assertSpan(dy, n, 4);
  const p = elem_pool(n, dx, dy, x);
  if (p) { range_arg(p, 0, <i32>dx); range_arg(p, 1, <i32>dy); range_arg(p, 2, <i32>x); range_run(p, RangeOp.ReluBwd, n, 16); return; }
  relu_backward_range(dx, dy, x, 0, n);
}

// relu_backward on elements [i0, i1) (i0 a multiple of 4).
export function relu_backward_range(dx: usize, dy: usize, x: usize, i0: i32, i1: i32): void {
  const z = f32x4.splat(0);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    const m = f32x4.gt(v128.load(x + off), z);
    v128.store(dx + off, v128.and(v128.load(dy + off), m));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    store<f32>(dx + off, load<f32>(x + off) > 0 ? load<f32>(dy + off) : 0);
  }
}

// y = x > 0 ? x : alpha * x
export function leaky_relu_forward(y: usize, x: usize, n: i32, alpha: f32): void {
  const p = elem_pool(n, y, x, 0);
  if (p) { range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>x); range_argf(p, 2, alpha); range_run(p, RangeOp.LeakyFwd, n, 16); return; }
  leaky_relu_forward_range(y, x, 0, n, alpha);
}

// leaky_relu_forward on elements [i0, i1) (i0 a multiple of 4).
export function leaky_relu_forward_range(y: usize, x: usize, i0: i32, i1: i32, alpha: f32): void {
  const z = f32x4.splat(0);
  const as = f32x4.splat(alpha);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    const v = v128.load(x + off);
    v128.store(y + off, v128.bitselect(v, f32x4.mul(v, as), f32x4.gt(v, z)));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(x + off);
    store<f32>(y + off, v > 0 ? v : alpha * v);
  }
}

// dx = dy * (x > 0 ? 1 : alpha)    (overwrites dx)
export function leaky_relu_backward(dx: usize, dy: usize, x: usize, n: i32, alpha: f32): void {
  const p = elem_pool(n, dx, dy, x);
  if (p) {
    range_arg(p, 0, <i32>dx); range_arg(p, 1, <i32>dy); range_arg(p, 2, <i32>x); range_argf(p, 3, alpha);
    range_run(p, RangeOp.LeakyBwd, n, 16);
    return;
  }
  leaky_relu_backward_range(dx, dy, x, 0, n, alpha);
}

// leaky_relu_backward on elements [i0, i1) (i0 a multiple of 4).
export function leaky_relu_backward_range(dx: usize, dy: usize, x: usize, i0: i32, i1: i32, alpha: f32): void {
  const z = f32x4.splat(0);
  const as = f32x4.splat(alpha);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    const g = v128.load(dy + off);
    v128.store(dx + off, v128.bitselect(g, f32x4.mul(g, as), f32x4.gt(v128.load(x + off), z)));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    const g = load<f32>(dy + off);
    store<f32>(dx + off, load<f32>(x + off) > 0 ? g : alpha * g);
  }
}

// y (B,C,inner) = x > 0 ? x : slope[c] * x
export function prelu_forward(y: usize, x: usize, slope: usize, B: i32, C: i32, inner: i32): void {
  const z = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const a = load<f32>(slope + (<usize>c << 2));
      const as = f32x4.splat(a);
      const base = (<usize>(b * C + c) * <usize>inner) << 2;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const off = base + (<usize>i << 2);
        const v = v128.load(x + off);
        v128.store(y + off, v128.bitselect(v, f32x4.mul(v, as), f32x4.gt(v, z)));
      }
      for (; i < inner; i++) {
        const off = base + (<usize>i << 2);
        const v = load<f32>(x + off);
        store<f32>(y + off, v > 0 ? v : a * v);
      }
    }
  }
}

// dx = dy * (x > 0 ? 1 : slope[c]);  dslope[c] = sum over b, inner of dy * min(x, 0).
// Overwrites dx (skipped when dx == 0) and dslope. Summation order: b, then inner, fixed.
export function prelu_backward(dx: usize, dslope: usize, dy: usize, x: usize, slope: usize, B: i32, C: i32, inner: i32): void {
  for (let c = 0; c < C; c++) store<f32>(dslope + (<usize>c << 2), 0);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const a = load<f32>(slope + (<usize>c << 2));
      const base = (<usize>(b * C + c) * <usize>inner) << 2;
      let s: f32 = 0;
      for (let i = 0; i < inner; i++) {
        const off = base + (<usize>i << 2);
        const v = load<f32>(x + off);
        const g = load<f32>(dy + off);
        if (v > 0) {
          if (dx) store<f32>(dx + off, g);
        } else {
          if (dx) store<f32>(dx + off, a * g);
          s += g * v;
        }
      }
      const p = dslope + (<usize>c << 2);
      store<f32>(p, load<f32>(p) + s);
    }
  }
}

// y = 1 / (1 + exp(-x))   (AssemblyScript's Mathf.exp: identical in every engine)
export function sigmoid_forward(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, <f32>1 / (<f32>1 + Mathf.exp(-load<f32>(x + off))));
  }
}

// dx = dy * y * (1 - y), from the forward output y    (overwrites dx)
export function sigmoid_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const yv = v128.load(y + off);
    v128.store(dx + off, f32x4.mul(v128.load(dy + off), f32x4.mul(yv, f32x4.sub(one, yv))));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const yv = load<f32>(y + off);
    store<f32>(dx + off, load<f32>(dy + off) * (yv * (<f32>1 - yv)));
  }
}

// y = tanh(x) = -e / (2 + e) * sign(x) with e = expm1(-2|x|), in f64 (no cancellation near 0:
// accurate to f32 rounding for every x; AssemblyScript's own expm1, identical in every engine)
export function tanh_forward(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const v = <f64>load<f32>(x + off);
    let t: f64;
    if (v > 20) t = 1;
    else if (v < -20) t = -1;
    else {
      const e = Math.expm1(-2.0 * Math.abs(v));
      t = v < 0 ? e / (2.0 + e) : -e / (2.0 + e);
    }
    store<f32>(y + off, <f32>t);
  }
}

// dx = dy * (1 - y^2), from the forward output y    (overwrites dx)
export function tanh_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const yv = v128.load(y + off);
    v128.store(dx + off, f32x4.mul(v128.load(dy + off), f32x4.sub(one, f32x4.mul(yv, yv))));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const yv = load<f32>(y + off);
    store<f32>(dx + off, load<f32>(dy + off) * (<f32>1 - yv * yv));
  }
}
