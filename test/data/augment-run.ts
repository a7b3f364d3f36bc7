// The fixed training run with augmentation, normalization and a byte dataset whose weight hash must
// be identical in Node and Chromium: a small CNN, from seed 3, on bytes made with integer arithmetic.
import { Sequential, Conv2D, ReLU, MaxPool2D, Flatten, Dense, Momentum, type Dataset } from '../../src/index.js';
import { rng, hashArrays } from '../helpers.js';

export async function augmentRun(): Promise<{ hash: string; losses: number[]; valLoss: number[] }> {
  const r = rng(77);
  const n = 48;
  const images = Uint8Array.from({ length: n * 3 * 12 * 12 }, () => Math.floor(r.next() * 256));
  const labels = Uint8Array.from({ length: n }, (_, i) => (images[i * 432] + i) % 10);
  const ds: Dataset<Uint8Array> = { images, labels, count: n, shape: [3, 12, 12], classes: 10 };
  const m = new Sequential([
    new Conv2D(3, 6, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Conv2D(6, 8, 3, { padding: 1 }), new ReLU(),
    new Flatten(), new Dense(8 * 36, 10),
  ], { seed: 3, inputShape: [3, 12, 12] });
  const losses: number[] = [];
  const res = await m.fit(ds, {
    optimizer: new Momentum(m, { lr: 0.02 }), epochs: 3, batchSize: 10, seed: 9, validation: ds,
    augment: { padding: 3, flip: true }, normalize: { mean: [0.5, 0.45, 0.4], std: [0.29, 0.27, 0.31] },
    onBatchEnd: (e) => { losses.push(e.loss); },
  });
  const out = { hash: hashArrays(m.getWeights()), losses, valLoss: res.history.map((h) => h.valLoss!) };
  m.dispose();
  return out;
}
