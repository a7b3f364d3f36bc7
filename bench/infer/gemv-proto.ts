// Prototype for bench/infer/gemv-proto.mjs only (not part of the library): the matrix-vector product
// a Dense layer needs at batch 1, y (N) = W (N,K) · x (K) with W's rows contiguous (ecopt's layout),
// 4 rows at a time, f32x4 over k, no packing. Compiled on the fly with asc (AssemblyScript).
export function gemv(y: usize, w: usize, x: usize, N: i32, K: i32): void {
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const r0 = w + (<usize>n * <usize>K << 2), r1 = r0 + (<usize>K << 2), r2 = r1 + (<usize>K << 2), r3 = r2 + (<usize>K << 2);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const o = <usize>k << 2;
      const xv = v128.load(x + o);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(r0 + o), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(r1 + o), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(r2 + o), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(r3 + o), xv));
    }
    let s0 = f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1) + f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3);
    let s1 = f32x4.extract_lane(a1, 0) + f32x4.extract_lane(a1, 1) + f32x4.extract_lane(a1, 2) + f32x4.extract_lane(a1, 3);
    let s2 = f32x4.extract_lane(a2, 0) + f32x4.extract_lane(a2, 1) + f32x4.extract_lane(a2, 2) + f32x4.extract_lane(a2, 3);
    let s3 = f32x4.extract_lane(a3, 0) + f32x4.extract_lane(a3, 1) + f32x4.extract_lane(a3, 2) + f32x4.extract_lane(a3, 3);
    for (; k < K; k++) { const xk = load<f32>(x + (<usize>k << 2)); s0 += load<f32>(r0 + (<usize>k << 2)) * xk; s1 += load<f32>(r1 + (<usize>k << 2)) * xk; s2 += load<f32>(r2 + (<usize>k << 2)) * xk; s3 += load<f32>(r3 + (<usize>k << 2)) * xk; }
    store<f32>(y + (<usize>n << 2), s0); store<f32>(y + (<usize>(n + 1) << 2), s1); store<f32>(y + (<usize>(n + 2) << 2), s2); store<f32>(y + (<usize>(n + 3) << 2), s3);
  }
  for (; n < N; n++) { let s: f32 = 0; const r = w + (<usize>n * <usize>K << 2); for (let k = 0; k < K; k++) s += load<f32>(r + (<usize>k << 2)) * load<f32>(x + (<usize>k << 2)); store<f32>(y + (<usize>n << 2), s); }
}
