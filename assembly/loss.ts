// Softmax cross-entropy, fused and numerically stable (max subtracted before exp).
// Labels are i32 class indices (validated by the caller with first_bad_label).
import { assertSpan } from './bounds';

// Forward + backward in one pass over logits (B,K):
//   loss = mean_b [ log sum_k exp(z_bk - max_b) - (z_b,y_b - max_b) ]
//   dlogits (B,K) = (softmax(z_b) - onehot(y_b)) / B          (overwrites dlogits)
// Returns the mean loss (f64, accumulated in sample order).
export function softmax_xent_forward_backward(dlogits: usize, logits: usize, labels: usize, B: i32, K: i32): f64 {
  assertSpan(dlogits, <i64>B * <i64>K, 4); assertSpan(labels, B, 4);
  let total: f64 = 0;
  const invB: f32 = <f32>1.0 / <f32>B;
  for (let b = 0; b < B; b++) {
    const row = logits + (<usize>b * <usize>K << 2);
    const drow = dlogits + (<usize>b * <usize>K << 2);
    let mx = load<f32>(row);
    for (let k = 1; k < K; k++) mx = max(mx, load<f32>(row + (<usize>k << 2)));
    let s: f32 = 0;
    for (let k = 0; k < K; k++) {
      const e = Mathf.exp(load<f32>(row + (<usize>k << 2)) - mx);
      store<f32>(drow + (<usize>k << 2), e);
      s += e;
    }
    const y = load<i32>(labels + (<usize>b << 2));
    const lse = Mathf.log(s);
    total += <f64>(lse - (load<f32>(row + (<usize>y << 2)) - mx));
    const scale = invB / s;
    for (let k = 0; k < K; k++) {
      const p = drow + (<usize>k << 2);
      store<f32>(p, load<f32>(p) * scale);
    }
    const py = drow + (<usize>y << 2);
    store<f32>(py, load<f32>(py) - invB);
  }
  return total / <f64>B;
}

// Label-smoothed cross-entropy, torch's CrossEntropyLoss(label_smoothing = eps): row b's target
// is q = (1 - eps) onehot(y_b) + eps / K, so with d_k = z_bk - max_b and lse = log sum_k exp(d_k)
//   loss = mean_b [ lse - (1 - eps) d_y - (eps / K) sum_k d_k ]
//   dlogits (B,K) = (softmax(z_b) - q) / B                     (overwrites dlogits)
// The default path (eps = 0) keeps softmax_xent_forward_backward above, bit for bit.
export function softmax_xent_smooth_forward_backward(dlogits: usize, logits: usize, labels: usize, B: i32, K: i32, eps: f32): f64 {
  assertSpan(dlogits, <i64>B * <i64>K, 4); assertSpan(labels, B, 4);
  let total: f64 = 0;
  const invB: f32 = <f32>1.0 / <f32>B;
  const uniform: f32 = eps / <f32>K;
  for (let b = 0; b < B; b++) {
    const row = logits + (<usize>b * <usize>K << 2);
    const drow = dlogits + (<usize>b * <usize>K << 2);
    const y = load<i32>(labels + (<usize>b << 2));
    total += smoothedRow(drow, row, y, K, eps);
    let s: f32 = 0;
    for (let k = 0; k < K; k++) s += load<f32>(drow + (<usize>k << 2));
    const scale = invB / s;
    const shift = uniform * invB;
    for (let k = 0; k < K; k++) {
      const p = drow + (<usize>k << 2);
      store<f32>(p, load<f32>(p) * scale - shift);
    }
    const py = drow + (<usize>y << 2);
    store<f32>(py, load<f32>(py) - (<f32>1 - eps) * invB);
  }
  return total / <f64>B;
}

