// TensorFlow.js 4.22 with the wasm backend in the residual-network benchmark: the nets of nets.mjs in
// tf.layers, compiled with SGD and categoricalCrossentropy, model.trainOnBatch on tensors uploaded
// once before timing (as bench/peers does). tfjs-backend-wasm has no Conv2DBackpropFilter kernel,
// so the filter gradient is the SHIM of bench/peers/conv-filter-shim.mjs (XNNPACK convolutions from
// the backend's own kernels; strides 1 and 2). In Node the backend loads its non-threaded SIMD
// binary whatever setThreadsCount says: one thread.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildTfjs, tfjsTrainableCount, batches, INPUT, CLASSES } from './nets.mjs';
import { registerConv2DBackpropFilterShim } from '../peers/conv-filter-shim.mjs';

const require = createRequire(import.meta.url);

export async function setup({ net, batch, lr }) {
  const tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)));
  wasm.setThreadsCount(1);
  registerConv2DBackpropFilterShim(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  const model = buildTfjs(tf, net);
  model.compile({ optimizer: tf.train.sgd(lr), loss: 'categoricalCrossentropy' });
  const [C, H, W] = INPUT;
  const data = batches(batch).map((b) => ({
    x: tf.tensor(b.nhwc, [batch, H, W, C]),
    y: tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(b.labels), 'int32'), CLASSES).toFloat()),
  }));
  return {
    info: {
      tfjs: tf.version.tfjs, backend: tf.getBackend(), threads: wasm.getThreadsCount(),
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      parameters: tfjsTrainableCount(model), allWeights: model.countParams(),
      api: 'tf.model (functional tf.layers) + model.trainOnBatch, SGD, categoricalCrossentropy; Conv2DBackpropFilter SHIM',
    },
    async step(i) {
      const b = data[i % data.length];
      return await model.trainOnBatch(b.x, b.y);
    },
  };
}
