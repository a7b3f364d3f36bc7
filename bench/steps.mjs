// Interleaved training-step benchmark: SGD, EC-SGD, Adam, EC-Adam and Path-SGD on the same model
// shape stepped round-robin (7 rounds), so background load affects all alike. Prints the median
// samples/s and each optimizer's step time relative to SGD.
//   node bench/steps.mjs [threads=1] [mlp|cnn]
import { init, Sequential, Dense, ReLU, SGD, ECSGD, Adam, ECAdam, PathSGD, Conv2D, MaxPool2D, Flatten } from '../dist/index.js';

const T = Number(process.argv[2] ?? 1);
const which = process.argv[3] ?? 'mlp';
if (!Number.isInteger(T) || T < 1 || !['mlp', 'cnn'].includes(which)) {
  console.error('usage: node bench/steps.mjs [threads >= 1] [mlp|cnn]');
  process.exit(2);
}
const rt = await init({ threads: T });
let s = 1;
const rnd = (n) => { const o = new Float32Array(n); for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; o[i] = s / 4294967296; } return o; };
const mk = which === 'mlp'
  ? () => new Sequential([new Dense(784, 512), new ReLU(), new Dense(512, 512), new ReLU(), new Dense(512, 10)], { seed: 0 })
  : () => new Sequential([new Conv2D(1, 32, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2), new Conv2D(32, 64, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(3136, 10)], { seed: 0, inputShape: [1, 28, 28] });
const B = which === 'mlp' ? 128 : 64;
const x = rnd(B * 784);
const y = new Uint8Array(B).map((_, i) => i % 10);
const opts = [['SGD', (m) => new SGD(m, { lr: 0.01 })], ['EC-SGD', (m) => new ECSGD(m, { lr: 0.01 })], ['Adam', (m) => new Adam(m, { lr: 1e-4 })],
  ['EC-Adam', (m) => new ECAdam(m, { lr: 1e-4 })], ['Path-SGD', (m) => new PathSGD(m, { lr: 1e-3 })]];
const runs = opts.map(([name, make]) => { const m = mk(); const o = make(m); for (let i = 0; i < 3; i++) m.trainBatch(x, y, o); return { name, m, o, ms: [] }; });
const reps = which === 'mlp' ? 10 : 3;
for (let round = 0; round < 7; round++) {
  for (const r of runs) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) r.m.trainBatch(x, y, r.o);
    r.ms.push((performance.now() - t0) / reps);
  }
}
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const base = med(runs[0].ms);
console.log(`${which}, batch ${B}, ${rt.threads} thread(s), median of 7 interleaved rounds`);
for (const r of runs) {
  console.log(`  ${r.name.padEnd(9)} ${String(Math.round(B / med(r.ms) * 1000)).padStart(6)} samples/s  ${med(r.ms).toFixed(2).padStart(7)} ms/step  ${(100 * (med(r.ms) / base - 1)).toFixed(1).padStart(5)}% vs SGD`);
}
