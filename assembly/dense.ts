// Dense (fully connected) layer, PyTorch layout: weight (out, in) row-major, bias (out).
import { assertSpan } from './bounds';
import { gemm_nn, gemm_nt, gemm_tn } from './gemm';

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
  for (let r = 0; r < R; r++) {
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
  memory.fill(out, 0, <usize>C << 2);
  for (let r = 0; r < R; r++) {
    const row = x + (<usize>r * <usize>C << 2);
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const off = <usize>j << 2;
      v128.store(out + off, f32x4.add(v128.load(out + off), v128.load(row + off)));
    }
    for (; j < C; j++) {
      const off = <usize>j << 2;
      store<f32>(out + off, load<f32>(out + off) + load<f32>(row + off));
    }
  }
}
