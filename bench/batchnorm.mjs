// BatchNorm kernels: the SIMD kernels of assembly/batchnorm.ts against the scalar ones they replaced
// (bench/batchnorm-dev/scalar.ts), on ResNet-20's BatchNorm2D shapes at batch 128 (16 x 32x32,
// 32 x 16x16, 64 x 8x8). First the bits: every output of both versions (y, saved statistics,
// running statistics, dx, dgamma, dbeta; training and evaluation) compared on these shapes and on
// odd ones (C and S not multiples of 4). Then the time: forward (training), backward (training,
// with dx) and forward (evaluation), the two versions interleaved over rounds in alternating order;
// median ms per call and the median of per-round speedups. Last, ReLU forward + backward on the same
// tensors: the most a fused BN + ReLU kernel could save (one pass over y and one over dy).
// Compiles its own module (single thread):
//   node bench/batchnorm.mjs [rounds=15] [--build]
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 15);
const wasmPath = '/tmp/ecopt-bench-batchnorm.wasm';
if (process.argv.includes('--build') || !existsSync(wasmPath)) {
  execFileSync(resolve(root, 'node_modules/.bin/asc'), ['bench/batchnorm-dev/both.ts', '--config', '/dev/null', '--runtime', 'stub',
    '--enable', 'simd', '-O3', '--noAssert', '--converge', '--initialMemory', '2048', '--outFile', wasmPath], { stdio: 'inherit', cwd: root });
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), { env: { abort: () => { throw new Error('abort'); } } });
const k = instance.exports;
let top = 1 << 20;
const alloc = (n) => { const p = top; top += Math.ceil((n * 4) / 64) * 64 + 64; return p; };
const f32 = (p, n) => new Float32Array(k.memory.buffer, p, n);
let seed = 7;
const fill = (p, n, lo = -1, hi = 1) => { const a = f32(p, n); for (let i = 0; i < n; i++) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; a[i] = lo + (hi - lo) * (seed / 2 ** 32); } };
const copy = (d, s, n) => f32(d, n).set(f32(s, n));
const sameBits = (a, b, n) => { const x = new Uint32Array(k.memory.buffer, a, n), y = new Uint32Array(k.memory.buffer, b, n); for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i; return -1; };

/** Buffers of one shape, twice (new kernels, scalar kernels); replaces the previous shape's. */
function setup(B, C, S) {
  top = 1 << 20; // one shape at a time
  const n = B * C * S;
  const x = alloc(n), dy = alloc(n), g = alloc(C), bt = alloc(C);
  fill(x, n, -2, 3); fill(dy, n); fill(g, C, 0.5, 1.5); fill(bt, C);
  const side = () => {
    const o = { y: alloc(n), dx: alloc(n), saved: alloc(2 * C), rm: alloc(C), rv: alloc(C), dg: alloc(C), db: alloc(C) };
    f32(o.rm, C).fill(0.1); f32(o.rv, C).fill(1.3);
    return o;
  };
  return { B, C, S, n, x, dy, g, bt, a: side(), b: side() };
}
const fwdTrain = (t, o, kind) => k[`${kind}batchnorm_forward_train`](o.y, t.x, t.g, t.bt, o.rm, o.rv, o.saved, t.B, t.C, t.S, 1e-5, 0.1);
const fwdEval = (t, o, kind) => k[`${kind}batchnorm_forward_eval`](o.y, t.x, t.g, t.bt, o.rm, o.rv, t.B, t.C, t.S, 1e-5);
const bwd = (t, o, kind, train = true) => k[`${kind}batchnorm_backward`](o.dx, o.dg, o.db, t.dy, t.x, t.g, train ? o.saved : 0, o.rm, o.rv, t.B, t.C, t.S, 1e-5);

// ---- bits
const checks = [[128, 16, 1024], [128, 32, 256], [128, 64, 64], [3, 7, 5], [5, 9, 13], [4, 6, 1], [2, 5, 3], [1, 4, 7]];
let bad = 0;
for (const [B, C, S] of checks) {
  const t = setup(B, C, S);
  for (const affine of [true, false]) {
    const tt = affine ? t : { ...t, g: 0, bt: 0 };
    const cmp = (what, p, q, n) => { const i = sameBits(p, q, n); if (i >= 0) { bad++; console.log(`  BITS DIFFER: ${B}x${C}x${S} ${affine ? '' : 'no affine '}${what} at ${i}`); } };
    fwdTrain(tt, t.a, ''); fwdTrain(tt, t.b, 'scalar_');
    cmp('train y', t.a.y, t.b.y, t.n); cmp('saved', t.a.saved, t.b.saved, 2 * C); cmp('running mean', t.a.rm, t.b.rm, C); cmp('running var', t.a.rv, t.b.rv, C);
    bwd(tt, t.a, ''); bwd(tt, t.b, 'scalar_');
    cmp('train dx', t.a.dx, t.b.dx, t.n); cmp('dgamma', t.a.dg, t.b.dg, C); cmp('dbeta', t.a.db, t.b.db, C);
    fwdEval(tt, t.a, ''); fwdEval(tt, t.b, 'scalar_'); cmp('eval y', t.a.y, t.b.y, t.n);
    bwd(tt, t.a, '', false); bwd(tt, t.b, 'scalar_', false); cmp('eval dx', t.a.dx, t.b.dx, t.n); cmp('eval dgamma', t.a.dg, t.b.dg, C);
  }
}
console.log(bad ? `bits: ${bad} outputs DIFFER from the scalar kernels` : `bits: every output identical to the scalar kernels (${checks.length} shapes, affine and not, training and evaluation)`);

