// TensorFlow.js 4.22 peers, one backend per process:
//   layers            tf.sequential + model.trainOnBatch, as users write it (wasm or cpu backend)
//   layers-shim       the same, plus the Conv2DBackpropFilter shim of conv-filter-shim.mjs (wasm, CNN only)
//   core              hand-tuned core API (MLP only): tf.variable weights, optimizer.minimize, custom
//                     gradients that keep every GEMM non-transposed so the wasm backend runs it in
//                     XNNPACK (its BatchMatMul falls back to a naive loop whenever transposeA or
//                     transposeB is set, which is what autodiff of tf.matMul produces)
//   core-autodiff     the same model with plain tf.matMul and autodiff (for contrast)
// Batches are uploaded as tensors once, before timing (ecopt copies its Float32Array batch into wasm
// memory inside every step).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WORKLOADS, mnistBatches } from './data.mjs';

const require = createRequire(import.meta.url);

export async function setup(variant, workload, { backend }) {
  const tf = require('@tensorflow/tfjs');
  let threads = 1;
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const dir = fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));
    wasm.setWasmPaths(dir);
    wasm.setThreadsCount(1); // Node gets the non-threaded SIMD binary anyway (WASM_HAS_MULTITHREAD_SUPPORT is false in Node)
    if (variant === 'layers-shim') (await import('./conv-filter-shim.mjs')).registerConv2DBackpropFilterShim(tf);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    threads = wasm.getThreadsCount();
  } else {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
  }
  await tf.ready();
  const info = {
    tfjs: tf.version.tfjs, backend: tf.getBackend(), threads,
    simd: backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : undefined,
  };
  const { lr, batch: B } = WORKLOADS[workload];
  const raw = await mnistBatches(workload);
  const shape = workload === 'mlp' ? [B, 784] : [B, 28, 28, 1];
  const batches = raw.map((b) => ({
    x: tf.tensor(b.images, shape),
    y: tf.tidy(() => tf.oneHot(tf.tensor1d(b.labels, 'int32'), 10).toFloat()),
  }));

  if (variant === 'layers' || variant === 'layers-shim') {
    const model = tf.sequential({
      layers: workload === 'mlp'
        ? [
          tf.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
          tf.layers.dense({ units: 512, activation: 'relu' }),
          tf.layers.dense({ units: 10, activation: 'softmax' }),
        ]
        : [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, activation: 'softmax' }),
        ],
    });
    model.compile({ optimizer: tf.train.sgd(lr), loss: 'categoricalCrossentropy' });
    return {
      info: { ...info, api: 'tf.sequential + model.trainOnBatch' },
      async step(i) {
        const b = batches[i % batches.length];
        return await model.trainOnBatch(b.x, b.y);
      },
    };
  }

  if (workload !== 'mlp') throw new Error(`variant ${variant} is only implemented for the MLP`);
  // Core API MLP, He-uniform init like the others.
  const dims = [784, 512, 512, 10];
  const vars = [];
  for (let l = 0; l < 3; l++) {
    const lim = Math.sqrt(6 / dims[l]);
    vars.push(tf.variable(tf.randomUniform([dims[l], dims[l + 1]], -lim, lim, 'float32', l + 1), true, `W${l}`));
    vars.push(tf.variable(tf.zeros([dims[l + 1]]), true, `b${l}`));
  }
  const [W0, b0, W1, b1, W2, b2] = vars;
  let forward;
  if (variant === 'core') {
    // y = act(x·W + b) in one fused XNNPACK call; gradients with explicit transposes so that every
    // matMul is (false, false) and hits XNNPACK. The first layer does not compute dx.
    let curX = null;
    const grads = (x, W, y, dy, relu, needDx) => {
      const dz = relu ? tf.mul(dy, tf.step(y)) : dy;
      const dW = tf.matMul(tf.transpose(x), dz);
      const db = tf.sum(dz, 0);
      return needDx ? [tf.matMul(dz, tf.transpose(W)), dW, db] : [dW, db];
    };
    const first = tf.customGrad((W, b, save) => {
      const y = tf.fused.matMul({ a: curX, b: W, bias: b, activation: 'relu' });
      save([W, y]);
      return { value: y, gradFunc: (dy, [W, y]) => grads(curX, W, y, dy, true, false) };
    });
    const mk = (relu) => tf.customGrad((x, W, b, save) => {
      const y = tf.fused.matMul({ a: x, b: W, bias: b, activation: relu ? 'relu' : 'linear' });
      save([x, W, y]);
      return { value: y, gradFunc: (dy, [x, W, y]) => grads(x, W, y, dy, relu, true) };
    });
    const hidden = mk(true), last = mk(false);
    forward = (x) => { curX = x; return last(hidden(first(W0, b0), W1, b1), W2, b2); };
  } else if (variant === 'core-autodiff') {
    forward = (x) => {
      const h1 = tf.relu(tf.add(tf.matMul(x, W0), b0));
      const h2 = tf.relu(tf.add(tf.matMul(h1, W1), b1));
      return tf.add(tf.matMul(h2, W2), b2);
    };
  } else {
    throw new Error(`unknown tfjs variant ${variant}`);
  }
  const opt = tf.train.sgd(lr);
  return {
    info: { ...info, api: variant === 'core' ? 'core API, custom gradients routed to XNNPACK, optimizer.minimize' : 'core API, autodiff, optimizer.minimize' },
    step(i) {
      const b = batches[i % batches.length];
      const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(b.y, forward(b.x)), true, vars);
      const loss = cost.dataSync()[0];
      cost.dispose();
      return loss;
    },
  };
}
