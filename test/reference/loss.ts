// Float64 reference oracle for assembly/loss.ts: softmax, cross-entropy, argmax.
// Argmax means the first maximum, as the kernels define it.

type Arr = ArrayLike<number>;

// logits is (B,K); probs is (B,K), each row a softmax (max subtracted for stability)
export function softmax_ref(logits: Arr, B: number, K: number): Float64Array {
  const probs = new Float64Array(B * K);
  for (let b = 0; b < B; b++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += (probs[b * K + k] = Math.exp(logits[b * K + k] - mx));
    for (let k = 0; k < K; k++) probs[b * K + k] /= s;
  }
  return probs;
}

// Per-row cross-entropy: log sum_k exp(z_k) - z_y, stable form. logits is (B,K), labels is (B)
export function xent_rows_ref(logits: Arr, labels: Arr, B: number, K: number): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logits[b * K + k] - mx);
    out[b] = Math.log(s) - (logits[b * K + labels[b]] - mx);
  }
  return out;
}

// Mean softmax cross-entropy and its gradient: dlogits (B,K) = (softmax - onehot) / B
export function softmax_xent_ref(logits: Arr, labels: Arr, B: number, K: number): { loss: number; dlogits: Float64Array } {
  const rows = xent_rows_ref(logits, labels, B, K);
  let loss = 0;
  for (let b = 0; b < B; b++) loss += rows[b];
  const dlogits = softmax_ref(logits, B, K);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) dlogits[b * K + k] /= B;
    dlogits[b * K + labels[b]] -= 1 / B;
  }
  return { loss: loss / B, dlogits };
}

// x is (B,K); out is (B), index of the first maximum of each row
export function argmax_rows_ref(x: Arr, B: number, K: number): Int32Array {
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let arg = 0;
    for (let k = 1; k < K; k++) if (x[b * K + k] > x[b * K + arg]) arg = k;
    out[b] = arg;
  }
  return out;
}

// Evaluation: summed (not mean) loss and the number of rows whose argmax equals the label
export function softmax_xent_eval_ref(logits: Arr, labels: Arr, B: number, K: number): { loss: number; correct: number } {
  const rows = xent_rows_ref(logits, labels, B, K);
  const arg = argmax_rows_ref(logits, B, K);
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    loss += rows[b];
    if (arg[b] === labels[b]) correct++;
  }
  return { loss, correct };
}

// Label-smoothed cross-entropy (torch's label_smoothing = eps): target q = (1 - eps) onehot + eps / K;
// mean_b [ -sum_k q_k log softmax_k ] and dlogits (B,K) = (softmax - q) / B
export function smoothed_xent_ref(logits: Arr, labels: Arr, B: number, K: number, eps: number): { loss: number; dlogits: Float64Array } {
  const p = softmax_ref(logits, B, K);
  const dlogits = new Float64Array(B * K);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logits[b * K + k] - mx);
    for (let k = 0; k < K; k++) {
      const q = (k === labels[b] ? 1 - eps : 0) + eps / K;
      loss -= q * (logits[b * K + k] - mx - Math.log(s)); // log softmax, finite even where softmax underflows
      dlogits[b * K + k] = (p[b * K + k] - q) / B;
    }
  }
  return { loss: loss / B, dlogits };
}

// Binary cross-entropy on logits, mean over the n elements: -t log s(x) - (1 - t) log(1 - s(x)),
// written stably; dlogits = (s(x) - t) / n
export function bce_logits_ref(x: Arr, t: Arr): { loss: number; dlogits: Float64Array } {
  const n = x.length;
  const d = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    // log s(x) = -log(1 + e^-x), log(1 - s(x)) = -x - log(1 + e^-x); log1p(e^-|x|) keeps both finite
    const softplusNeg = Math.max(-x[i], 0) + Math.log1p(Math.exp(-Math.abs(x[i]))); // log(1 + e^-x)
    loss += t[i] * softplusNeg + (1 - t[i]) * (x[i] + softplusNeg);
    d[i] = (1 / (1 + Math.exp(-x[i])) - t[i]) / n;
  }
  return { loss: loss / n, dlogits: d };
}

// Mean squared error over the n elements and its gradient 2 (x - t) / n
export function mse_ref(x: Arr, t: Arr): { loss: number; dlogits: Float64Array } {
  const n = x.length;
  const d = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    loss += (x[i] - t[i]) ** 2;
    d[i] = (2 * (x[i] - t[i])) / n;
  }
  return { loss: loss / n, dlogits: d };
}

// Huber (torch's HuberLoss(delta)), mean over the n elements; gradient clamp(x - t, -delta, delta) / n
export function huber_ref(x: Arr, t: Arr, delta: number): { loss: number; dlogits: Float64Array } {
  const n = x.length;
  const d = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const r = x[i] - t[i];
    loss += Math.abs(r) <= delta ? 0.5 * r * r : delta * (Math.abs(r) - 0.5 * delta);
    d[i] = Math.min(Math.max(r, -delta), delta) / n;
  }
  return { loss: loss / n, dlogits: d };
}
