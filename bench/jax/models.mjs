// The two models of jax-js's MNIST demo (website/src/routes/mnist/+page.svelte in the jax-js
// repository), in jax-js and in ecopt, and one trainer interface over both, so that the Node runner
// (bench/jax/run.mjs) and the Chromium page (bench/jax/page.mjs) run the same code.
//
//   MLP      784-256-128-10, ReLU, log-softmax + NLL, batch 1000
//   ConvNet  conv5x5 1->24 valid, maxpool 2, ReLU, conv3x3 24->32 valid, maxpool 2, ReLU,
//            dense 800->128, ReLU, dense 128->10, log-softmax + NLL, batch 250
//   Adam lr 0.005 (b1 0.9, b2 0.999, eps 1e-8) for both libraries.
//
// Both libraries start from the same weights: jax-js's demo initialiser (uniform +-1/sqrt(fan_in) for
// weights and biases, random.key(0)) is run once, and the arrays are copied into every jax-js variant
// and, transposed to PyTorch layout where needed, into the ecopt model (setWeights).
import { adam } from './adam.mjs';

export const MODELS = {
  mlp: { name: 'MLP 784-256-128-10', batch: 1000 },
  cnn: { name: 'ConvNet conv5x5x24-pool-conv3x3x32-pool-dense128-dense10', batch: 250 },
};
export const LR = 0.005;

/** The demo's models for a given `@jax-js/jax` module: { init(key), predict } per model, as in the demo. */
export function jaxModels(jax) {
  const { jit, lax, nn, numpy: np, random } = jax;
  const U = (key, shape, fanIn) => random.uniform(key, shape, { minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });
  const maxPool2x2 = (x) => lax.reduceWindow(x, np.max, [2, 2], [2, 2]);
  return {
    mlp: {
      init(key) {
        const [k11, k12, k21, k22, k31, k32] = random.split(key, 6);
        return {
          w1: U(k11, [784, 256], 784), b1: U(k12, [256], 784),
          w2: U(k21, [256, 128], 256), b2: U(k22, [128], 256),
          w3: U(k31, [128, 10], 128), b3: U(k32, [10], 128),
        };
      },
      predict: jit((params, x) => {
        x = x.reshape([-1, 784]);
        const z1 = np.dot(x, params.w1).add(params.b1);
        const a1 = nn.relu(z1);
        const z2 = np.dot(a1, params.w2).add(params.b2);
        const a2 = nn.relu(z2);
        const z3 = np.dot(a2, params.w3).add(params.b3);
        return nn.logSoftmax(z3);
      }),
    },
    cnn: {
      init(key) {
        const [k11, k12, k21, k22, k31, k32, k41, k42] = random.split(key, 8);
        return {
          w1: U(k11, [24, 1, 5, 5], 25), b1: U(k12, [24, 1, 1], 25),
          w2: U(k21, [32, 24, 3, 3], 216), b2: U(k22, [32, 1, 1], 216),
          w3: U(k31, [800, 128], 800), b3: U(k32, [128], 800),
          w4: U(k41, [128, 10], 128), b4: U(k42, [10], 128),
        };
      },
      predict: jit((params, x) => {
        x = x.reshape([-1, 1, 28, 28]);
        const z1 = maxPool2x2(lax.convGeneralDilated(x, params.w1, [1, 1], 'VALID').add(params.b1));
        const a1 = nn.relu(z1);
        const z2 = maxPool2x2(lax.convGeneralDilated(a1, params.w2, [1, 1], 'VALID').add(params.b2));
        const a2 = nn.relu(z2);
        const a2flat = a2.reshape([-1, 800]);
        const z3 = np.dot(a2flat, params.w3).add(params.b3);
        const a3 = nn.relu(z3);
        const z4 = np.dot(a3, params.w4).add(params.b4);
        return nn.logSoftmax(z4);
      }),
    },
  };
}

/** The demo's initial weights as host arrays: { name: { shape, data: Float32Array } }. */
export async function initialWeights(jax, which) {
  const params = jaxModels(jax)[which].init(jax.random.key(0));
  const out = {};
  for (const [k, v] of Object.entries(params)) out[k] = { shape: v.shape, data: new Float32Array(await v.data()) };
  return out;
}

function jaxParams(jax, w) {
  const out = {};
  for (const [k, v] of Object.entries(w)) out[k] = jax.numpy.array(new Float32Array(v.data)).reshape(v.shape);
  return out;
}

function argmaxRows(logits, rows) {
  const pred = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[r * 10 + c] > logits[r * 10 + best]) best = c;
    pred[r] = best;
  }
  return pred;
}

/**
 * A jax-js trainer. variant 'demo': the step exactly as the demo writes it (predict under jit,
 * valueAndGrad, the optax Adam update and applyUpdates eager, then blockUntilReady); 'jit': the whole
 * step (loss, gradients, Adam, apply) under one `jit`. `prepare()` runs the first step (and for 'jit'
 * the trace and compile) and reports its time apart. step(x, y) takes host batches.
 */
