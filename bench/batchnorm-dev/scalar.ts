// BASELINE (bench only): the scalar kernels of assembly/batchnorm.ts before SIMD, kept verbatim for
// bench/batchnorm.mjs (side-by-side timing and bit comparison). Batch normalisation over (B, C, S) tensors (S = H*W for maps, 1 or L for vectors), as
// torch.nn.BatchNorm1d/2d. Per channel c, over the N = B*S values x[b, c, s]:
//   training:  mean = sum x / N, var = sum (x - mean)^2 / N (biased, used to normalise),
//              xhat = (x - mean) * invstd, invstd = 1 / sqrt(var + eps), y = xhat * gamma + beta,
//              running_mean = (1 - m) running_mean + m mean, running_var = (1 - m) running_var + m var * N / (N - 1)
//   evaluation: xhat = (x - running_mean) * (1 / sqrt(running_var + eps)), y = xhat * gamma + beta
// Sums are taken in f64 in a fixed order (b, then s), so results do not depend on threads or engines.
// gamma = beta = 0 (pointers): no affine part. saved holds (mean, invstd) per channel for backward.
import { assertSpan } from '../../assembly/bounds';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** The mean of channel c over the batch, summed in f64 (b, then s). */
// @ts-ignore: decorator
@inline function channelMean(x: usize, B: i32, C: i32, S: i32, c: i32): f64 {
  let sum: f64 = 0;
  for (let b = 0; b < B; b++) {
    const row = x + (<usize>(b * C + c) * <usize>S << 2);
    for (let s = 0; s < S; s++) sum += <f64>load<f32>(row + (<usize>s << 2));
  }
  return sum / <f64>(B * S);
}

/** y = (x - mean) * invstd * gamma + beta over channel c (gamma = beta = 0: no affine part). */
// @ts-ignore: decorator
@inline function normalizeChannel(y: usize, x: usize, gamma: usize, beta: usize, B: i32, C: i32, S: i32, c: i32, mean: f32, invstd: f32): void {
  const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
  const bt: f32 = beta ? load<f32>(at(beta, c)) : 0;
  for (let b = 0; b < B; b++) {
    const off = <usize>(b * C + c) * <usize>S << 2;
    for (let s = 0; s < S; s++) {
      const p = <usize>s << 2;
      store<f32>(y + off + p, (load<f32>(x + off + p) - mean) * invstd * g + bt);
    }
  }
}

// Training-mode forward: normalises with the batch statistics, updates the running statistics.
export function scalar_batchnorm_forward_train(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize, saved: usize,
  B: i32, C: i32, S: i32, eps: f32, momentum: f32): void {
  assertSpan(x, <i64>B * C * S, 4); assertSpan(y, <i64>B * C * S, 4); assertSpan(saved, <i64>2 * C, 4);
  const N = B * S;
  for (let c = 0; c < C; c++) {
    const mean64 = channelMean(x, B, C, S, c);
    let sq: f64 = 0;
    for (let b = 0; b < B; b++) {
      const row = x + (<usize>(b * C + c) * <usize>S << 2);
      for (let s = 0; s < S; s++) { const d = <f64>load<f32>(row + (<usize>s << 2)) - mean64; sq += d * d; }
    }
    const var64 = sq / <f64>N;
    const mean = <f32>mean64;
    const invstd = <f32>(1.0 / Math.sqrt(var64 + <f64>eps));
    store<f32>(at(saved, c), mean);
    store<f32>(at(saved, C + c), invstd);
    normalizeChannel(y, x, gamma, beta, B, C, S, c, mean, invstd);
    const unbiased = N > 1 ? var64 * <f64>N / <f64>(N - 1) : var64;
    const m = momentum;
    store<f32>(at(rmean, c), (<f32>1 - m) * load<f32>(at(rmean, c)) + m * mean);
    store<f32>(at(rvar, c), (<f32>1 - m) * load<f32>(at(rvar, c)) + m * <f32>unbiased);
  }
}

// Evaluation-mode forward: normalises with the running statistics.
export function scalar_batchnorm_forward_eval(y: usize, x: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize,
  B: i32, C: i32, S: i32, eps: f32): void {
  assertSpan(x, <i64>B * C * S, 4); assertSpan(y, <i64>B * C * S, 4);
  for (let c = 0; c < C; c++) {
    const mean = load<f32>(at(rmean, c));
    const invstd = <f32>(1.0 / Math.sqrt(<f64>load<f32>(at(rvar, c)) + <f64>eps));
    normalizeChannel(y, x, gamma, beta, B, C, S, c, mean, invstd);
  }
}

// Backward of either mode. Training (saved = batch mean, invstd):
//   dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * invstd * (dy - dbeta / N - xhat * dgamma / N)
// Evaluation (saved = 0: running statistics, which do not depend on x): dx = dy * gamma * invstd.
// dx = 0: input gradient not needed; dgamma = dbeta = 0: no affine part.
export function scalar_batchnorm_backward(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, gamma: usize, saved: usize,
  rmean: usize, rvar: usize, B: i32, C: i32, S: i32, eps: f32): void {
  assertSpan(x, <i64>B * C * S, 4); assertSpan(dy, <i64>B * C * S, 4);
  const N = B * S;
  for (let c = 0; c < C; c++) {
    const train = saved != 0;
    const mean = train ? load<f32>(at(saved, c)) : load<f32>(at(rmean, c));
    const invstd = train ? load<f32>(at(saved, C + c)) : <f32>(1.0 / Math.sqrt(<f64>load<f32>(at(rvar, c)) + <f64>eps));
    let sdy: f64 = 0, sdyx: f64 = 0;
    for (let b = 0; b < B; b++) {
      const off = <usize>(b * C + c) * <usize>S << 2;
      for (let s = 0; s < S; s++) {
        const p = <usize>s << 2;
        const g = <f64>load<f32>(dy + off + p);
        sdy += g;
        sdyx += g * <f64>((load<f32>(x + off + p) - mean) * invstd);
      }
    }
    if (dgamma) store<f32>(at(dgamma, c), <f32>sdyx);
    if (dbeta) store<f32>(at(dbeta, c), <f32>sdy);
    if (!dx) continue;
    const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
    const k = g * invstd;
    const mdy = <f32>(sdy / <f64>N), mdyx = <f32>(sdyx / <f64>N);
    for (let b = 0; b < B; b++) {
      const off = <usize>(b * C + c) * <usize>S << 2;
      for (let s = 0; s < S; s++) {
        const p = <usize>s << 2;
        const d = load<f32>(dy + off + p);
        store<f32>(dx + off + p, train ? k * (d - mdy - ((load<f32>(x + off + p) - mean) * invstd) * mdyx) : k * d);
      }
    }
  }
}
