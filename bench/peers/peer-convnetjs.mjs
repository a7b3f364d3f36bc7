// ConvNetJS 0.3.0 (plain JS, float64, one sample at a time; Trainer batch_size accumulates the
// gradient over the batch, then one SGD update). One "step" = `batch` calls of trainer.train.
import { createRequire } from 'node:module';
import { WORKLOADS, mnistBatches } from './data.mjs';

const require = createRequire(import.meta.url);

export async function setup(variant, workload) {
  const convnetjs = require('convnetjs');
  const { lr, batch: B } = WORKLOADS[workload];
  const defs = workload === 'mlp'
    ? [
      { type: 'input', out_sx: 1, out_sy: 1, out_depth: 784 },
      { type: 'fc', num_neurons: 512, activation: 'relu' },
      { type: 'fc', num_neurons: 512, activation: 'relu' },
      { type: 'softmax', num_classes: 10 },
    ]
    : [
      { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
      { type: 'conv', sx: 5, filters: 32, stride: 1, pad: 2, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'conv', sx: 5, filters: 64, stride: 1, pad: 2, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'softmax', num_classes: 10 },
    ];
  const net = new convnetjs.Net();
  net.makeLayers(defs);
  const trainer = new convnetjs.Trainer(net, { method: 'sgd', learning_rate: lr, batch_size: B, momentum: 0, l2_decay: 0 });
  const raw = await mnistBatches(workload);
  const batches = raw.map((b) => ({
    vols: Array.from({ length: B }, (_, s) => {
      const v = workload === 'mlp' ? new convnetjs.Vol(1, 1, 784, 0) : new convnetjs.Vol(28, 28, 1, 0);
      v.w.set(b.images.subarray(s * 784, (s + 1) * 784)); // same index order: (y*28+x)*depth+d
      return v;
    }),
    labels: b.labels,
  }));
  return {
    info: { convnetjs: '0.3.0', note: 'softmax layer adds its own fc 10; float64' },
    step(i) {
      const b = batches[i % batches.length];
      let loss = 0;
      for (let s = 0; s < B; s++) loss += trainer.train(b.vols[s], b.labels[s]).cost_loss;
      return loss / B;
    },
  };
}
