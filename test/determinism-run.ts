// The fixed training run whose weight hash must be identical in Node and Chromium: every layer
// type and every optimizer, from seed 7, on data generated with integer-only JS arithmetic.
import {
  Sequential, Dense, ReLU, LeakyReLU, PReLU, SGD, Momentum, Adam, ECSGD, ECAdam, Conv2D, MaxPool2D, Flatten,
  Model, input, Add, Concat, GlobalAvgPool2D,
} from '../src/index.js';
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

/**
 * A workload whose GEMMs are large enough to be split over the thread pool (MLP and CNN, several
 * optimizers). Returns the weight hashes; they must not depend on the thread count.
 */
export function parallelRun(seed = 5): { mlp: string; cnn: string; losses: number[] } {
  const r = rng(4321);
  const losses: number[] = [];
  const mlp = new Sequential([new Dense(64, 96), new ReLU(), new Dense(96, 80), new PReLU(), new Dense(80, 10)], { seed });
  const mo = [new Adam(mlp, { lr: 1e-3 }), new ECSGD(mlp, { lr: 0.02 })];
  for (let step = 0; step < 12; step++) {
    losses.push(mlp.trainBatch(r.uniform(48 * 64, -1, 1), r.int(48, 10), mo[step % 2]));
  }
  const cnn = new Sequential([
    new Conv2D(1, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Conv2D(8, 16, 3, { padding: 1 }), new ReLU(),
    new Flatten(), new Dense(16 * 7 * 7, 10),
  ], { seed, inputShape: [1, 14, 14] });
  const co = [new Momentum(cnn, { lr: 0.01 }), new ECAdam(cnn, { lr: 1e-3 })];
  for (let step = 0; step < 6; step++) {
    losses.push(cnn.trainBatch(r.uniform(16 * 196, 0, 1), r.int(16, 10), co[step % 2]));
  }
  const out = { mlp: hashArrays(mlp.getWeights()), cnn: hashArrays(cnn.getWeights()), losses };
  mlp.dispose();
  cnn.dispose();
  return out;
}

/**
 * A residual graph (identity and strided 1x1 projection shortcuts, a Concat, tensors read by up to
 * three layers) large enough for the pool to split its GEMMs: its gradients of fanned-out tensors
 * are summed in a fixed order, so the hash must not depend on the engine or the thread count.
 */
export function graphRun(seed = 5): { graph: string; losses: number[] } {
  const x = input([3, 14, 14]);
  const stem = new ReLU().apply(new Conv2D(3, 8, 3, { padding: 1 }).apply(x));
  const body = new Conv2D(8, 8, 3, { padding: 1, bias: false }).apply(new ReLU().apply(new Conv2D(8, 8, 3, { padding: 1 }).apply(stem)));
  const block1 = new ReLU().apply(new Add().apply([body, stem]));
  const down = new Conv2D(8, 16, 3, { stride: 2, padding: 1 }).apply(block1);
  const proj = new Conv2D(8, 16, 1, { stride: 2, bias: false }).apply(block1);
  const block2 = new ReLU().apply(new Add().apply([new Conv2D(16, 16, 3, { padding: 1 }).apply(new ReLU().apply(down)), proj]));
  const pooled = new Concat().apply([new GlobalAvgPool2D().apply(block2), new GlobalAvgPool2D().apply(stem)]);
  const model = new Model({ inputs: x, outputs: new Dense(24, 10).apply(pooled), seed });
  const r = rng(999);
  const opts = [new SGD(model, { lr: 0.05 }), new Adam(model, { lr: 1e-3 })];
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) losses.push(model.trainBatch(r.uniform(24 * 588, 0, 1), r.int(24, 10), opts[step % 2]));
  const out = { graph: hashArrays(model.getWeights()), losses };
  model.dispose();
  return out;
}
