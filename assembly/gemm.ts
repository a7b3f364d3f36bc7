// GEMM kernels in the three training shapes, on byte offsets into linear memory.
// All matrices are f32, row-major, densely packed. Every kernel either overwrites C
// (accumulate = 0) or adds to it (accumulate = 1). `scratch` is a caller-owned buffer of at
// least gemm_scratch_bytes(M, N, K) bytes (kernels never allocate).
// Summation order for each C element is fixed by (M, N, K) alone: results are deterministic.

// C (M,N) = A (M,K) · B (K,N)
export function gemm_nn(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): void {
  for (let i = 0; i < M; i++) {
    const crow = c + (<usize>i * <usize>N << 2);
    if (!accumulate) memory.fill(crow, 0, <usize>N << 2);
    const arow = a + (<usize>i * <usize>K << 2);
    for (let k = 0; k < K; k++) {
      const av = load<f32>(arow + (<usize>k << 2));
      const as = f32x4.splat(av);
      const brow = b + (<usize>k * <usize>N << 2);
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const off = <usize>j << 2;
        v128.store(crow + off, f32x4.add(v128.load(crow + off), f32x4.mul(as, v128.load(brow + off))));
      }
      for (; j < N; j++) {
        const off = <usize>j << 2;
        store<f32>(crow + off, load<f32>(crow + off) + av * load<f32>(brow + off));
      }
    }
  }
}

// C (M,N) = A (M,K) · Bᵀ, B is (N,K)
export function gemm_nt(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): void {
  for (let i = 0; i < M; i++) {
    const arow = a + (<usize>i * <usize>K << 2);
    for (let j = 0; j < N; j++) {
      const brow = b + (<usize>j * <usize>K << 2);
      let acc = f32x4.splat(0);
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const off = <usize>k << 2;
        acc = f32x4.add(acc, f32x4.mul(v128.load(arow + off), v128.load(brow + off)));
      }
      let s: f32 = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      for (; k < K; k++) s += load<f32>(arow + (<usize>k << 2)) * load<f32>(brow + (<usize>k << 2));
      const cp = c + ((<usize>i * <usize>N + <usize>j) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
    }
  }
}

// C (M,N) = Aᵀ · B, A is (K,M), B is (K,N)
export function gemm_tn(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, accumulate: i32, scratch: usize): void {
  if (!accumulate) memory.fill(c, 0, <usize>M * <usize>N << 2);
  for (let k = 0; k < K; k++) {
    const arow = a + (<usize>k * <usize>M << 2);
    const brow = b + (<usize>k * <usize>N << 2);
    for (let i = 0; i < M; i++) {
      const av = load<f32>(arow + (<usize>i << 2));
      const as = f32x4.splat(av);
      const crow = c + (<usize>i * <usize>N << 2);
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const off = <usize>j << 2;
        v128.store(crow + off, f32x4.add(v128.load(crow + off), f32x4.mul(as, v128.load(brow + off))));
      }
      for (; j < N; j++) {
        const off = <usize>j << 2;
        store<f32>(crow + off, load<f32>(crow + off) + av * load<f32>(brow + off));
      }
    }
  }
}

// Bytes of scratch the GEMM kernels need for this shape (packing buffers).
export function gemm_scratch_bytes(M: i32, N: i32, K: i32): i32 {
  return 0;
}
