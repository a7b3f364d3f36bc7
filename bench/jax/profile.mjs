// Where ecopt's time goes on jax-js's demo models: per-layer forward / backward time and the
// optimizer update inside real training steps (prototype methods wrapped with timers; what is left
// of a step is input copy, loss, the non-finite guard and dispatch), and the raw GEMM throughput at
// the dense shapes of the MLP at batch 1000 and of the ConvNet's dense layers at batch 250.
//   node bench/jax/profile.mjs [threads=1] [mlp|cnn|all] [steps=20]
import * as ecopt from '../../dist/index.js';
import { MODELS, batchStream, ecoptTrainer } from './models.mjs';

const T = Number(process.argv[2] ?? 1);
const which = process.argv[3] ?? 'all';
const STEPS = Number(process.argv[4] ?? 20);
const rt = await ecopt.init({ threads: T });
const { train } = await ecopt.loadMNIST({ testLimit: 1 });

// timers around the JS methods that call the kernels
const times = new Map();
const wrap = (cls, method, tag) => {
  const f = cls.prototype[method];
  cls.prototype[method] = function (...a) {
    const t0 = performance.now();
    try { return f.apply(this, a); } finally {
      const key = `${tag(this)} ${method}`;
      times.set(key, (times.get(key) ?? 0) + performance.now() - t0);
    }
  };
};
const desc = (l) => l.describe?.() ?? l.constructor.name;
for (const cls of [ecopt.Dense, ecopt.Conv2D, ecopt.MaxPool2D, ecopt.ReLU, ecopt.Flatten]) {
  wrap(cls, 'forward', desc);
  wrap(cls, 'backward', desc);
}
wrap(ecopt.Adam, 'update', () => 'Adam');

// a zero initial-weights set of the demo's shapes is enough for timing; use the real initialiser's shapes
function fakeWeights(w) { const o = {}; for (const [k, s] of Object.entries(w)) o[k] = { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i) * 0.05) }; return o; }
const SHAPES = {
  mlp: { w1: [784, 256], b1: [256], w2: [256, 128], b2: [128], w3: [128, 10], b3: [10] },
  cnn: { w1: [24, 1, 5, 5], b1: [24, 1, 1], w2: [32, 24, 3, 3], b2: [32, 1, 1], w3: [800, 128], b3: [128], w4: [128, 10], b4: [10] },
};

for (const m of which === 'all' ? ['mlp', 'cnn'] : [which]) {
  const B = MODELS[m].batch;
  const t = ecoptTrainer(ecopt, m, fakeWeights(SHAPES[m]));
  const next = batchStream(train, B);
  for (let i = 0; i < 3; i++) { const { x, y } = next(i); await t.step(x, y); }
  times.clear();
  let total = 0;
  for (let i = 0; i < STEPS; i++) { const { x, y } = next(3 + i); const t0 = performance.now(); await t.step(x, y); total += performance.now() - t0; }
  let accounted = 0;
  console.log(`\n${MODELS[m].name}, batch ${B}, ${rt.threads} thread(s): ${(total / STEPS).toFixed(2)} ms/step (${((STEPS * B * 1000) / total).toFixed(0)} samples/s), mean of ${STEPS} steps`);
  for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) {
    accounted += v;
    console.log(`  ${k.padEnd(40)} ${(v / STEPS).toFixed(2).padStart(7)} ms  ${((100 * v) / total).toFixed(1).padStart(5)}%`);
  }
  console.log(`  ${'rest (input copy, loss, guard, dispatch)'.padEnd(40)} ${((total - accounted) / STEPS).toFixed(2).padStart(7)} ms  ${((100 * (total - accounted)) / total).toFixed(1).padStart(5)}%`);
  t.dispose();
}

// raw GEMMs at the dense shapes (C = A·Bᵀ forward, Aᵀ·B weight gradient, A·B input gradient)
const { kernels: k, arena } = rt;
const GEMMS = [
  ['nt', 1000, 256, 784, 'MLP fwd L1'], ['nt', 1000, 128, 256, 'MLP fwd L2'], ['nt', 1000, 10, 128, 'MLP fwd L3'],
  ['tn', 256, 784, 1000, 'MLP dW L1'], ['tn', 128, 256, 1000, 'MLP dW L2'], ['tn', 10, 128, 1000, 'MLP dW L3'],
  ['nn', 1000, 256, 128, 'MLP dX L2'], ['nn', 1000, 128, 10, 'MLP dX L3'],
  ['nt', 250, 128, 800, 'CNN fwd dense1'], ['tn', 128, 800, 250, 'CNN dW dense1'], ['nn', 250, 800, 128, 'CNN dX dense1'],
];
console.log(`\nraw GEMM, ${rt.threads} thread(s) (M x N x K; best of 5 runs of >= 50 ms)`);
for (const [kind, M, N, K, label] of GEMMS) {
  const a = arena.alloc(M * K * 4), b = arena.alloc(K * N * 4), c = arena.alloc(M * N * 4);
  const scratch = arena.alloc(k.gemm_scratch_bytes(M, N, K) + 16);
  arena.f32(a, M * K).fill(0.5); arena.f32(b, K * N).fill(0.25);
  const fn = k[`gemm_${kind}`];
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    let n = 0; const t0 = performance.now();
    do { fn(c, a, b, M, N, K, 0, scratch); n++; } while (performance.now() - t0 < 50);
    best = Math.min(best, (performance.now() - t0) / n);
  }
  console.log(`  ${kind} ${String(M).padStart(4)} x ${String(N).padStart(4)} x ${String(K).padStart(4)}  ${label.padEnd(15)} ${best.toFixed(3).padStart(7)} ms  ${((2 * M * N * K) / best / 1e6).toFixed(1).padStart(5)} GFLOP/s`);
}
await ecopt.shutdown();
