// Float64 reference oracle for assembly/dense.ts: naive loops, no SIMD, no tricks (llm.c's
// matmul_forward_naive). Inputs may be float32 data; every sum is taken in float64.

type Arr = ArrayLike<number>;

// x is (B,inF), w is (outF,inF), bias is (outF) or null; y is (B,outF)
export function dense_forward_ref(x: Arr, w: Arr, bias: Arr | null, B: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(B * outF);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inF; i++) s += x[b * inF + i] * w[o * inF + i];
      y[b * outF + o] = s;
    }
  }
  return y;
}

// dy is (B,outF), x is (B,inF), w is (outF,inF); dx is (B,inF), dw is (outF,inF), dbias is (outF)
export function dense_backward_ref(dy: Arr, x: Arr, w: Arr, B: number, inF: number, outF: number):
  { dx: Float64Array; dw: Float64Array; dbias: Float64Array } {
  const dx = new Float64Array(B * inF);
  const dw = new Float64Array(outF * inF);
  const dbias = new Float64Array(outF);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < outF; o++) {
      const g = dy[b * outF + o];
      dbias[o] += g;
      for (let i = 0; i < inF; i++) {
        dw[o * inF + i] += g * x[b * inF + i];
        dx[b * inF + i] += g * w[o * inF + i];
      }
    }
  }
  return { dx, dw, dbias };
}

// y is (R,C), bias is (C); returns y + bias on every row
export function bias_add_rows_ref(y: Arr, bias: Arr, R: number, C: number): Float64Array {
  const out = new Float64Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[r * C + c] = y[r * C + c] + bias[c];
  return out;
}

// x is (R,C); out is (C), the column sums
export function col_sums_ref(x: Arr, R: number, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c] += x[r * C + c];
  return out;
}