// ---- time
const med = (a) => { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]; };
function time(fn, minMs = 60) {
  let n = 0; const t0 = performance.now(); let t;
  do { fn(); n++; t = performance.now() - t0; } while (t < minMs);
  return t / n;
}
console.log(`\nResNet-20 BatchNorm2D shapes, batch 128, 1 thread, ${rounds} interleaved rounds: median ms per call (scalar -> SIMD, median per-round speedup)`);
const totals = { scalar: 0, simd: 0, relu: 0 };
for (const [B, C, S] of checks.slice(0, 3)) {
  const t = setup(B, C, S);
  const ops = [
    ['forward (training)', (o, kind) => fwdTrain(t, o, kind)],
    ['backward (training, dx)', (o, kind) => bwd(t, o, kind)],
    ['forward (evaluation)', (o, kind) => fwdEval(t, o, kind)],
  ];
  for (const [name, op] of ops) {
    op(t.a, ''); op(t.b, 'scalar_');
    const simd = [], scalar = [], ratio = [];
    for (let r = 0; r < rounds; r++) {
      let a, b;
      if (r % 2) { a = time(() => op(t.a, '')); b = time(() => op(t.b, 'scalar_')); } else { b = time(() => op(t.b, 'scalar_')); a = time(() => op(t.a, '')); }
      simd.push(a); scalar.push(b); ratio.push(b / a);
    }
    if (name !== 'forward (evaluation)') { totals.scalar += med(scalar); totals.simd += med(simd); }
    console.log(`  ${`${C} x ${Math.sqrt(S)}x${Math.sqrt(S)}`.padEnd(11)} ${name.padEnd(24)} ${med(scalar).toFixed(3).padStart(7)} -> ${med(simd).toFixed(3).padStart(6)} ms  x${med(ratio).toFixed(2)}`);
  }
  const relu = [];
  for (let r = 0; r < rounds; r++) relu.push(time(() => { k.relu_forward(t.a.y, t.x, t.n); k.relu_backward(t.a.dx, t.dy, t.x, t.n); }));
  totals.relu += med(relu);
  console.log(`  ${`${C} x ${Math.sqrt(S)}x${Math.sqrt(S)}`.padEnd(11)} ReLU forward + backward  ${med(relu).toFixed(3).padStart(7)} ms (the upper bound of what fusing it into BN saves)`);
}
console.log(`\none BN of each stage, training forward + backward: scalar ${totals.scalar.toFixed(2)} ms, SIMD ${totals.simd.toFixed(2)} ms (x${(totals.scalar / totals.simd).toFixed(2)}); ` +
  `ReLU forward + backward on the same tensors ${totals.relu.toFixed(2)} ms`);

// ---- a whole training step: ResNet-20 (projection shortcuts), batch 128, SGD, against another build
// (`--baseline /path/to/checkout`, e.g. main built in another directory): same weights and data in
// both, steps interleaved; the losses and weights must match bit for bit.
const bi = process.argv.indexOf('--baseline');
if (bi > 0) {
  const base = resolve(process.argv[bi + 1]);
  const mods = [await import(resolve(root, 'dist/index.js')), await import(resolve(base, 'dist/index.js'))];
  const B = 128, steps = Math.max(3, rounds >> 1);
  const runs = [];
  for (const m of mods) {
    await m.init({ threads: 1 });
    const model = m.resnet({ depth: 20, inputShape: [3, 32, 32], classes: 10, seed: 1 });
    runs.push({ model, opt: new m.SGD(model, { lr: 0.01 }), ms: [], loss: [] });
  }
  let s2 = 3;
  const x = Float32Array.from({ length: B * 3072 }, () => { s2 = (Math.imul(s2, 1664525) + 1013904223) >>> 0; return s2 / 2 ** 32 - 0.5; });
  const y = Int32Array.from({ length: B }, (_, i) => (i * 7) % 10);
  for (const r of runs) r.model.trainBatch(x, y, r.opt); // warm-up (first step also plans memory)
  for (let i = 0; i < steps; i++) {
    for (const r of i % 2 ? [...runs].reverse() : runs) {
      const t0 = performance.now();
      r.loss.push(r.model.trainBatch(x, y, r.opt));
      r.ms.push(performance.now() - t0);
    }
  }
  const same = runs[0].loss.every((l, i) => Object.is(l, runs[1].loss[i])) &&
    runs[0].model.getWeights().every((w, i) => w.every((v, j) => Object.is(v, runs[1].model.getWeights()[i][j])));
  const ratio = runs[0].ms.map((t, i) => runs[1].ms[i] / t);
  console.log(`\nResNet-20 training step, batch 128, 1 thread, ${steps} interleaved steps: baseline ${med(runs[1].ms).toFixed(0)} ms, ` +
    `this build ${med(runs[0].ms).toFixed(0)} ms (median per-step speedup x${med(ratio).toFixed(2)}); losses and weights ${same ? 'bit-identical' : 'DIFFER'}`);
}
