// Binary cross-entropy on logits (torch's BCEWithLogitsLoss, mean over every element), fused and
// numerically stable: no exp of a positive number, log1p for the small term. Targets are floats
// (usually 0 or 1, any value is accepted as torch does), checked finite by the caller.
import { assertSpan } from './bounds';

// Logits x (B,K), targets t (B,K); n = B K:
//   loss = mean [ max(x, 0) - x t + log1p(exp(-|x|)) ]
//   dlogits (B,K) = (sigmoid(x) - t) / n                        (overwrites dlogits)
// Returns the mean loss (f64, accumulated in element order).
export function bce_logits_forward_backward(dlogits: usize, logits: usize, targets: usize, B: i32, K: i32): f64 {
  const n = B * K;
  assertSpan(dlogits, n, 4); assertSpan(targets, n, 4);
  const invN: f32 = <f32>(1.0 / <f64>n);
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = load<f32>(logits + (<usize>i << 2));
    const t = load<f32>(targets + (<usize>i << 2));
    const e = Mathf.exp(-Mathf.abs(x));
    total += <f64>elementLoss(x, t, e);
    const sig: f32 = x >= 0 ? <f32>1 / (<f32>1 + e) : e / (<f32>1 + e);
    store<f32>(dlogits + (<usize>i << 2), (sig - t) * invN);
  }
  return total / <f64>n;
}

// max(x, 0) - x t + log1p(e), e = exp(-|x|)
// @ts-ignore: decorator
@inline function elementLoss(x: f32, t: f32, e: f32): f32 {
  return max(x, <f32>0) - x * t + Mathf.log1p(e);
}

// For evaluation: returns the summed loss over the B K elements and writes to correct[0] (i32)
// how many elements the logit classifies as the target does (x > 0 against t > 0.5).
export function bce_logits_eval(correct: usize, logits: usize, targets: usize, B: i32, K: i32): f64 {
  const n = B * K;
  let total: f64 = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const x = load<f32>(logits + (<usize>i << 2));
    const t = load<f32>(targets + (<usize>i << 2));
    total += <f64>elementLoss(x, t, Mathf.exp(-Mathf.abs(x)));
    if ((x > 0) == (t > <f32>0.5)) hits++;
  }
  store<i32>(correct, hits);
  return total;
}