export function jaxTrainer(jax, which, variant, w0) {
  const { numpy: np, nn, tree, valueAndGrad, jit, blockUntilReady } = jax;
  const model = jaxModels(jax)[which];
  const loss = (params, x, y) => {
    const batchSize = y.shape[0];
    const logits = model.predict(params, x);
    return logits.mul(nn.oneHot(y, 10)).sum().mul(-1 / batchSize);
  };
  const solver = adam(jax, LR);
  let params = jaxParams(jax, w0);
  let optState = solver.init(tree.ref(params));
  const shape = which === 'mlp' ? [-1, 28, 28] : [-1, 28, 28];
  const jitted = jit((params, optState, X, y) => {
    const [lossVal, grads] = valueAndGrad(loss)(tree.ref(params), X, y);
    const [updates, newState] = solver.update(grads, optState);
    return [solver.applyUpdates(params, updates), newState, lossVal];
  });
  let lastLoss = NaN;
  const step = async (x, y) => {
    const X = np.array(x).reshape(shape);
    const Y = np.array(Int32Array.from(y), { dtype: np.int32 });
    let lossVal;
    if (variant === 'demo') {
      let grads, updates;
      [lossVal, grads] = valueAndGrad(loss)(tree.ref(params), X, Y);
      [updates, optState] = solver.update(grads, optState);
      params = solver.applyUpdates(params, updates);
    } else {
      [params, optState, lossVal] = jitted(params, optState, X, Y);
    }
    await blockUntilReady(params);
    lastLoss = await lossVal.jsAsync();
    return lastLoss;
  };
  return {
    label: variant === 'demo' ? 'jax-js demo' : 'jax-js jit',
    step,
    async evaluate(images, labels, batch) {
      let correct = 0;
      const n = labels.length;
      for (let i = 0; i < n; i += batch) {
        const m = Math.min(batch, n - i);
        const logits = model.predict(tree.ref(params), np.array(images.subarray(i * 784, (i + m) * 784)).reshape([-1, 28, 28]));
        const pred = argmaxRows(await logits.data(), m);
        for (let r = 0; r < m; r++) if (pred[r] === labels[i + r]) correct++;
      }
      return correct / n;
    },
    get loss() { return lastLoss; },
  };
}

/** The same model in ecopt's public API (Sequential, Adam lr 0.005), starting from the demo's weights. */
export function ecoptTrainer(ecopt, which, w0) {
  const { Sequential, Dense, Conv2D, MaxPool2D, ReLU, Flatten, Adam } = ecopt;
  const model = which === 'mlp'
    ? new Sequential([new Dense(784, 256), new ReLU(), new Dense(256, 128), new ReLU(), new Dense(128, 10)], { seed: 0 })
    : new Sequential([
      new Conv2D(1, 24, 5), new MaxPool2D(2), new ReLU(),
      new Conv2D(24, 32, 3), new MaxPool2D(2), new ReLU(),
      new Flatten(), new Dense(800, 128), new ReLU(), new Dense(128, 10),
    ], { inputShape: [1, 28, 28], seed: 0 });
  // jax-js's dense weights are (in, out); ecopt's (out, in) as PyTorch; conv weights and biases match.
  const T = ({ shape: [r, c], data }) => { const o = new Float32Array(r * c); for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) o[j * r + i] = data[i * c + j]; return o; };
  const ws = which === 'mlp'
    ? [T(w0.w1), w0.b1.data, T(w0.w2), w0.b2.data, T(w0.w3), w0.b3.data]
    : [w0.w1.data, w0.b1.data, w0.w2.data, w0.b2.data, T(w0.w3), w0.b3.data, T(w0.w4), w0.b4.data];
  model.setWeights(ws.map((a) => new Float32Array(a)));
  const opt = new Adam(model, { lr: LR });
  let lastLoss = NaN;
  return {
    label: 'ecopt',
    async step(x, y) { lastLoss = model.trainBatch(x, y, opt); return lastLoss; },
    async evaluate(images, labels, batch) {
      let correct = 0;
      const n = labels.length;
      for (let i = 0; i < n; i += batch) {
        const m = Math.min(batch, n - i);
        const pred = argmaxRows(model.predict(images.subarray(i * 784, (i + m) * 784), m), m);
        for (let r = 0; r < m; r++) if (pred[r] === labels[i + r]) correct++;
      }
      return correct / n;
    },
    get loss() { return lastLoss; },
    dispose() { model.dispose(); },
  };
}

/** Seeded batch order over the training set (a new permutation every epoch), shared by every trainer. */
export function batchStream(train, batch) {
  const n = train.labels.length;
  const perEpoch = Math.floor(n / batch);
  const x = new Float32Array(batch * 784);
  const y = new Uint8Array(batch);
  const perms = [];
  const perm = (e) => {
    while (perms.length <= e) {
      let s = (0x9e3779b9 ^ perms.length) >>> 0;
      const p = new Int32Array(n).map((_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const j = Math.floor((s / 4294967296) * (i + 1));
        const t = p[i]; p[i] = p[j]; p[j] = t;
      }
      perms.push(p);
    }
    return perms[e];
  };
  /** Fills and returns the host batch of global step `k` (the same for every trainer). */
  return (k) => {
    const p = perm(Math.floor(k / perEpoch));
    const off = (k % perEpoch) * batch;
    for (let i = 0; i < batch; i++) {
      const idx = p[off + i];
      x.set(train.images.subarray(idx * 784, (idx + 1) * 784), i * 784);
      y[i] = train.labels[idx];
    }
    return { x, y };
  };
}
