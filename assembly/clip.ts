// Gradient clipping by the global L2 norm (torch.nn.utils.clip_grad_norm_): the norm in f64 over a
// fixed order, then g *= maxNorm / (norm + 1e-6) when that factor is below 1.
import { assertSpan } from './bounds';

// Returns the norm of g[0..n) before clipping; scales g in place when it exceeds maxNorm.
export function clip_grad_norm(g: usize, n: i32, maxNorm: f64): f64 {
  assertSpan(g, n, 4);
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(g + (<usize>i << 2));
    s += v * v;
  }
  const norm = Math.sqrt(s);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    const c = <f32>coef;
    const cs = f32x4.splat(c);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const p = g + (<usize>i << 2);
      v128.store(p, f32x4.mul(v128.load(p), cs));
    }
    for (; i < n; i++) {
      const p = g + (<usize>i << 2);
      store<f32>(p, load<f32>(p) * c);
    }
  }
  return norm;
}
