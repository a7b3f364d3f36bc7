// Elementwise helpers on f32 buffers (byte offsets): fill, scale, axpy, copy, finiteness checks,
// label validation. SIMD body with scalar tail for any n.
import { assertSpan } from './bounds';
import { parallel_elementwise, pool_first_result, ElemOp, elem_pool, range_arg, range_argf, range_run } from './threads';
import { RangeOp } from './range-jobs';

// x[0..n) = v
export function fill_f32(x: usize, n: i32, v: f32): void {
  assertSpan(x, n, 4);
  const vs = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), vs);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), v);
}

// x[0..n) *= a
export function scale_f32(x: usize, n: i32, a: f32): void {
  const as = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), as));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * a);
  }
}

// y[0..n) += a * x[0..n)   (split over the pool by element ranges for large n: the same bits)
export function axpy_f32(y: usize, x: usize, n: i32, a: f32): void {
  const p = elem_pool(n, y, x, 0);
  if (p) { range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>x); range_argf(p, 2, a); range_run(p, RangeOp.Axpy, n, 16); return; }
  axpy_range(y, x, 0, n, a);
}

// axpy_f32 on elements [i0, i1) (i0 a multiple of 4).
export function axpy_range(y: usize, x: usize, i0: i32, i1: i32, a: f32): void {
  const as = f32x4.splat(a);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.add(v128.load(y + off), f32x4.mul(as, v128.load(x + off))));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, load<f32>(y + off) + a * load<f32>(x + off));
  }
}

// dst[0..bytes) = src[0..bytes) (regions may overlap)
export function copy_bytes(dst: usize, src: usize, bytes: i32): void {
  assertSpan(dst, bytes, 1); assertSpan(src, bytes, 1);
  // large copies of whole floats between disjoint buffers (the step guard's backup) are split over
  // the pool; overlapping ranges keep memory.copy's memmove semantics on one thread
  const disjoint = dst + <usize>bytes <= src || src + <usize>bytes <= dst;
  if ((bytes & 3) == 0 && disjoint && parallel_elementwise(ElemOp.Copy, bytes >> 2, dst, src, 0, 0, 0, 0, 0, 0, 0, 0, 0)) return;
  memory.copy(dst, src, <usize>bytes);
}

// Floats [i0, i1) of src copied to dst (one share of a split copy_bytes).
export function copy_range(dst: usize, src: usize, i0: i32, i1: i32): void {
  memory.copy(dst + (<usize>i0 << 2), src + (<usize>i0 << 2), <usize>(i1 - i0) << 2);
}

// Number of NaN/Inf values in x[0..n).
export function count_nonfinite(x: usize, n: i32): i32 {
  const mask = i32x4.splat(0x7f800000);
  let cnt = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const e = v128.and(v128.load(x + (<usize>i << 2)), mask);
    cnt = i32x4.sub(cnt, i32x4.eq(e, mask)); // eq gives -1 per lane
  }
  let total = i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3);
  for (; i < n; i++) {
    if ((load<u32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) total++;
  }
  return total;
}

// Index of the first NaN/Inf in x[0..n), or -1. SIMD scan; the exact index is found in the block.
export function first_nonfinite(x: usize, n: i32): i32 {
  if (parallel_elementwise(ElemOp.FirstNonfinite, n, x, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) return pool_first_result();
  return first_nonfinite_range(x, 0, n);
}

// Index of the first NaN/Inf in x[i0..i1) (i0 a multiple of 4), or -1.
export function first_nonfinite_range(x: usize, i0: i32, i1: i32): i32 {
  const mask = i32x4.splat(0x7f800000);
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const p = x + (<usize>i << 2);
    const a = i32x4.eq(v128.and(v128.load(p), mask), mask);
    const b = i32x4.eq(v128.and(v128.load(p, 16), mask), mask);
    const c = i32x4.eq(v128.and(v128.load(p, 32), mask), mask);
    const d = i32x4.eq(v128.and(v128.load(p, 48), mask), mask);
    if (v128.any_true(v128.or(v128.or(a, b), v128.or(c, d)))) break;
  }
  for (; i < i1; i++) {
    if ((load<u32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) return i;
  }
  return -1;
}

// Index of the first label outside [0, classes) in the i32 array labels[0..n), or -1.
export function first_bad_label(labels: usize, n: i32, classes: i32): i32 {
  for (let i = 0; i < n; i++) {
    const v = load<i32>(labels + (<usize>i << 2));
    if (v < 0 || v >= classes) return i;
  }
  return -1;
}

// Sum of x[0..n) in f64, fixed order (for tests and reporting).
export function sum_f32(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

// Sum of squares of x[0..n) in f64, fixed order.
export function sumsq_f32(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

// Gather rows: dst row r = src row idx[start + r], for r < rows; rowLen f32 per row.
export function gather_rows_f32(dst: usize, src: usize, idx: usize, start: i32, rows: i32, rowLen: i32): void {
  const bytes = <usize>rowLen << 2;
  for (let r = 0; r < rows; r++) {
    const s = <usize>load<i32>(idx + (<usize>(start + r) << 2));
    memory.copy(dst + <usize>r * bytes, src + s * bytes, bytes);
  }
}
