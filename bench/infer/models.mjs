// The three networks of the inference-latency benchmark (bench/infer/run.mjs) with fixed weights,
// built the same way by the ONNX export (bench/infer/export.mjs) and by the benchmark:
//   mlp       MLP 784-512-512-10 (ReLU), the MLP of bench/steps.mjs and bench/peers
//   cnn       the benchmark CNN: conv5x5 1->32 same, ReLU, maxpool 2, conv5x5 32->64 same, ReLU,
//             maxpool 2, flatten, dense 3136->10 (bench/peers/peer-ecopt.mjs)
//   resnet20  resnet({ depth: 20, inputShape: [3, 32, 32], classes: 10 }) in evaluation mode
// Weights: ecopt's own initialisation from seed 0; then every BatchNorm's weight, bias, running mean
// and running variance are set to seeded non-trivial values (as after training; with the defaults
// 1, 0, 0, 1 a wrong BN would go unnoticed). Everything is deterministic (no training steps, so the
// thread count does not matter); weightsDigest() is recorded next to the .onnx files and checked.
import { createHash } from 'node:crypto';

export const NETS = {
  mlp: { name: 'MLP 784-512-512-10', inputShape: [784] },
  cnn: { name: 'CNN conv5x5x32-pool-conv5x5x64-pool-dense10', inputShape: [1, 28, 28] },
  resnet20: { name: 'ResNet-20 (3x32x32, 10 classes, BN eval)', inputShape: [3, 32, 32] },
};

export function buildEcopt(E, which) {
  const { Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, resnet, mulberry32 } = E;
  let m;
  if (which === 'mlp') m = new Sequential([new Dense(784, 512), new ReLU(), new Dense(512, 512), new ReLU(), new Dense(512, 10)], { seed: 0 });
  else if (which === 'cnn') {
    m = new Sequential([
      new Conv2D(1, 32, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Conv2D(32, 64, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Flatten(), new Dense(3136, 10),
    ], { inputShape: [1, 28, 28], seed: 0 });
  } else if (which === 'resnet20') {
    m = resnet({ depth: 20, inputShape: [3, 32, 32], classes: 10, seed: 0 });
    const r32 = mulberry32(1234), rnd = () => r32() / 4294967296;
    const u = (lo, hi) => lo + (hi - lo) * rnd();
    const specs = m.weightSpecs();
    const ws = m.getWeights().map((w, i) => {
      const name = specs[i].name;
      if (!/(^|\.)bn\d|downsample\.1/.test(name)) return w;
      if (name.endsWith('.weight')) return w.map(() => u(0.5, 1.5));
      if (name.endsWith('.bias')) return w.map(() => u(-0.2, 0.2));
      return w;
    });
    m.setWeights(ws);
    const bspecs = m.bufferSpecs();
    m.setBuffers(m.getBuffers().map((b, i) => (bspecs[i].name.endsWith('running_mean') ? b.map(() => u(-0.3, 0.3)) : b.map(() => u(0.3, 2)))));
    m.eval();
  } else throw new Error(`unknown net ${which}`);
  return m;
}

/** SHA-256 of the weights and buffers (every array's bytes in order), hex. */
export function weightsDigest(m) {
  const h = createHash('sha256');
  for (const a of [...m.getWeights(), ...m.getBuffers()]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/** Seeded inputs in [0, 1) (images) for `B` samples of net `which`. */
export function inputs(E, which, B, seed = 7) {
  const n = NETS[which].inputShape.reduce((a, b) => a * b, 1);
  const r = E.mulberry32(seed + B);
  return Float32Array.from({ length: B * n }, () => r() / 4294967296);
}
