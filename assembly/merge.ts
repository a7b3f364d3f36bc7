// Kernels of the joins of a graph (Add, Concat) that the elementwise helpers do not cover:
// strided row copies, so Concat moves each input's block of every sample in one call.
import { assertSpan } from './bounds';

// dst[r * dstStride + c] = src[r * srcStride + c] for r < rows, c < cols (floats; strides >= cols).
// Concat forward: src = input i (stride n_i), dst = output + offset_i (stride N); backward swaps them.
export function copy_rows_f32(dst: usize, dstStride: i32, src: usize, srcStride: i32, rows: i32, cols: i32): void {
  if (rows <= 0 || cols <= 0) return;
  assertSpan(dst, <i64>(rows - 1) * <i64>dstStride + <i64>cols, 4);
  assertSpan(src, <i64>(rows - 1) * <i64>srcStride + <i64>cols, 4);
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + (<usize>r * <usize>dstStride << 2), src + (<usize>r * <usize>srcStride << 2), rowBytes);
  }
}
