// The cost of the EC step on residual networks (issue 15, item 6: at most 5% of a training step):
// ResNet-20 and PlainNet-20 (BatchNorm), forward + backward (computeGradients) timed apart from each
// optimizer's update (optimizer.step()), interleaved round by round so background load hits all
// alike. Reports medians over rounds and the update's share of a whole step.
// Writes the medians to --out (default bench/results/ec-graph.json; bench/ec-graph/report.mjs renders it).
//   node bench/ec-graph-overhead.mjs [threads=1] [batch=32] [rounds=7] [--out FILE]
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, resnet, plainnet, SGD, Momentum, ECSGD, ECMomentum, ECAdam } from '../dist/index.js';

const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const outFile = outAt >= 0 ? argv[outAt + 1] : fileURLToPath(new URL('./results/ec-graph.json', import.meta.url));
const pos = argv.filter((a, i) => a !== '--out' && argv[i - 1] !== '--out');
const T = Number(pos[0] ?? 1);
const B = Number(pos[1] ?? 32);
const R = Number(pos[2] ?? 7);
const result = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadAverageStart: loadavg(), threads: 0, batch: B, rounds: R, nets: [] };
const rt = await init({ threads: T });
result.threads = rt.threads;
let s = 7;
const rnd = (n) => { const o = new Float32Array(n); for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; o[i] = s / 4294967296; } return o; };
const x = rnd(B * 3 * 32 * 32);
const y = new Uint8Array(B).map((_, i) => i % 10);
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const OPTS = [
  ['SGD', (m) => new SGD(m, { lr: 0.01 })],
  ['Momentum', (m) => new Momentum(m, { lr: 0.01 })],
  ["EC-SGD 'graph'", (m) => new ECSGD(m, { lr: 0.01, mode: 'graph' })],
  ["EC-SGD 'blocks'", (m) => new ECSGD(m, { lr: 0.01, mode: 'blocks' })],
  ["EC-Momentum 'graph'", (m) => new ECMomentum(m, { lr: 0.01, mode: 'graph' })],
  ["EC-Adam 'graph'", (m) => new ECAdam(m, { lr: 1e-3, mode: 'graph' })],
];
console.log(`EC step cost on residual networks: batch ${B} of 3x32x32, ${rt.threads} thread(s), median of ${R} interleaved rounds`);
for (const [name, make] of [['ResNet-20', resnet], ['PlainNet-20', plainnet]]) {
  const runs = OPTS.map(([label, opt]) => {
    const m = make({ depth: 20, inputShape: [3, 32, 32], classes: 10, seed: 0 });
    const o = opt(m);
    m.computeGradients(x, y);
    o.step();
    return { label, m, o, fb: [], up: [] };
  });
  for (let r = 0; r < R; r++) {
    for (const run of runs) {
      const t0 = performance.now();
      run.m.computeGradients(x, y);
      const t1 = performance.now();
      run.o.step();
      const t2 = performance.now();
      run.fb.push(t1 - t0);
      run.up.push(t2 - t1);
    }
  }
  const fb = med(runs.flatMap((r) => r.fb));
  console.log(`${name}: forward + backward ${fb.toFixed(1)} ms (median over every run)`);
  const net = { name, forwardBackwardMs: fb, updates: [] };
  result.nets.push(net);
  for (const run of runs) {
    const up = med(run.up);
    net.updates.push({ optimizer: run.label, updateMs: up, shareOfStep: up / (fb + up) });
    console.log(`  ${run.label.padEnd(20)} update ${up.toFixed(2).padStart(7)} ms = ${(100 * up / (fb + up)).toFixed(2).padStart(5)}% of a step`);
    run.o.dispose();
    run.m.dispose();
  }
}
result.loadAverageEnd = loadavg();
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
console.log(`wrote ${outFile}`);
