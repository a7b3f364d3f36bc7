// The short ResNet-8 run on real Fashion-MNIST that Node and Chromium both train: the Node test
// (resnet-fashion.node.test.ts) loads the images from the fashion-mnist package (Node only), runs it
// and writes the images as bytes with its result to test/.artifacts/fashion-short.json; the Chromium
// test (resnet-fashion.browser.test.ts) trains on those same bytes and must reach the same weights,
// bit for bit, and the same accuracy.
import { resnet, Momentum, type Dataset } from '../../src/index.js';
import { hashArrays } from '../helpers.js';

export const SHORT = { train: 2000, test: 500, epochs: 2, batchSize: 32, lr: 0.05, seed: 1 };

/** ResNet-8 (widths 8/16/32) for SHORT.epochs on byte images; its test accuracy and final weights' hash. */
export async function shortRun(train: Dataset<Uint8Array>, test: Dataset<Uint8Array>): Promise<{ accuracy: number; hash: string }> {
  const m = resnet({ depth: 8, widths: [8, 16, 32], inputShape: [1, 28, 28], classes: 10, seed: SHORT.seed });
  try {
    await m.fit(train, { optimizer: new Momentum(m, { lr: SHORT.lr }), epochs: SHORT.epochs, batchSize: SHORT.batchSize, seed: SHORT.seed });
    return { accuracy: m.evaluate(test).accuracy, hash: hashArrays(m.getWeights()) };
  } finally {
    m.dispose();
  }
}
