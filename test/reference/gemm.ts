// Plain-TypeScript GEMM references for tests (no dependencies).
// Row-major matrices; shapes as in assembly/gemm.ts:
//   'nn': C(M,N) = A(M,K) · B(K,N)
//   'nt': C(M,N) = A(M,K) · B(N,K)ᵀ
//   'tn': C(M,N) = A(K,M)ᵀ · B(K,N)

export type GemmKind = 'nn' | 'nt' | 'tn';
type Mat = Float32Array | Float64Array;

function checkShapes(kind: GemmKind, a: Mat, b: Mat, M: number, N: number, K: number): void {
  if (a.length < M * K) throw new RangeError(`gemm ${kind}: A has ${a.length} < ${M}*${K} elements`);
  if (b.length < K * N) throw new RangeError(`gemm ${kind}: B has ${b.length} < ${K}*${N} elements`);
}

/** Naive float64 product (no accumulate): the mathematically expected C. */
export function gemmRef(kind: GemmKind, a: Mat, b: Mat, M: number, N: number, K: number): Float64Array {
  checkShapes(kind, a, b, M, N, K);
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = kind === 'tn' ? a[k * M + i] : a[i * K + k];
        const bv = kind === 'nt' ? b[j * K + k] : b[k * N + j];
        s += av * bv;
      }
      c[i * N + j] = s;
    }
  }
  return c;
}

/**
 * Bit-exact emulation of the wasm kernels' documented f32 summation order:
 * acc = c0[i,j] (or +0); for k = 0..K-1: acc = fround(acc + fround(A[i,k] * B[k,j])).
 * Pass c0 to emulate accumulate = 1. Inputs are taken as f32 values.
 */
export function gemmSeqF32(kind: GemmKind, a: Mat, b: Mat, M: number, N: number, K: number, c0?: Mat): Float32Array {
  checkShapes(kind, a, b, M, N, K);
  const f = Math.fround;
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = c0 ? f(c0[i * N + j]) : 0;
      for (let k = 0; k < K; k++) {
        const av = f(kind === 'tn' ? a[k * M + i] : a[i * K + k]);
        const bv = f(kind === 'nt' ? b[j * K + k] : b[k * N + j]);
        acc = f(acc + f(av * bv));
      }
      c[i * N + j] = acc;
    }
  }
  return c;
}
