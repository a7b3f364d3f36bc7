// The update rules, each equation written once, in a scalar and a four-lane form (the same
// operations in the same order, so a SIMD lane and a scalar tail give the same bits). The plain
// optimizers (optimizer.ts) apply them to the weights, the EC optimizers (ec.ts) to the basis-path
// values; d is the (decayed) gradient of whatever is being updated.
//
// Momentum (torch.optim.SGD with momentum, dampening 0):
//   m = mu*m + d;  step = nesterov ? d + mu*m : m
// Adam (torch.optim.Adam), bc1 = 1 - b1^t, isbc2 = 1/sqrt(1 - b2^t):
//   m = b1*m + (1-b1)*d;  s = b2*s + (1-b2)*d*d;  step = (m / bc1) / (sqrt(s)*isbc2 + eps)
// The caller subtracts lr * step.

// @ts-ignore: decorator
@inline export function momentum_m(m: f32, d: f32, mu: f32): f32 { return mu * m + d; }
// @ts-ignore: decorator
@inline export function momentum_step(m: f32, d: f32, mu: f32, nesterov: bool): f32 { return nesterov ? d + mu * m : m; }
// @ts-ignore: decorator
@inline export function adam_m(m: f32, d: f32, b1: f32): f32 { return b1 * m + (<f32>1 - b1) * d; }
// @ts-ignore: decorator
@inline export function adam_s(s: f32, d: f32, b2: f32): f32 { return b2 * s + (<f32>1 - b2) * (d * d); }
// @ts-ignore: decorator
@inline export function adam_step(m: f32, s: f32, bc1: f32, isbc2: f32, eps: f32): f32 { return (m / bc1) / (Mathf.sqrt(s) * isbc2 + eps); }

// four lanes; c1 = splat(1 - b1), c2 = splat(1 - b2)
// @ts-ignore: decorator
@inline export function momentum_m4(m: v128, d: v128, mu: v128): v128 { return f32x4.add(f32x4.mul(mu, m), d); }
// @ts-ignore: decorator
@inline export function momentum_step4(m: v128, d: v128, mu: v128, nesterov: bool): v128 { return nesterov ? f32x4.add(d, f32x4.mul(mu, m)) : m; }
// @ts-ignore: decorator
@inline export function adam_m4(m: v128, d: v128, b1: v128, c1: v128): v128 { return f32x4.add(f32x4.mul(b1, m), f32x4.mul(c1, d)); }
// @ts-ignore: decorator
@inline export function adam_s4(s: v128, d: v128, b2: v128, c2: v128): v128 { return f32x4.add(f32x4.mul(b2, s), f32x4.mul(c2, f32x4.mul(d, d))); }
// @ts-ignore: decorator
@inline export function adam_step4(m: v128, s: v128, bc1: v128, isbc2: v128, eps: v128): v128 {
  return f32x4.div(f32x4.div(m, bc1), f32x4.add(f32x4.mul(f32x4.sqrt(s), isbc2), eps));
}
