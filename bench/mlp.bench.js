// Training throughput (samples/s) of an MLP 784-512-512-10 at batch 128, one full step
// (forward, softmax cross-entropy, backward, update) per operation, on real MNIST batches.
import b from 'benny';
import { Sequential, Dense, ReLU, SGD, Momentum, Adam, ECSGD, ECAdam, PathSGD, loadMNIST } from '../dist/index.js';
import { kernels } from './common.js';

const { threads } = await kernels();
const { train } = await loadMNIST({ trainLimit: 128 * 20 });
const B = 128;

function setup(Opt, opts) {
  const model = new Sequential([new Dense(784, 512), new ReLU(), new Dense(512, 512), new ReLU(), new Dense(512, 10)], { seed: 0 });
  const opt = new Opt(model, opts);
  let i = 0;
  const step = () => {
    const s = (i++ % 20) * B;
    model.trainBatch(train.images.subarray(s * 784, (s + B) * 784), train.labels.subarray(s, s + B), opt);
  };
  for (let w = 0; w < 5; w++) step(); // warm up (V8 tiers up wasm)
  return step;
}

const cases = [
  ['SGD', setup(SGD, { lr: 0.01 })],
  ['Momentum', setup(Momentum, { lr: 0.01 })],
  ['Adam', setup(Adam, { lr: 1e-4 })],
  ['EC-SGD', setup(ECSGD, { lr: 0.01 })],
  ['EC-Adam', setup(ECAdam, { lr: 1e-4 })],
  ['Path-SGD', setup(PathSGD, { lr: 1e-3 })],
];

await b.suite(`MLP 784-512-512-10 training, batch 128, ${threads} thread${threads > 1 ? 's' : ''}`,
  ...cases.map(([name, step]) => b.add(name, step, { minSamples: 10, maxTime: 3 })),
  b.cycle((r) => console.log(`  ${r.name.padEnd(10)} ${Math.round(r.ops * B).toString().padStart(6)} samples/s  (±${r.margin}%)`)),
  b.complete(),
  b.save({ file: 'mlp', folder: 'bench/results', format: 'json' }),
);
