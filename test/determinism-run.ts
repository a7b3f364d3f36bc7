// The fixed training run whose weight hash must be identical in Node and Chromium: every layer
// type and every optimizer, from seed 7, on data generated with integer-only JS arithmetic.
import { Sequential, Dense, ReLU, LeakyReLU, PReLU, SGD, Momentum, Adam } from '../src/index.js';
import { rng, hashArrays } from './helpers.js';

export function determinismRun(seed = 7): { init: string; final: string; losses: number[] } {
  const model = new Sequential([
    new Dense(37, 29), new ReLU(), new Dense(29, 19), new PReLU(), new Dense(19, 13, { bias: false }),
    new LeakyReLU(0.05), new Dense(13, 10),
  ], { seed });
  const initHash = hashArrays(model.getWeights());
  const r = rng(1234);
  const opts = [new SGD(model, { lr: 0.05, weightDecay: 1e-4 }), new Momentum(model, { lr: 0.02, nesterov: true }), new Adam(model, { lr: 1e-3 })];
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    const B = 17 + (step % 5);
    const x = r.uniform(B * 37, -1, 1);
    const y = r.int(B, 10);
    losses.push(model.trainBatch(x, y, opts[Math.floor(step / 10)]));
  }
  const final = hashArrays(model.getWeights());
  model.dispose();
  return { init: initHash, final, losses };
}
