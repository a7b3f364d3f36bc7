// Thin A·Bᵀ products (M <= 3 rows: batch-1 inference through Dense layers) without packing: the
// blocked GEMM repacks all of B (N x K) on every call and fills 4-row tiles that are mostly empty,
// which makes a batch-1 predict about 4x slower than it need be (bench/infer/profile.mjs).
//
// SUMMATION ORDER: the same as gemm.ts, so the bits are the same as the blocked path's. Every C
// element is one sequential f32 chain acc = (accumulate ? C[i,j] : +0); for k = 0..K-1:
// acc = acc + A[i,k] * B[j,k] (f32 mul, then f32 add; no FMA). The SIMD lanes hold four outputs j,
// never four k: four rows of B are read four k at a time and transposed in registers.
// Not used by the relaxed-SIMD build (its GEMM fuses the multiply-add: gemm.ts `madd`).

// C row (N) = A row (K) · Bᵀ, B is (N,K)
export function gemv_nt_row(c: usize, a: usize, b: usize, N: i32, K: i32, accumulate: i32): void {
  const ldb = <usize>K << 2;
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const r0 = b + <usize>j * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
    const cj = c + (<usize>j << 2);
    let acc = accumulate ? v128.load(cj) : f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const off = <usize>k << 2;
      const x0 = v128.load(r0 + off), x1 = v128.load(r1 + off), x2 = v128.load(r2 + off), x3 = v128.load(r3 + off);
      // 4x4 transpose: column q holds B[j..j+3, k+q]
      const t0 = v128.shuffle<i32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(x0, x1, 2, 6, 3, 7);
      const t2 = v128.shuffle<i32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(x2, x3, 2, 6, 3, 7);
      const ak = a + off;
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(ak), v128.shuffle<i32>(t0, t2, 0, 1, 4, 5)));
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(ak + 4), v128.shuffle<i32>(t0, t2, 2, 3, 6, 7)));
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(ak + 8), v128.shuffle<i32>(t1, t3, 0, 1, 4, 5)));
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(ak + 12), v128.shuffle<i32>(t1, t3, 2, 3, 6, 7)));
    }
    for (; k < K; k++) {
      const off = <usize>k << 2;
      let col = f32x4.splat(load<f32>(r0 + off));
      col = f32x4.replace_lane(col, 1, load<f32>(r1 + off));
      col = f32x4.replace_lane(col, 2, load<f32>(r2 + off));
      col = f32x4.replace_lane(col, 3, load<f32>(r3 + off));
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(a + off), col));
    }
    v128.store(cj, acc);
  }
  for (; j < N; j++) {
    const rj = b + <usize>j * ldb;
    const cj = c + (<usize>j << 2);
    let acc: f32 = accumulate ? load<f32>(cj) : 0;
    for (let k = 0; k < K; k++) acc = acc + load<f32>(a + (<usize>k << 2)) * load<f32>(rj + (<usize>k << 2));
    store<f32>(cj, acc);
  }
}
