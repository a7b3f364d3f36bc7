// Dense (fully connected) layer, PyTorch layout: weight (out, in) row-major, bias (out). The GEMMs
// split over the thread pool by columns; the bias rows and column sums by rows and by columns
// (threads.ts range jobs; each column's sum stays on one thread in row order: the same bits).
import { assertSpan } from './bounds';
import { gemm_nn, gemm_nt, gemm_tn } from './gemm';
import { range_pool, range_arg, range_run } from './threads';
import { RangeOp } from './range-jobs';

// y (B,out) = x (B,in) · wᵀ + bias   (bias skipped when bias == 0). Overwrites y.
export function dense_forward(y: usize, x: usize, w: usize, bias: usize, B: i32, inF: i32, outF: i32, scratch: usize): void {
  assertSpan(y, <i64>B * <i64>outF, 4); assertSpan(x, <i64>B * <i64>inF, 4); assertSpan(w, <i64>outF * <i64>inF, 4);
  gemm_nt(y, x, w, B, outF, inF, 0, scratch);
  if (bias) bias_add_rows(y, bias, B, outF);
}

// dw (out,in) = dyᵀ · x;  dbias (out) = column sums of dy;  dx (B,in) = dy · w.
// Overwrites dw, dbias (when bias != 0) and dx (when dx != 0).
export function dense_backward(dx: usize, dw: usize, dbias: usize, dy: usize, x: usize, w: usize, B: i32, inF: i32, outF: i32, scratch: usize): void {
  assertSpan(dw, <i64>outF * <i64>inF, 4); assertSpan(dy, <i64>B * <i64>outF, 4); if (dx) assertSpan(dx, <i64>B * <i64>inF, 4);
  gemm_tn(dw, dy, x, outF, inF, B, 0, scratch);
  if (dbias) col_sums(dbias, dy, B, outF);
  if (dx) gemm_nn(dx, dy, w, B, inF, outF, 0, scratch);
}

// y (R,C) += bias (C) on every row.
export function bias_add_rows(y: usize, bias: usize, R: i32, C: i32): void {
  const p = R >= 2 ? range_pool(<i64>R * C) : 0;
  if (p) { range_arg(p, 0, <i32>y); range_arg(p, 1, <i32>bias); range_arg(p, 2, C); range_run(p, RangeOp.BiasRows, R, 1); return; }
  bias_rows_range(y, bias, C, 0, R);
}

// bias_add_rows on rows [r0, r1).
export function bias_rows_range(y: usize, bias: usize, C: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const row = y + (<usize>r * <usize>C << 2);
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const off = <usize>j << 2;
      v128.store(row + off, f32x4.add(v128.load(row + off), v128.load(bias + off)));
    }
    for (; j < C; j++) {
      const off = <usize>j << 2;
      store<f32>(row + off, load<f32>(row + off) + load<f32>(bias + off));
    }
  }
}

// out (C) = sum over rows of x (R,C), rows added in order. Overwrites out.
export function col_sums(out: usize, x: usize, R: i32, C: i32): void {
  const p = C >= 8 ? range_pool(<i64>R * C) : 0;
  if (p) { range_arg(p, 0, <i32>out); range_arg(p, 1, <i32>x); range_arg(p, 2, R); range_arg(p, 3, C); range_run(p, RangeOp.ColSums, C, 4); return; }
  col_sums_range(out, x, R, C, 0, C);
}

// col_sums of columns [j0, j1) (j0 a multiple of 4).
export function col_sums_range(out: usize, x: usize, R: i32, C: i32, j0: i32, j1: i32): void {
  memory.fill(out + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
  for (let r = 0; r < R; r++) {
    const row = x + (<usize>r * <usize>C << 2);
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const off = <usize>j << 2;
      v128.store(out + off, f32x4.add(v128.load(out + off), v128.load(row + off)));
    }
    for (; j < j1; j++) {
      const off = <usize>j << 2;
      store<f32>(out + off, load<f32>(out + off) + load<f32>(row + off));
    }
  }
}
