// Float64 reference oracle for assembly/optimizer.ts, written from the torch.optim documentation
// (SGD with momentum/dampening 0/Nesterov, Adam with bias correction, AdamW), not from the
// kernels. Each update works in place on float64 parameter and state arrays.

type Arr = ArrayLike<number>;

// torch.optim.SGD without momentum: w -= lr * (g + wd * w)
export function sgd_ref(w: Float64Array, g: Arr, lr: number, wd = 0): void {
  for (let i = 0; i < w.length; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

export interface MomentumRefOptions { lr: number; momentum: number; wd?: number; nesterov?: boolean }

// torch.optim.SGD(momentum=mu, dampening=0): d = g + wd*w; buf = mu*buf + d (buf = d on the
// first step, the same thing when buf starts at 0); w -= lr * (nesterov ? d + mu*buf : buf)
export function momentum_ref(w: Float64Array, buf: Float64Array, g: Arr, o: MomentumRefOptions): void {
  const wd = o.wd ?? 0;
  for (let i = 0; i < w.length; i++) {
    const d = g[i] + wd * w[i];
    buf[i] = o.momentum * buf[i] + d;
    w[i] -= o.lr * (o.nesterov ? d + o.momentum * buf[i] : buf[i]);
  }
}

export interface AdamRefOptions {
  lr: number; beta1: number; beta2: number; eps: number; wd?: number; decoupled?: boolean;
  /** Step number, starting at 1. */
  t: number;
}

// torch.optim.Adam (L2 in the gradient) / torch.optim.AdamW (decoupled: w *= 1 - lr*wd):
//   m = b1 m + (1-b1) d;  v = b2 v + (1-b2) d²;  m̂ = m / (1-b1^t);  v̂ = v / (1-b2^t)
//   w -= lr * m̂ / (sqrt(v̂) + eps)
export function adam_ref(w: Float64Array, m: Float64Array, v: Float64Array, g: Arr, o: AdamRefOptions): void {
  const wd = o.wd ?? 0;
  const bc1 = 1 - o.beta1 ** o.t;
  const bc2 = 1 - o.beta2 ** o.t;
  for (let i = 0; i < w.length; i++) {
    let d = g[i];
    if (o.decoupled) w[i] *= 1 - o.lr * wd;
    else d += wd * w[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * d;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * d * d;
    w[i] -= o.lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + o.eps);
  }
}