// One row of the smoothed loss: writes exp(z_k - max) to e (K floats, may be scratch) and
// returns lse - (1 - eps) d_y - (eps / K) sum_k d_k.
function smoothedRow(e: usize, row: usize, y: i32, K: i32, eps: f32): f64 {
  let mx = load<f32>(row);
  for (let k = 1; k < K; k++) mx = max(mx, load<f32>(row + (<usize>k << 2)));
  let s: f32 = 0;
  let dsum: f64 = 0;
  for (let k = 0; k < K; k++) {
    const d = load<f32>(row + (<usize>k << 2)) - mx;
    const ek = Mathf.exp(d);
    if (e) store<f32>(e + (<usize>k << 2), ek);
    s += ek;
    dsum += <f64>d;
  }
  const dy = load<f32>(row + (<usize>y << 2)) - mx;
  return <f64>Mathf.log(s) - <f64>(<f32>1 - eps) * <f64>dy - <f64>(eps / <f32>K) * dsum;
}

// The smoothed loss for evaluation: returns the summed (not mean) loss over B rows and writes the
// number of rows whose argmax (first maximum) equals the label to correct[0] (i32).
export function softmax_xent_smooth_eval(correct: usize, logits: usize, labels: usize, B: i32, K: i32, eps: f32): f64 {
  let total: f64 = 0;
  let hits = 0;
  for (let b = 0; b < B; b++) {
    const row = logits + (<usize>b * <usize>K << 2);
    const y = load<i32>(labels + (<usize>b << 2));
    total += smoothedRow(0, row, y, K, eps);
    let mx = load<f32>(row);
    let arg = 0;
    for (let k = 1; k < K; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      if (v > mx) { mx = v; arg = k; }
    }
    if (arg == y) hits++;
  }
  store<i32>(correct, hits);
  return total;
}

// Forward only, for evaluation: returns the summed (not mean) loss over B rows, and writes the
// number of rows whose argmax (first maximum) equals the label to correct[0] (i32).
export function softmax_xent_eval(correct: usize, logits: usize, labels: usize, B: i32, K: i32): f64 {
  let total: f64 = 0;
  let hits = 0;
  for (let b = 0; b < B; b++) {
    const row = logits + (<usize>b * <usize>K << 2);
    let mx = load<f32>(row);
    let arg = 0;
    for (let k = 1; k < K; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      if (v > mx) { mx = v; arg = k; }
    }
    let s: f32 = 0;
    for (let k = 0; k < K; k++) s += Mathf.exp(load<f32>(row + (<usize>k << 2)) - mx);
    const y = load<i32>(labels + (<usize>b << 2));
    total += <f64>(Mathf.log(s) - (load<f32>(row + (<usize>y << 2)) - mx));
    if (arg == y) hits++;
  }
  store<i32>(correct, hits);
  return total;
}

// probs (B,K) = softmax(logits) row-wise (overwrites probs; may alias logits).
export function softmax_forward(probs: usize, logits: usize, B: i32, K: i32): void {
  for (let b = 0; b < B; b++) {
    const row = logits + (<usize>b * <usize>K << 2);
    const prow = probs + (<usize>b * <usize>K << 2);
    let mx = load<f32>(row);
    for (let k = 1; k < K; k++) mx = max(mx, load<f32>(row + (<usize>k << 2)));
    let s: f32 = 0;
    for (let k = 0; k < K; k++) {
      const e = Mathf.exp(load<f32>(row + (<usize>k << 2)) - mx);
      store<f32>(prow + (<usize>k << 2), e);
      s += e;
    }
    const inv: f32 = <f32>1.0 / s;
    for (let k = 0; k < K; k++) {
      const p = prow + (<usize>k << 2);
      store<f32>(p, load<f32>(p) * inv);
    }
  }
}

// Row-wise argmax (first maximum) of x (B,K) into out (B) i32.
export function argmax_rows(out: usize, x: usize, B: i32, K: i32): void {
  for (let b = 0; b < B; b++) {
    const row = x + (<usize>b * <usize>K << 2);
    let mx = load<f32>(row);
    let arg = 0;
    for (let k = 1; k < K; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      if (v > mx) { mx = v; arg = k; }
    }
    store<i32>(out + (<usize>b << 2), arg);
  }
}
