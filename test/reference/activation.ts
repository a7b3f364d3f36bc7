// Float64 reference oracle for assembly/activation.ts. Layout (B, C, inner) as the kernels;
// the derivative at x = 0 is taken from the x <= 0 side, as the kernels document.

type Arr = ArrayLike<number>;

// y = max(x, 0)
export function relu_forward_ref(x: Arr): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 ? v : 0));
}

// dx = dy * (x > 0)
export function relu_backward_ref(dy: Arr, x: Arr): Float64Array {
  return Float64Array.from(x, (v, i) => (v > 0 ? dy[i] : 0));
}

// y = x > 0 ? x : alpha * x
export function leaky_relu_forward_ref(x: Arr, alpha: number): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 ? v : alpha * v));
}

// dx = dy * (x > 0 ? 1 : alpha)
export function leaky_relu_backward_ref(dy: Arr, x: Arr, alpha: number): Float64Array {
  return Float64Array.from(x, (v, i) => (v > 0 ? dy[i] : alpha * dy[i]));
}

// x is (B,C,inner), slope is (C); y is (B,C,inner)
export function prelu_forward_ref(x: Arr, slope: Arr, B: number, C: number, inner: number): Float64Array {
  const y = new Float64Array(B * C * inner);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < inner; i++) {
        const p = (b * C + c) * inner + i;
        y[p] = x[p] > 0 ? x[p] : slope[c] * x[p];
      }
    }
  }
  return y;
}

// dy, x are (B,C,inner), slope is (C); dx is (B,C,inner), dslope is (C)
export function prelu_backward_ref(dy: Arr, x: Arr, slope: Arr, B: number, C: number, inner: number):
  { dx: Float64Array; dslope: Float64Array } {
  const dx = new Float64Array(B * C * inner);
  const dslope = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < inner; i++) {
        const p = (b * C + c) * inner + i;
        if (x[p] > 0) dx[p] = dy[p];
        else {
          dx[p] = slope[c] * dy[p];
          dslope[c] += dy[p] * x[p];
        }
      }
    }
  }
  return { dx, dslope };
}

// y = 1 / (1 + exp(-x))
export function sigmoid_forward_ref(x: Arr): Float64Array {
  return Float64Array.from(x, (v) => 1 / (1 + Math.exp(-v)));
}

// y = tanh(x)
export function tanh_forward_ref(x: Arr): Float64Array {
  return Float64Array.from(x, (v) => Math.tanh(v));
}
