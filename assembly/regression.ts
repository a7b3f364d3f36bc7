// Regression losses on the model's outputs, mean over every element as torch's MSELoss and
// HuberLoss(delta): forward and backward fused; targets are floats checked finite by the caller.
import { assertSpan } from './bounds';

// Outputs x (B,K), targets t (B,K); n = B K, d = x - t:
//   loss = mean d^2;  dx (B,K) = 2 d / n                          (overwrites dx)
// Returns the mean loss (f64, accumulated in element order).
export function mse_forward_backward(dx: usize, x: usize, targets: usize, B: i32, K: i32): f64 {
  const n = B * K;
  assertSpan(dx, n, 4); assertSpan(targets, n, 4);
  const scale: f32 = <f32>(2.0 / <f64>n);
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - load<f32>(targets + (<usize>i << 2));
    total += <f64>(d * d);
    store<f32>(dx + (<usize>i << 2), d * scale);
  }
  return total / <f64>n;
}

// Huber with threshold delta > 0, d = x - t:
//   loss = mean( |d| <= delta ? d^2 / 2 : delta (|d| - delta / 2) )
//   dx (B,K) = clamp(d, -delta, delta) / n                        (overwrites dx)
export function huber_forward_backward(dx: usize, x: usize, targets: usize, B: i32, K: i32, delta: f32): f64 {
  const n = B * K;
  assertSpan(dx, n, 4); assertSpan(targets, n, 4);
  const invN: f32 = <f32>(1.0 / <f64>n);
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - load<f32>(targets + (<usize>i << 2));
    total += <f64>huber(d, delta);
    store<f32>(dx + (<usize>i << 2), min(max(d, -delta), delta) * invN);
  }
  return total / <f64>n;
}

// @ts-ignore: decorator
@inline function huber(d: f32, delta: f32): f32 {
  const a = Mathf.abs(d);
  return a <= delta ? <f32>0.5 * d * d : delta * (a - <f32>0.5 * delta);
}

// For evaluation: returns the summed loss over the B K elements (MSE when delta <= 0, else Huber)
// and writes sum |x - t| (f64) to absSum[0].
export function regression_eval(absSum: usize, x: usize, targets: usize, B: i32, K: i32, delta: f32): f64 {
  const n = B * K;
  let total: f64 = 0;
  let abs: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - load<f32>(targets + (<usize>i << 2));
    total += <f64>(delta > 0 ? huber(d, delta) : d * d);
    abs += <f64>Mathf.abs(d);
  }
  store<f64>(absSum, abs);
  return total;
}
