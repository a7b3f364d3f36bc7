// Memory per model while training: the wasm bytes a model holds (from the arena's block records:
// parameters, gradients, optimizer state, the guard's step backup, activations and caches at the
// batch size, scratch), per parameter, next to the minimum (parameters + gradients + optimizer
// state + activations), for the MLP, the CNN and ResNet-20. One training step is taken first, so
// every buffer exists. Two minima:
//   "all outputs"  parameters + gradients + optimizer state + the input and every (non-view) layer
//                  output at the batch size: what a framework that keeps every activation holds;
//   "strict"       parameters + gradients + optimizer state + only what backward must read, with
//                  elementwise layers in place: the input, the output of every Dense/Conv2D/BatchNorm/
//                  pooling/Add (ReLU overwrites its input; its mask is its output's sign), MaxPool's
//                  argmax as one byte per output, plus two activation-gradient buffers of the largest
//                  layer output (backward's ping-pong); no scratch, no step backup.
// It also prints what the arena holds in all (linear memory size, bytes in use by the runtime).
//   npm run build && node bench/memory.mjs [--json bench/results/memory.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : resolve(root, 'bench/results/memory.json');
const E = await import(resolve(root, 'dist/index.js'));
const { init, getRuntime, Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, SGD, Momentum, Adam, ECSGD, ECAdam, resnet } = E;
await init({ threads: 1 });
const arena = getRuntime().arena;

const MODELS = {
  'MLP 784-512-512-10, batch 128': { B: 128, make: () => new Sequential([new Dense(784, 512), new ReLU(), new Dense(512, 512), new ReLU(), new Dense(512, 10)]) },
  'CNN 32/64 5x5, batch 64': {
    B: 64,
    make: () => new Sequential([new Conv2D(1, 32, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2), new Conv2D(32, 64, 5, { padding: 'same' }), new ReLU(),
      new MaxPool2D(2), new Flatten(), new Dense(64 * 7 * 7, 10)], { inputShape: [1, 28, 28] }),
  },
  'ResNet-20 3x32x32, batch 128': { B: 128, make: () => resnet({ depth: 20, inputShape: [3, 32, 32], classes: 10 }) },
};
const OPTS = { SGD: (m) => new SGD(m, { lr: 0.01 }), Momentum: (m) => new Momentum(m, { lr: 0.01 }), Adam: (m) => new Adam(m, { lr: 1e-3 }), ECSGD: (m) => new ECSGD(m, { lr: 0.01 }), ECAdam: (m) => new ECAdam(m, { lr: 1e-3 }) };
const STATE = { SGD: 0, Momentum: 1, Adam: 2, ECSGD: 0, ECAdam: 2 };

const group = (what) => {
  if (what === 'parameters') return 'parameters';
  if (what === 'gradients') return 'gradients';
  if (/ state$/.test(what)) return 'optimizer state';
  if (what === 'step backup' || what === 'buffer backup') return 'step backup (guard)';
  if (/^the activations|^the input batch|^labels/.test(what)) return 'activations';
  if (/^activation gradients|^the gradient sum/.test(what)) return 'activation gradients';
  if (/^the cache/.test(what)) return 'caches';
  if (what === 'scratch') return 'scratch';
  if (/^(ECSGD|ECAdam|ECMomentum|PathSGD) /.test(what)) return 'EC workspaces';
  return 'other'; // layer descriptors, BN running statistics, misc
};

const INPLACE = new Set(['ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'Dropout', 'Dropout2D']);
function strictActivations(m, n, B) {
  let floats = n, largest = n;
  for (const l of m.layers) {
    if (l.isView) continue;
    largest = Math.max(largest, l.outSize);
    if (INPLACE.has(l.kind)) continue;
    floats += l.outSize;
    if (l.kind === 'MaxPool2D') floats += l.outSize / 4; // argmax, one byte per output
  }
  return (floats + 2 * largest) * B * 4;
}

const rows = [];
for (const [name, spec] of Object.entries(MODELS)) {
  for (const [optName, mk] of Object.entries(OPTS)) {
    const m = spec.make();
    let o;
    try { o = mk(m); } catch (e) { rows.push({ model: name, optimizer: optName, unavailable: String(e.message).split('\n')[0] }); m.dispose(); continue; }
    const n = m.inputShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(spec.B * n).fill(0.5);
    const y = Int32Array.from({ length: spec.B }, (_, i) => i % 10);
    m.trainBatch(x, y, o);
    const by = {};
    let total = 0;
    for (const b of arena.blocksOf(m)) { const g = group(b.what); by[g] = (by[g] ?? 0) + b.size; total += b.size; }
    const P = m.parameterCount;
    const fixed = P * 4 * (2 + STATE[optName]);
    // every non-view layer output and the input, at the batch
    const acts = m.layers.reduce((a, l) => a + (l.isView ? 0 : l.outSize), n) * spec.B * 4;
    const minimum = fixed + acts, strict = fixed + strictActivations(m, n, spec.B);
    rows.push({ model: name, batch: spec.B, optimizer: optName, parameters: P, bytes: total, bytesPerParameter: total / P, minimumBytes: minimum, minimumPerParameter: minimum / P,
      overMinimum: total / minimum, strictMinimumBytes: strict, strictPerParameter: strict / P, overStrict: total / strict, byKind: by,
      arenaMemoryBytes: arena.memoryBytes, arenaBytesInUse: arena.bytesInUse });
    m.dispose();
  }
}
const mb = (b) => (b / 2 ** 20).toFixed(1);
console.log('model'.padEnd(32) + 'optimizer  params      MiB  bytes/param  min(all outputs) B/p  x    strict min B/p  x    largest parts (MiB)');
for (const r of rows) {
  if (r.unavailable) { console.log(`${r.model.padEnd(32)}${r.optimizer.padEnd(10)} unavailable: ${r.unavailable}`); continue; }
  const parts = Object.entries(r.byKind).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
  console.log(`${r.model.padEnd(32)}${r.optimizer.padEnd(10)} ${String(r.parameters).padStart(7)} ${mb(r.bytes).padStart(8)} ${r.bytesPerParameter.toFixed(1).padStart(12)} ${r.minimumPerParameter.toFixed(1).padStart(20)} ${r.overMinimum.toFixed(2).padStart(5)} ${r.strictPerParameter.toFixed(1).padStart(15)} ${r.overStrict.toFixed(2).padStart(5)}   ${parts}`);
}
console.log(`arena: linear memory ${mb(arena.memoryBytes)} MiB at the end (grown ${arena.grows} times), ${mb(arena.bytesInUse)} MiB in use after every model was disposed (the runtime's own blocks)`);
mkdirSync(dirname(jsonOut), { recursive: true });
writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, arena: { memoryBytes: arena.memoryBytes, grows: arena.grows, bytesInUseAfter: arena.bytesInUse }, rows }, null, 2));
console.log(`wrote ${jsonOut}`);
