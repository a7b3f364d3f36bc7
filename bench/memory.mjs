// Memory per model while training: the wasm bytes a model holds (from the arena's block records:
// parameters, gradients, optimizer state, the guard's step backup, activations and caches at the
// batch size, scratch), per parameter, next to the minimum (parameters + gradients + optimizer
// state + activations). One training step is taken first, so every buffer exists.
//   node bench/memory.mjs [--json bench/results/memory.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : resolve(root, 'bench/results/memory.json');
const E = await import(resolve(root, 'dist/index.js'));
const { init, getRuntime, Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, SGD, Momentum, Adam, ECSGD, ECAdam } = E;
await init({ threads: 1 });
const arena = getRuntime().arena;

const MODELS = {
  'MLP 784-512-512-10, batch 128': { B: 128, make: () => new Sequential([new Dense(784, 512), new ReLU(), new Dense(512, 512), new ReLU(), new Dense(512, 10)]) },
  'CNN 32/64 5x5, batch 64': {
    B: 64,
    make: () => new Sequential([new Conv2D(1, 32, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2), new Conv2D(32, 64, 5, { padding: 'same' }), new ReLU(),
      new MaxPool2D(2), new Flatten(), new Dense(64 * 7 * 7, 10)], { inputShape: [1, 28, 28] }),
  },
};
const OPTS = { SGD: (m) => new SGD(m, { lr: 0.01 }), Momentum: (m) => new Momentum(m, { lr: 0.01 }), Adam: (m) => new Adam(m, { lr: 1e-3 }), ECSGD: (m) => new ECSGD(m, { lr: 0.01 }), ECAdam: (m) => new ECAdam(m, { lr: 1e-3 }) };
const STATE = { SGD: 0, Momentum: 1, Adam: 2, ECSGD: 0, ECAdam: 2 };

const group = (what) => {
  if (what === 'parameters') return 'parameters';
  if (what === 'gradients') return 'gradients';
  if (/ state$/.test(what)) return 'optimizer state';
  if (what === 'step backup') return 'step backup (guard)';
  if (/^the activations|^activation gradients|^the input batch|^labels|^the cache/.test(what)) return 'activations + caches';
  if (what === 'scratch') return 'scratch';
  if (/^(ECSGD|ECAdam|ECMomentum|PathSGD) /.test(what)) return 'EC workspaces';
  return 'other';
};

const rows = [];
for (const [name, spec] of Object.entries(MODELS)) {
  for (const [optName, mk] of Object.entries(OPTS)) {
    const m = spec.make();
    const o = mk(m);
    const n = m.inputShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(spec.B * n).fill(0.5);
    const y = Int32Array.from({ length: spec.B }, (_, i) => i % 10);
    m.trainBatch(x, y, o);
    const by = {};
    let total = 0;
    for (const b of arena.blocksOf(m)) { const g = group(b.what); by[g] = (by[g] ?? 0) + b.size; total += b.size; }
    const P = m.parameterCount;
    // the minimum: parameters, gradients, optimizer state, and one activation per layer output at the batch
    const acts = m.layers.reduce((a, l) => a + (l.isView ? 0 : l.outSize), n) * spec.B * 4;
    const minimum = P * 4 * (2 + STATE[optName]) + acts;
    rows.push({ model: name, optimizer: optName, parameters: P, bytes: total, bytesPerParameter: total / P, minimumBytes: minimum, overMinimum: total / minimum, byKind: by });
    m.dispose();
  }
}
const mb = (b) => (b / 2 ** 20).toFixed(1);
console.log('model'.padEnd(32) + 'optimizer  params      MiB  bytes/param  minimum MiB  x minimum   largest parts');
for (const r of rows) {
  const parts = Object.entries(r.byKind).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
  console.log(`${r.model.padEnd(32)}${r.optimizer.padEnd(10)} ${String(r.parameters).padStart(7)} ${mb(r.bytes).padStart(8)} ${r.bytesPerParameter.toFixed(1).padStart(12)} ${mb(r.minimumBytes).padStart(12)} ${r.overMinimum.toFixed(2).padStart(10)}   ${parts}`);
}
mkdirSync(dirname(jsonOut), { recursive: true });
writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2));
console.log(`wrote ${jsonOut}`);
