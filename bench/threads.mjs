// Two-thread scaling of training steps (issue 18 part 3), measured robustly on a shared machine:
// one and two threads alternate in ONE process (init({threads: 1}) ... shutdown() ... init({threads:
// 2}); the model is rebuilt and warmed up each time), in many pairs whose order alternates; the
// figure is the median of the per-pair ratios (1T step time / 2T step time) with quartiles. Every
// block's weights after the same warm-up steps are hashed (SHA-256): they must be equal for 1 and 2
// threads. Then batch-1 predict at 1 and 2 threads (2 must not be slower), and the phases of a step
// (bench/threads/phases.mjs) at 1 and 2 threads, interleaved too.
// --baseline DIR adds a second build (another checkout's dist/, e.g. main) alternated pair by pair.
//   npm run bench:threads -- [--models mlp,cnn,resnet20,jax-mlp] [--pairs 9] [--phase-pairs 3] [--predict-pairs 5]
//     [--predict-models mlp,cnn,resnet20]
//     [--phase-models mlp,mlp-ecsgd,cnn,resnet20,jax-mlp] [--baseline DIR] [--resnet-batch 128] [--json FILE]
//     [--detail: the kernels inside each layer and optimizer phase]
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODELS, batches, runBlock, runPredictBlock, median, quantile, fmtRatios } from './threads/models.mjs';
import { phaseRecorder, PHASE_ORDER } from './threads/phases.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const list = (s) => (s ? s.split(',').filter(Boolean) : []);
const models = list(opt('models', 'mlp,cnn,resnet20,jax-mlp'));
const phaseModels = list(opt('phase-models', 'mlp,mlp-ecsgd,cnn,resnet20,jax-mlp'));
const pairs = Number(opt('pairs', 9));
const phasePairs = Number(opt('phase-pairs', 3));
const predictPairs = Number(opt('predict-pairs', 5));
const predictModels = list(opt('predict-models', 'mlp,cnn,resnet20'));
const baselineDir = opt('baseline', null);
const jsonOut = opt('json', null);
const detail = args.includes('--detail');
MODELS.resnet20.batch = Number(opt('resnet-batch', MODELS.resnet20.batch));
for (const m of [...models, ...phaseModels]) if (!MODELS[m]) { console.error(`unknown model '${m}' (${Object.keys(MODELS).join(', ')})`); process.exit(2); }

const here = new URL('../dist/index.js', import.meta.url);
const builds = [{ label: baselineDir ? 'this' : 'ecopt', lib: await import(here.href) }];
if (baselineDir) builds.push({ label: 'baseline', lib: await import(pathToFileURL(resolve(baselineDir, 'dist/index.js')).href) });
const os = await import('node:os');
console.log(`bench/threads: ${os.cpus().length} cores, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; ${pairs} pairs per model` +
  `${baselineDir ? `; builds: this (${here.pathname}) and baseline (${baselineDir})` : ''}`);

const report = {
  date: new Date().toISOString(), node: process.versions.node, cpu: os.cpus()[0]?.model?.trim(), cores: os.cpus().length,
  loadAverageStart: os.loadavg(), pairs, phasePairs, predictPairs, builds: builds.map((b) => b.label), scaling: {}, phases: {},
};

// ---- scaling: per pair, each build at 1 and 2 threads, in an order that alternates ----
for (const key of models) {
  const spec = MODELS[key];
  const data = batches(key);
  const per = builds.map(() => ({ one: [], two: [], ratio: [], hashes: new Set() }));
  const t0 = performance.now();
  for (let p = 0; p < pairs; p++) {
    const order = builds.map((_, b) => b);
    if (p % 2) order.reverse();
    for (const b of order) {
      const threads = p % 2 === 0 ? [1, 2] : [2, 1];
      const res = {};
      for (const T of threads) res[T] = await runBlock(builds[b].lib, key, T, data);
      const r = per[b];
      r.one.push(res[1].ms); r.two.push(res[2].ms); r.ratio.push(res[1].ms / res[2].ms);
      r.hashes.add(res[1].hash); r.hashes.add(res[2].hash);
    }
  }
  console.log(`\n${spec.name}, batch ${spec.batch}: ${pairs} pairs in ${((performance.now() - t0) / 1000).toFixed(0)} s ` +
    `(each block: ${spec.warm} warm-up steps + >= 300 ms, then the median of ${spec.timed} timed steps)`);
  builds.forEach((bd, b) => {
    const r = per[b];
    const hashes = [...r.hashes];
    console.log(`  ${bd.label.padEnd(8)} 1T ${median(r.one).toFixed(2).padStart(8)} ms  2T ${median(r.two).toFixed(2).padStart(8)} ms  ` +
      `2T speedup ${fmtRatios(r.ratio)}  weights ${hashes.length === 1 ? `identical at 1 and 2 threads, sha256 ${hashes[0].slice(0, 16)}` : `DIFFER: ${hashes.join(' ')}`}`);
    report.scaling[`${key} ${bd.label}`] = { model: spec.name, batch: spec.batch, ms1: r.one, ms2: r.two, ratio: r.ratio, hashes };
  });
  if (builds.length === 2) {
    const sp = (T) => per[1][T].map((v, i) => v / per[0][T][i]);
    console.log(`  this / baseline step speed, per pair: 1T ${fmtRatios(sp('one'))}  2T ${fmtRatios(sp('two'))}` +
      `${per[0].hashes.size === 1 && per[1].hashes.size === 1 ? `; weights ${[...per[0].hashes][0] === [...per[1].hashes][0] ? 'identical' : 'DIFFER'} across builds` : ''}`);
  }
}

