// What augmentation and normalization cost per epoch of the MNIST CNN (conv 5x5x32, conv 5x5x64,
// batch 64): one-epoch fit() calls on the first N training images without options, with
// `augment: { padding: 2, flip: true }` + `normalize`, and the same on the bytes (a Uint8Array
// dataset, scaled in wasm), interleaved in short rounds (in a rotating order, so background load
// hits all alike); per round, each epoch's time over the plain one's, and the median and quartiles
// of those ratios. Each fit() call also normalizes its data once up front (counted). Then the
// kernels alone: the time to augment and normalize one batch in the input buffer, against a step.
//   npm run build && node bench/augment.mjs [samples=1024] [rounds=20] [threads=1] [cnn|cnn-small]
import { init, getRuntime, loadMNIST, Sequential, Conv2D, ReLU, MaxPool2D, Flatten, Dense, SGD } from '../dist/index.js';

const N = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 20);
const T = Number(process.argv[4] ?? 1);
const kind = process.argv[5] ?? 'cnn';
if (![N, rounds, T].every((v) => Number.isInteger(v) && v > 0) || !['cnn', 'cnn-small'].includes(kind)) {
  console.error('usage: node bench/augment.mjs [samples >= 1] [rounds >= 1] [threads >= 1] [cnn|cnn-small]');
  process.exit(2);
}
const rt = await init({ threads: T });
const { train } = await loadMNIST({ trainLimit: N });
const bytes = { ...train, images: Uint8Array.from(train.images, (v) => Math.round(v * 255)) };
const [c1, c2] = kind === 'cnn' ? [32, 64] : [8, 16];
const B = 64;
const build = () => new Sequential([
  new Conv2D(1, c1, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
  new Conv2D(c1, c2, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(c2 * 49, 10),
], { seed: 0, inputShape: [1, 28, 28] });
const normalize = { mean: [0.1307], std: [0.3081] };
const variants = [
  ['plain (float32)', train, {}],
  ['augment + normalize (float32)', train, { augment: { padding: 2, flip: true }, normalize }],
  ['augment + normalize (bytes)', bytes, { augment: { padding: 2, flip: true }, normalize }],
  ['plain (bytes)', bytes, {}],
];
const runs = variants.map(([name, data, opts]) => {
  const m = build();
  return { name, data, opts, m, opt: new SGD(m, { lr: 0.01 }), sec: [] };
});
for (const r of runs) await r.m.fit(r.data, { optimizer: r.opt, epochs: 1, batchSize: B, ...r.opts }); // warm-up
for (let round = 0; round < rounds; round++) {
  for (let j = 0; j < runs.length; j++) {
    const r = runs[(j + round) % runs.length];
    const t0 = performance.now();
    await r.m.fit(r.data, { optimizer: r.opt, epochs: 1, batchSize: B, seed: round, ...r.opts });
    r.sec.push((performance.now() - t0) / 1000);
  }
}
const q = (a, f) => [...a].sort((p, r) => p - r)[Math.min(a.length - 1, Math.floor(f * a.length))];
const pct = (x) => `${x >= 1 ? '+' : ''}${(100 * (x - 1)).toFixed(1)}%`;
console.log(`MNIST ${kind}, ${N} samples per epoch, batch ${B}, ${rt.threads} thread(s), ${rounds} interleaved rounds`);
for (const r of runs.slice(1)) {
  const ratios = r.sec.map((s, i) => s / runs[0].sec[i]);
  console.log(`  ${r.name.padEnd(30)} ${q(r.sec, 0.5).toFixed(2).padStart(6)} s/epoch (plain ${q(runs[0].sec, 0.5).toFixed(2)})  ` +
    `${pct(q(ratios, 0.5)).padStart(6)} vs plain (median of per-round ratios; quartiles ${pct(q(ratios, 0.25))} .. ${pct(q(ratios, 0.75))})`);
}

// the kernels alone, on one batch of B samples in an arena block
const { kernels: k, arena } = getRuntime();
const n = 784;
const p = arena.alloc(B * n * 4, 'bench batch');
const x = train.images.subarray(0, B * n);
const time = (f, reps = 200) => { f(); const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); return (performance.now() - t0) / reps; };
const copyOnly = time(() => arena.f32(p, B * n).set(x));
const prep = time(() => {
  arena.f32(p, B * n).set(x);
  for (let r = 0; r < B; r++) k.augment_sample(p + 4 * r * n, 1, 28, 28, 2, 1, 0, 0, 0, r);
  k.normalize_channel(p, B, 1, n, 0, 0.1307, 0.3081);
  k.first_nonfinite(p, B * n);
});
const scale = time(() => { arena.u8(p + 3 * B * n, B * n).set(bytes.images.subarray(0, B * n)); k.bytes_to_unit(p, p + 3 * B * n, B * n); });
const m = runs[0].m;
const y = train.labels.subarray(0, B);
const step = time(() => m.trainBatch(x, y, runs[0].opt), 20);
console.log(`one batch of ${B}: training step ${step.toFixed(2)} ms; copy ${copyOnly.toFixed(3)} ms; copy + augment + normalize + check ${prep.toFixed(3)} ms ` +
  `(${(100 * (prep - copyOnly) / step).toFixed(2)}% of a step); bytes copied and scaled ${scale.toFixed(3)} ms`);
arena.release(p);
for (const r of runs) r.m.dispose();
