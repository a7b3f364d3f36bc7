// The workloads of bench/threads.mjs: each model's builder, optimizer, batch and step counts, its
// deterministic batches, one block of training steps at a fixed thread count (init, build, warm
// up, SHA-256 of the weights, timed steps, dispose, shutdown), one block of batch-1 predictions,
// and the statistics (median, quartiles).
import { createHash } from 'node:crypto';

/**
 * key -> { name, batch, shape (one sample), make(lib), opt(lib, model), timed (steps per block), warm (steps) }.
 * The CNN is bench/steps.mjs's; 'jax-mlp' is jax-js's demo MLP (bench/jax/models.mjs: Adam lr 0.005).
 */
export const MODELS = {
  mlp: {
    name: 'MLP 784-512-512-10, SGD', batch: 128, shape: [784], timed: 20, warm: 5,
    make: (e) => new e.Sequential([new e.Dense(784, 512), new e.ReLU(), new e.Dense(512, 512), new e.ReLU(), new e.Dense(512, 10)], { seed: 0 }),
    opt: (e, m) => new e.SGD(m, { lr: 0.01 }),
  },
  'mlp-ecsgd': {
    name: 'MLP 784-512-512-10, EC-SGD', batch: 128, shape: [784], timed: 20, warm: 5,
    make: (e) => new e.Sequential([new e.Dense(784, 512), new e.ReLU(), new e.Dense(512, 512), new e.ReLU(), new e.Dense(512, 10)], { seed: 0 }),
    opt: (e, m) => new e.ECSGD(m, { lr: 0.01 }),
  },
  cnn: {
    name: 'CNN conv5x5x32-pool-conv5x5x64-pool-dense10, SGD', batch: 64, shape: [1, 28, 28], timed: 5, warm: 3,
    make: (e) => new e.Sequential([new e.Conv2D(1, 32, 5, { padding: 'same' }), new e.ReLU(), new e.MaxPool2D(2),
      new e.Conv2D(32, 64, 5, { padding: 'same' }), new e.ReLU(), new e.MaxPool2D(2), new e.Flatten(), new e.Dense(3136, 10)],
    { seed: 0, inputShape: [1, 28, 28] }),
    opt: (e, m) => new e.SGD(m, { lr: 0.01 }),
  },
  resnet20: {
    name: 'ResNet-20 (zoo, BatchNorm), SGD', batch: 128, shape: [3, 32, 32], timed: 3, warm: 2,
    make: (e) => e.resnet({ depth: 20, inputShape: [3, 32, 32], classes: 10, seed: 0 }),
    opt: (e, m) => new e.SGD(m, { lr: 0.01 }),
  },
  'jax-mlp': {
    name: 'jax-js demo MLP 784-256-128-10, Adam', batch: 1000, shape: [784], timed: 8, warm: 3,
    make: (e) => new e.Sequential([new e.Dense(784, 256), new e.ReLU(), new e.Dense(256, 128), new e.ReLU(), new e.Dense(128, 10)], { seed: 0 }),
    opt: (e, m) => new e.Adam(m, { lr: 0.005 }),
  },
};

/** `count` batches of uniform [0, 1) inputs and labels i % 10 for model `key` (an LCG: the same in every run). */
export function batches(key, count = 4) {
  const { batch: B, shape } = MODELS[key];
  const n = B * shape.reduce((a, b) => a * b, 1);
  let s = 12345;
  const out = [];
  for (let c = 0; c < count; c++) {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; x[i] = s / 4294967296; }
    out.push({ x, y: new Uint8Array(B).map((_, i) => (i + 3 * c) % 10) });
  }
  return out;
}

/** SHA-256 (hex) of every weight array's bytes, in getWeights() order. */
export function weightsHash(model) {
  const h = createHash('sha256');
  for (const a of model.getWeights()) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/**
 * One block on `lib` (an imported ecopt build) at `threads`: init, build, `warm` steps (then the
 * weights' hash: every block of a model takes the same steps, so the hashes must agree for any
 * thread count), then `timed` steps each timed alone. `hooks.before/after(rt)` wrap the timed steps
 * (phase timers). Returns { ms: median step ms, steps: every step's ms, hash, build }.
 */
export async function runBlock(lib, key, threads, data, hooks = {}) {
  const spec = MODELS[key];
  const rt = await lib.init({ threads });
  if (rt.threads !== threads) throw new Error(`asked for ${threads} threads, got ${rt.threads}${rt.note ? ` (${rt.note})` : ''}`);
  try {
    hooks.setup?.(rt);
    const m = spec.make(lib);
    const o = spec.opt(lib, m);
    let i = 0;
    const step = () => { const { x, y } = data[i++ % data.length]; m.trainBatch(x, y, o); };
    for (let w = 0; w < spec.warm; w++) step();
    const hash = weightsHash(m);
    // more untimed steps until >= 300 ms have passed since the block began warming (tier-up of a fresh module)
    const t00 = performance.now();
    while (performance.now() - t00 < 300) step();
    hooks.before?.(rt);
    const steps = [];
    for (let t = 0; t < spec.timed; t++) {
      const t0 = performance.now();
      step();
      steps.push(performance.now() - t0);
    }
    hooks.after?.(rt, spec.timed);
    o.dispose();
    m.dispose();
    return { ms: median(steps), steps, hash, build: rt.build };
  } finally {
    await lib.shutdown();
  }
}

/**
 * One block of batch-1 predictions on `lib` at `threads`: init, build, >= 200 ms of warm-up calls,
 * then `calls` calls each timed alone; returns the median ms per call and the outputs' SHA-256.
 */
export async function runPredictBlock(lib, key, threads, x, calls = 200) {
  const spec = MODELS[key];
  const rt = await lib.init({ threads });
  if (rt.threads !== threads) throw new Error(`asked for ${threads} threads, got ${rt.threads}`);
  try {
    const m = spec.make(lib);
    const t00 = performance.now();
    let out;
    while (performance.now() - t00 < 200) out = m.predict(x, 1);
    const ms = [];
    for (let i = 0; i < calls; i++) { const t0 = performance.now(); out = m.predict(x, 1); ms.push(performance.now() - t0); }
    m.dispose();
    return { ms: median(ms), hash: createHash('sha256').update(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)).digest('hex') };
  } finally {
    await lib.shutdown();
  }
}

/** The median of a list of numbers. */
export function median(a) { return quantile(a, 0.5); }

/** Quantile q of a list (linear interpolation between order statistics). */
export function quantile(a, q) {
  const s = [...a].sort((p, r) => p - r);
  if (s.length === 0) return NaN;
  const x = (s.length - 1) * q, lo = Math.floor(x), hi = Math.ceil(x);
  return s[lo] + (s[hi] - s[lo]) * (x - lo);
}

/** "1.83x [1.71-1.90]": median and quartiles of ratios. */
export function fmtRatios(r) {
  return `${median(r).toFixed(2)}x [${quantile(r, 0.25).toFixed(2)}-${quantile(r, 0.75).toFixed(2)}]`;
}
