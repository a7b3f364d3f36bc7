// EC-Opt on chains, this build against another one (an A/B for "no regression" on the v0.1 models):
// the same MLP or CNN trained with SGD and with EC-SGD in both builds, all four stepped round-robin
// in one process so background load affects them alike. Prints each build's median step times, the
// EC overhead (EC-SGD step minus SGD step) per build, and whether EC-SGD's weights after the same
// steps are bit-identical in the two builds (the chain step must not change a bit). Each step is
// computeGradients() then optimizer.step(), and the step alone is timed too.
//   node bench/ec-chain-ab.mjs --baseline DIR [--model mlp|cnn] [--rounds N] [--threads T]
// DIR is another checkout with its own `npm run build` (its dist/index.js is loaded).
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODELS } from './threads/models.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i < 0 ? dflt : args[i + 1]; };
const baseline = opt('--baseline');
const model = opt('--model', 'mlp');
const rounds = Number(opt('--rounds', '15'));
const threads = Number(opt('--threads', '1'));
if (!baseline || !['mlp', 'cnn'].includes(model) || !(rounds >= 3) || !Number.isInteger(threads) || threads < 1) {
  console.error('usage: node bench/ec-chain-ab.mjs --baseline DIR [--model mlp|cnn] [--rounds N >= 3] [--threads T >= 1]');
  process.exit(2);
}

const load = async (dir) => import(pathToFileURL(resolve(dir, 'dist/index.js')).href);
const builds = [['this', await load('.')], ['baseline', await load(baseline)]];
for (const [, lib] of builds) await lib.init({ threads });

let s = 1;
const rnd = (n) => { const o = new Float32Array(n); for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; o[i] = s / 4294967296; } return o; };
const B = MODELS[model].batch;
const x = rnd(B * 784);
const y = new Uint8Array(B).map((_, i) => i % 10);
const reps = model === 'mlp' ? 10 : 2;

const make = (lib) => MODELS[model].make(lib); // bench/threads/models.mjs: the same MLP and CNN as bench/steps.mjs

const runs = [];
for (const [build, lib] of builds) {
  for (const [name, Opt] of [['SGD', lib.SGD], ['EC-SGD', lib.ECSGD]]) {
    const m = make(lib);
    const o = new Opt(m, { lr: 0.01 });
    for (let i = 0; i < 3; i++) m.trainBatch(x, y, o);
    runs.push({ build, name, m, o, ms: [], stepMs: [] });
  }
}
for (let r = 0; r < rounds; r++) {
  for (const run of runs) {
    // computeGradients(); step() is trainBatch(), timed in two parts: the optimizer step alone too
    let total = 0, step = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      run.m.computeGradients(x, y);
      const t1 = performance.now();
      run.o.step();
      const t2 = performance.now();
      total += t2 - t0; step += t2 - t1;
    }
    run.ms.push(total / reps);
    run.stepMs.push(step / reps);
  }
}

const median = (a) => { const b = [...a].sort((p, q) => p - q); const h = b.length >> 1; return b.length % 2 ? b[h] : (b[h - 1] + b[h]) / 2; };
const hash = (m) => { const h = createHash('sha256'); for (const w of m.getWeights()) h.update(Buffer.from(w.buffer, w.byteOffset, w.byteLength)); return h.digest('hex'); };
const get = (build, name) => runs.find((r) => r.build === build && r.name === name);
console.log(`${model}, batch ${B}, ${threads} thread(s), ${rounds} rounds of ${reps} steps each, medians:`);
for (const build of ['this', 'baseline']) {
  const sgd = median(get(build, 'SGD').ms), ec = median(get(build, 'EC-SGD').ms);
  const sgdStep = median(get(build, 'SGD').stepMs), ecStep = median(get(build, 'EC-SGD').stepMs);
  console.log(`  ${build.padEnd(8)}  SGD ${sgd.toFixed(3)} ms  EC-SGD ${ec.toFixed(3)} ms  EC/SGD ${(ec / sgd).toFixed(3)}  EC overhead ${(ec - sgd).toFixed(3)} ms;` +
    `  optimizer.step() alone: SGD ${sgdStep.toFixed(3)} ms, EC-SGD ${ecStep.toFixed(3)} ms`);
}
// per-round paired ratios: this build's step times over the baseline's
const paired = get('this', 'EC-SGD').ms.map((t, i) => t / get('baseline', 'EC-SGD').ms[i]);
const pairedSgd = get('this', 'SGD').ms.map((t, i) => t / get('baseline', 'SGD').ms[i]);
const pairedStep = get('this', 'EC-SGD').stepMs.map((t, i) => t / get('baseline', 'EC-SGD').stepMs[i]);
console.log(`  this / baseline, per round (median): EC-SGD ${median(paired).toFixed(3)}, SGD ${median(pairedSgd).toFixed(3)}, EC-SGD optimizer.step() ${median(pairedStep).toFixed(3)}`);
const same = hash(get('this', 'EC-SGD').m) === hash(get('baseline', 'EC-SGD').m);
console.log(`  EC-SGD weights after ${3 + rounds * reps} steps: ${same ? 'bit-identical' : 'DIFFERENT'} in the two builds`);
