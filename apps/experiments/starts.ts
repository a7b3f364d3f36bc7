// Where a run starts: the model's own init (He-uniform, from its seed), the init of the authors' PyTorch
// code (torch.nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), and the
// network EC-SGD starts from (skeleton weights set to 1 by creating an ECSGD optimizer with its default
// init 'unit-skeleton'), for training it with another optimizer.
import { createOptimizer, type Sequential } from 'ecopt';
import { mulberry32, sqrtInt } from './rng.js';

/** Which initial weights: 'he' = the model's own (He-uniform, seeded), 'torch' = U(+-1/sqrt(fan_in)) from torchUniformWeights. */
export type WeightsInit = 'he' | 'torch';

/**
 * Weights drawn as PyTorch's nn.Linear default (kaiming_uniform_(a=sqrt(5)), i.e. U(-b, b) with
 * b = 1/sqrt(fan_in), for weights and biases), for a model of Dense layers (fan_in = shape[1] of a
 * [out, in] weight; a bias takes its layer's fan_in). Integer arithmetic and exact float steps only:
 * u = (x - 2^31) / 2^31 with x a mulberry32 uint32 (exact), value = fround(u / sqrtInt(fan_in)),
 * one generator seeded by (seed, 0x7f4a7c15) drawing the tensors in weightSpecs() order. Not PyTorch's
 * random numbers (the distribution, not the draw).
 */
export function torchUniformWeights(model: Sequential, seed: number): Float32Array[] {
  const next = mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x7f4a7c15) >>> 0);
  const specs = model.weightSpecs();
  let fanIn = 0;
  return specs.map((s) => {
    if (s.shape.length === 2) fanIn = s.shape[1];
    else if (!(s.shape.length === 1 && fanIn > 0)) throw new RangeError(`torchUniformWeights: Dense layers only, got ${s.name} [${s.shape.join(', ')}]`);
    const root = sqrtInt(fanIn);
    const n = s.shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = (next() - 2147483648) / 2147483648 / root;
    return w;
  });
}

/**
 * The weights EC-SGD starts from on `model`: creates an ECSGD optimizer (init 'unit-skeleton' sets the
 * skeleton weights to 1), copies the weights with getWeights() and disposes the optimizer. The model
 * keeps those weights; train a fresh model given them with setWeights to start another optimizer there.
 */
export function unitSkeletonWeights(model: Sequential): Float32Array[] {
  const opt = createOptimizer('ECSGD', model, { lr: 0.1 });
  try {
    return model.getWeights();
  } finally {
    opt.dispose();
  }
}
