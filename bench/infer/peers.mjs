// The inference peers of bench/infer/run.mjs. Each setup(net, ecoptModel, E) returns
// { label, info, predict(x, B) -> Promise<Float32Array> } where x is the batch as ecopt takes it
// (Float32Array, NCHW / flat) and the result is the logits [B, 10]. What a call includes is what an
// app pays per call: for ecopt predict() (copies x into wasm memory, runs, copies the logits out);
// for tfjs tf.tensor(x) + model.predict + dataSync() + dispose; for jax-js np.array(x) + the jitted
// forward + await data(); for onnxruntime-web new ort.Tensor(x) + await session.run() (reads the
// output's data). Only the tfjs peer needs another layout (NHWC): its inputs are transposed once,
// before timing (preparedInput), as an app would keep its data in the layout its library wants.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('../../', import.meta.url));

/** ecopt's weights and buffers by name. */
function named(m) {
  const o = {};
  m.weightSpecs().forEach((s, i) => { o[s.name] = { shape: s.shape, data: m.getWeights()[i] }; });
  m.bufferSpecs().forEach((s, i) => { o[s.name] = { shape: s.shape, data: m.getBuffers()[i] }; });
  return o;
}

// ---- ecopt ----
export function ecopt(net, model, E, { fold = false } = {}) {
  const m = fold ? E.foldBatchNorm(model) : model;
  return {
    label: fold ? 'ecopt (BN folded)' : 'ecopt',
    info: { api: fold ? 'foldBatchNorm(model).predict(x, B)' : 'model.predict(x, B)' },
    predict: async (x, B) => m.predict(x, B),
  };
}