// ---- batch-1 predict: 2 threads must not be slower than 1 (small ops stay on the caller) ----
if (predictPairs > 0) {
  console.log(`\nbatch-1 predict, ms per call (median of 200 calls per block, ${predictPairs} pairs); 1T / 2T time per pair`);
  for (const key of predictModels) {
    const x = batches(key, 1)[0].x.subarray(0, MODELS[key].shape.reduce((a, b) => a * b, 1));
    for (const bd of builds) {
      const r = { one: [], two: [], hashes: new Set() };
      for (let p = 0; p < predictPairs; p++) {
        for (const T of p % 2 === 0 ? [1, 2] : [2, 1]) {
          const res = await runPredictBlock(bd.lib, key, T, x);
          r[T === 1 ? 'one' : 'two'].push(res.ms);
          r.hashes.add(res.hash);
        }
      }
      const ratio = r.one.map((v, i) => v / r.two[i]);
      console.log(`  ${MODELS[key].name.replace(/, [^,]*$/, "").padEnd(36)} ${builds.length > 1 ? bd.label.padEnd(9) : ''}1T ${median(r.one).toFixed(3)} ms  2T ${median(r.two).toFixed(3)} ms  ` +
        `1T/2T ${fmtRatios(ratio)}  outputs ${r.hashes.size === 1 ? 'identical' : 'DIFFER'}`);
      report.scaling[`predict ${key} ${bd.label}`] = { model: MODELS[key].name, ms1: r.one, ms2: r.two, ratio, hashes: [...r.hashes] };
    }
  }
}

// ---- phases at 1 and 2 threads, interleaved ----
if (phasePairs > 0) {
  for (const bd of builds) bd.rec = phaseRecorder(bd.lib);
  for (const key of phaseModels) {
    const spec = MODELS[key];
    const data = batches(key);
    for (const bd of builds) {
      const acc = { 1: [], 2: [] };
      for (let p = 0; p < phasePairs; p++) {
        for (const T of p % 2 === 0 ? [1, 2] : [2, 1]) {
          await runBlock(bd.lib, key, T, data, { setup: (rt) => bd.rec.setup(rt), before: (rt) => bd.rec.before(rt), after: (rt, n) => bd.rec.after(rt, n) });
          acc[T].push(bd.rec.take());
        }
      }
      printPhases(`${spec.name}, batch ${spec.batch}${builds.length > 1 ? ` (${bd.label})` : ''}`, acc);
      report.phases[`${key} ${bd.label}`] = { model: spec.name, batch: spec.batch, ...Object.fromEntries([1, 2].map((T) => [T, acc[T].map((r) => ({ total: r.total, dispatches: r.dispatches, phases: Object.fromEntries(r.phases) }))])) };
    }
  }
}
report.loadAverageEnd = os.loadavg();
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 1));

/** Per phase: median ms per step at 1T and 2T over the pairs, speedup, share of the 2T step. */
function printPhases(title, acc) {
  const med = (T, f) => median(acc[T].map(f));
  const names = new Set([...acc[1], ...acc[2]].flatMap((r) => [...r.phases.keys()]));
  const ordered = [...PHASE_ORDER.filter((n) => names.has(n)), ...[...names].filter((n) => !PHASE_ORDER.includes(n)).sort()];
  const tot1 = med(1, (r) => r.total), tot2 = med(2, (r) => r.total);
  console.log(`\nphases: ${title}; median of ${acc[1].length} blocks per thread count (ms per step)`);
  console.log(`  ${'phase'.padEnd(44)} ${'1T ms'.padStart(8)} ${'2T ms'.padStart(8)} ${'speedup'.padStart(8)} ${'2T share'.padStart(9)}`);
  for (const n of ordered) {
    const a = med(1, (r) => r.phases.get(n) ?? 0), b = med(2, (r) => r.phases.get(n) ?? 0);
    if (a < 0.005 && b < 0.005) continue;
    console.log(`  ${n.padEnd(44)} ${a.toFixed(2).padStart(8)} ${b.toFixed(2).padStart(8)} ${(a / b).toFixed(2).padStart(7)}x ${(100 * b / tot2).toFixed(1).padStart(8)}%`);
    if (!detail) continue;
    const subs = new Set([...acc[1], ...acc[2]].flatMap((r) => [...r.kernels.keys()].filter((k) => k.startsWith(`${n}: `))));
    for (const s of [...subs].sort()) {
      const x = med(1, (r) => r.kernels.get(s)?.ms ?? 0), y = med(2, (r) => r.kernels.get(s)?.ms ?? 0);
      if (x < 0.01 && y < 0.01) continue;
      const calls = med(1, (r) => r.kernels.get(s)?.calls ?? 0);
      console.log(`    ${s.slice(n.length + 2).padEnd(30)} x${String(calls).padEnd(7)} ${x.toFixed(2).padStart(8)} ${y.toFixed(2).padStart(8)} ${(x / y).toFixed(2).padStart(7)}x`);
    }
  }
  console.log(`  ${'step'.padEnd(44)} ${tot1.toFixed(2).padStart(8)} ${tot2.toFixed(2).padStart(8)} ${(tot1 / tot2).toFixed(2).padStart(7)}x  ` +
    `(pool dispatches per step at 2T: ${med(2, (r) => r.dispatches).toFixed(0)}; 2T step quartiles ${quantile(acc[2].map((r) => r.total), 0.25).toFixed(2)}-${quantile(acc[2].map((r) => r.total), 0.75).toFixed(2)})`);
}
