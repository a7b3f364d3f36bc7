// Weight initialization in wasm from the model's seed: each parameter tensor draws from its own
// stream (node order, weight then bias), so a seed gives the same weights in every engine.
import type { Kernels } from '../core/wasm.js';
import { sizeOf, type Layer, type ParamSpec } from '../layers/layer.js';

/** Fills every parameter of `layers` (already bound to the model's region) from `seed`. */
export function initParameters(k: Kernels, layers: Layer[], seed: number): void {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  let stream = 0;
  for (const l of layers) l.params.forEach((p, j) => initParam(k, l.paramPtr[j], p, lo, hi, stream++));
}

/** Fills every buffer of `layers` (BatchNorm: running mean 0, running variance 1). */
export function initBuffers(k: Kernels, layers: Layer[]): void {
  for (const l of layers) l.buffers.forEach((b, j) => initParam(k, l.bufferPtr[j], b, 0, 0, 0));
}

/** He (Kaiming) and Glorot (Xavier) as PyTorch defines them: variance 2/fanIn and 2/(fanIn + fanOut); PyTorch's own default. */
function initParam(k: Kernels, ptr: number, p: ParamSpec, lo: number, hi: number, stream: number): void {
  const n = sizeOf(p.shape);
  switch (p.init) {
    case 'he-uniform': return k.init_uniform(ptr, n, lo, hi, stream, 2 / p.fanIn);
    case 'he-normal': return k.init_normal(ptr, n, lo, hi, stream, 2 / p.fanIn);
    case 'glorot-uniform': return k.init_uniform(ptr, n, lo, hi, stream, 2 / (p.fanIn + p.fanOut));
    case 'glorot-normal': return k.init_normal(ptr, n, lo, hi, stream, 2 / (p.fanIn + p.fanOut));
    // PyTorch's default (kaiming_uniform with a = sqrt(5), and its bias rule): U(+-1/sqrt(fanIn)), variance 1/(3 fanIn)
    case 'torch-uniform': return k.init_uniform(ptr, n, lo, hi, stream, 1 / (3 * p.fanIn));
    case 'zeros': return k.fill_f32(ptr, n, 0);
    case 'constant': return k.fill_f32(ptr, n, p.value ?? 0);
  }
}