// ---- onnxruntime-web, wasm backend ----
export async function ort(net, threads) {
  const hadWorker = 'Worker' in globalThis;
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads; // global: set before the first session (one value per process)
  const session = await ort.InferenceSession.create(`${root}bench/infer/onnx/${net}.onnx`, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  // onnxruntime-web defines a global Worker in Node (on worker_threads). jax-js and tfjs-wasm take a
  // global Worker for a browser with threads and then build shared-memory kernels their non-shared
  // memory cannot link: at one thread (where they run) the global goes again once the session exists.
  if (!hadWorker && threads === 1) delete globalThis.Worker;
  const shape = net === 'mlp' ? [784] : net === 'cnn' ? [1, 28, 28] : [3, 32, 32];
  return {
    label: `onnxruntime-web ${threads}T`,
    info: { ort: ort.env.versions, numThreads: ort.env.wasm.numThreads, simd: ort.env.wasm.simd ?? 'default', graphOptimizationLevel: 'all' },
    async predict(x, B) {
      const r = await session.run({ x: new ort.Tensor('float32', x, [B, ...shape]) });
      return r.logits.data;
    },
  };
}

// ---- TensorFlow.js wasm backend, tf.layers ----
let tfLoaded = null;
async function tfjs() {
  if (tfLoaded) return tfLoaded;
  const tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${root}node_modules/@tensorflow/tfjs-backend-wasm/dist/`);
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  tfLoaded = tf;
  return tf;
}

const convW = ({ shape: [o, i, kh, kw], data }) => { // torch OIHW -> tf HWIO
  const out = new Float32Array(data.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) out[((h * kw + w) * i + b) * o + a] = data[((a * i + b) * kh + h) * kw + w];
  return out;
};
const denseW = ({ shape: [o, i], data }) => { const out = new Float32Array(data.length); for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = data[a * i + b]; return out; };

export function toNHWC(x, B, [C, H, W]) {
  const out = new Float32Array(x.length);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[((b * H + h) * W + w) * C + c] = x[((b * C + c) * H + h) * W + w];
  return out;
}

export async function tfjsLayers(net, model) {
  const tf = await tfjs();
  const P = named(model);
  const L = tf.layers;
  let m, inShape;
  if (net === 'mlp') {
    inShape = [784];
    m = tf.sequential({ layers: [L.dense({ inputShape: [784], units: 512, activation: 'relu' }), L.dense({ units: 512, activation: 'relu' }), L.dense({ units: 10 })] });
    m.setWeights([0, 2, 4].flatMap((k) => [tf.tensor(denseW(P[`${k}.weight`]), [P[`${k}.weight`].shape[1], P[`${k}.weight`].shape[0]]), tf.tensor(P[`${k}.bias`].data)]));
  } else if (net === 'cnn') {
    inShape = [28, 28, 1];
    m = tf.sequential({ layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2, strides: 2 }),
      L.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2, strides: 2 }),
      L.flatten(), L.dense({ units: 10 })] });
    // ecopt flattens (C, H, W), tf (H, W, C): permute the dense weight's input rows
    const d = P['7.weight'], perm = new Float32Array(d.data.length);
    for (let o = 0; o < 10; o++) for (let c = 0; c < 64; c++) for (let p = 0; p < 49; p++) perm[(p * 64 + c) * 10 + o] = d.data[o * 3136 + c * 49 + p];
    m.setWeights([tf.tensor(convW(P['0.weight']), [5, 5, 1, 32]), tf.tensor(P['0.bias'].data), tf.tensor(convW(P['3.weight']), [5, 5, 32, 64]), tf.tensor(P['3.bias'].data),
      tf.tensor(perm, [3136, 10]), tf.tensor(P['7.bias'].data)]);
  } else {
    inShape = [32, 32, 3];
    const weights = [];
    const conv = (x, name, filters, k, stride) => {
      const w = P[`${name}.weight`];
      if (k === 3 && stride === 2) x = L.zeroPadding2d({ padding: 1 }).apply(x); // torch pads 1 on every side; tf 'same' at stride 2 pads 0/1
      const layer = L.conv2d({ filters, kernelSize: k, strides: stride, padding: k === 3 && stride === 1 ? 'same' : 'valid', useBias: false });
      weights.push([layer, [tf.tensor(convW(w), [k, k, w.shape[1], filters])]]);
      return layer.apply(x);
    };
    const bn = (x, name) => {
      const layer = L.batchNormalization({ axis: -1, epsilon: 1e-5 });
      weights.push([layer, ['weight', 'bias', 'running_mean', 'running_var'].map((s) => tf.tensor(P[`${name}.${s}`].data))]);
      return layer.apply(x);
    };
    const input = tf.input({ shape: inShape });
    let x = L.reLU().apply(bn(conv(input, 'conv1', 16, 3, 1), 'bn1'));
    let cin = 16;
    [16, 32, 64].forEach((width, s) => {
      for (let b = 0; b < 3; b++) {
        const stride = s > 0 && b === 0 ? 2 : 1, name = `layer${s + 1}.${b}`;
        let h = L.reLU().apply(bn(conv(x, `${name}.conv1`, width, 3, stride), `${name}.bn1`));
        h = bn(conv(h, `${name}.conv2`, width, 3, 1), `${name}.bn2`);
        const sc = stride !== 1 || cin !== width ? bn(conv(x, `${name}.downsample.0`, width, 1, stride), `${name}.downsample.1`) : x;
        x = L.reLU().apply(L.add().apply([h, sc]));
        cin = width;
      }
    });
    x = L.globalAveragePooling2d({}).apply(x);
    const fc = L.dense({ units: 10 });
    weights.push([fc, [tf.tensor(denseW(P['fc.weight']), [64, 10]), tf.tensor(P['fc.bias'].data)]]);
    m = tf.model({ inputs: input, outputs: fc.apply(x) });
    for (const [layer, ws] of weights) layer.setWeights(ws);
  }
  const nchw = net === 'mlp' ? null : net === 'cnn' ? [1, 28, 28] : [3, 32, 32];
  return {
    label: 'tfjs-wasm layers',
    info: { tfjs: tf.version.tfjs, backend: tf.getBackend(), threads: 1, api: 'tf.layers model.predict, NHWC inputs' },
    preparedInput: (x, B) => (nchw ? toNHWC(x, B, nchw) : x),
    async predict(x, B) {
      const t = tf.tensor(x, [B, ...inShape]);
      const y = m.predict(t);
      const out = y.dataSync();
      t.dispose(); y.dispose();
      return out;
    },
  };
}

// ---- jax-js, wasm backend, the forward under jit ----
let jaxLoaded = null;
export async function jaxjs(net, model) {
  if (!jaxLoaded) {
    jaxLoaded = await import('@jax-js/jax');
    await jaxLoaded.init('wasm');
    jaxLoaded.defaultDevice('wasm');
  }
  const jax = jaxLoaded;
  const { jit, lax, nn, numpy: np, tree } = jax;
  const P = named(model);
  const arr = (t) => np.array(new Float32Array(t.data)).reshape(t.shape);
  const params = {};
  for (const [k, v] of Object.entries(P)) {
    if (/\.weight$/.test(k) && v.shape.length === 2) params[k] = arr({ shape: [v.shape[1], v.shape[0]], data: denseW(v) }); // (in, out)
    else if (v.shape.length === 1 && net === 'resnet20' && k !== 'fc.bias') params[k] = arr({ shape: [v.shape[0], 1, 1], data: v.data }); // per channel, NCHW
    else params[k] = arr(v);
  }
  const maxPool2x2 = (x) => lax.reduceWindow(x, np.max, [2, 2], [2, 2]);
  let forward, inShape;
  if (net === 'mlp') {
    inShape = [784];
    forward = jit((p, x) => {
      const h1 = nn.relu(np.dot(x, p['0.weight']).add(p['0.bias']));
      const h2 = nn.relu(np.dot(h1, p['2.weight']).add(p['2.bias']));
      return np.dot(h2, p['4.weight']).add(p['4.bias']);
    });
  } else if (net === 'cnn') {
    inShape = [1, 28, 28];
    for (const k of ['0.bias', '3.bias']) params[k] = params[k].reshape([-1, 1, 1]);
    forward = jit((p, x) => {
      const a1 = maxPool2x2(nn.relu(lax.convGeneralDilated(x, p['0.weight'], [1, 1], 'SAME').add(p['0.bias'])));
      const a2 = maxPool2x2(nn.relu(lax.convGeneralDilated(a1, p['3.weight'], [1, 1], 'SAME').add(p['3.bias'])));
      return np.dot(a2.reshape([-1, 3136]), p['7.weight']).add(p['7.bias']);
    });
  } else {
    inShape = [3, 32, 32];
    // BatchNorm in evaluation mode as its formula: (x - mean) / sqrt(var + eps) * gamma + beta
    const bn = (p, x, n) => x.sub(p[`${n}.running_mean`]).div(np.sqrt(p[`${n}.running_var`].add(1e-5))).mul(p[`${n}.weight`]).add(p[`${n}.bias`]);
    const conv = (p, x, n, stride, pad) => lax.convGeneralDilated(x, p[`${n}.weight`], [stride, stride], [[pad, pad], [pad, pad]]);
    forward = jit((p, x) => {
      let h = nn.relu(bn(p, conv(p, x, 'conv1', 1, 1), 'bn1'));
      let cin = 16;
      [16, 32, 64].forEach((width, s) => {
        for (let b = 0; b < 3; b++) {
          const stride = s > 0 && b === 0 ? 2 : 1, n = `layer${s + 1}.${b}`;
          let y = nn.relu(bn(p, conv(p, h.ref, `${n}.conv1`, stride, 1), `${n}.bn1`));
          y = bn(p, conv(p, y, `${n}.conv2`, 1, 1), `${n}.bn2`);
          const sc = stride !== 1 || cin !== width ? bn(p, conv(p, h, `${n}.downsample.0`, stride, 0), `${n}.downsample.1`) : h;
          h = nn.relu(y.add(sc));
          cin = width;
        }
      });
      return np.dot(np.mean(h, [2, 3]), p['fc.weight']).add(p['fc.bias']);
    });
  }
  return {
    label: 'jax-js jit',
    info: { jax: 'wasm backend, forward under jit, 1 thread (no worker pool in Node)' },
    async predict(x, B) {
      const y = forward(tree.ref(params), np.array(x).reshape([B, ...inShape]));
      return new Float32Array(await y.data());
    },
  };
}
