// ecopt vs jax-js (@jax-js/jax, wasm backend) in Node on jax-js's own MNIST demo models (see
// models.mjs): MLP 784-256-128-10 batch 1000 and ConvNet batch 250, Adam lr 0.005, real MNIST.
// One child process per thread count (ecopt's runtime is loaded once per process); inside it the
// trainers are interleaved round by round (core.mjs). Prints medians and quartiles of samples/s and of
// the per-round ratio ecopt / jax-js, and test accuracy after the same number of steps; writes
// bench/results/jax-node.json.
//
//   cd bench && npm ci && cd ..           # once: installs @jax-js/jax into bench/node_modules
//   npm run build                          # ecopt's dist/ and build/*.wasm
//   node bench/jax/run.mjs [--threads 1,2] [--models mlp,cnn] [--rounds 9] [--relaxed]
//
// Threads: ecopt gets init({ threads: T }). jax-js's wasm backend starts its worker pool only where a
// global `Worker` and SharedArrayBuffer exist (browsers); Node has no global Worker, so in Node jax-js
// always runs its kernels synchronously on the calling thread -- one thread whatever T is.
// --relaxed: run the children with --experimental-wasm-relaxed-simd (Node 20 has relaxed SIMD behind
// that flag): jax-js then emits f32x4.relaxed_madd in its reductions (it probes with
// WebAssembly.validate), and ecopt is loaded with init({ relaxedSimd: true }) (single-threaded build).
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const val = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const DEFAULT_ROUNDS = { mlp: 9, cnn: 5 };
const DEFAULT_STEPS = { mlp: 6, cnn: 2 };
const DEFAULT_WARMUP = { mlp: 6, cnn: 2 };

if (args.includes('--child')) {
  const T = Number(val('--threads', '1'));
  const relaxed = args.includes('--relaxed');
  const jax = await import('@jax-js/jax').catch(async () => import(`${root}bench/node_modules/@jax-js/jax/dist/index.js`));
  const ecopt = await import(`${root}dist/index.js`);
  const rt = await ecopt.init({ threads: T, relaxedSimd: relaxed });
  const devices = await jax.init('wasm');
  jax.defaultDevice('wasm');
  const { train, test } = await ecopt.loadMNIST({});
  const out = {
    threads: T, relaxed, ecoptRuntime: { threads: rt.threads, build: rt.build, note: rt.note ?? null },
    jax: { devices, device: jax.defaultDevice(), workerPool: typeof Worker !== 'undefined' && typeof SharedArrayBuffer !== 'undefined',
      relaxedSimd: WebAssembly.validate(Buffer.from('0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b', 'hex')) },
    models: {},
  };
  const { runPair } = await import('./core.mjs');
  for (const which of val('--models', 'mlp,cnn').split(',')) {
    out.models[which] = await runPair({
      jax, ecopt, which, train, test,
      rounds: Number(val(`--rounds-${which}`, val('--rounds', DEFAULT_ROUNDS[which]))),
      steps: Number(val(`--steps-${which}`, DEFAULT_STEPS[which])),
      warmup: Number(val(`--warmup-${which}`, DEFAULT_WARMUP[which])),
      log: (m) => process.send({ log: `[${T}T${relaxed ? ' relaxed' : ''}] ${m}` }),
    });
    process.send({ partial: out });
  }
  process.send({ result: out });
  await ecopt.shutdown();
  process.exit(0);
}

const { formatPair } = await import('./core.mjs');
const threads = val('--threads', '1,2').split(',').map(Number);
const pass = args.filter((a, i) => !['--threads', '--out'].includes(a) && !['--threads', '--out'].includes(args[i - 1]));
const pkg = (p) => { try { return JSON.parse(readFileSync(p, 'utf8')).version; } catch { return null; } };
let cpu = os.cpus()[0]?.model;
try { cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu; } catch { /* not Linux */ }
const report = {
  date: new Date().toISOString(), machine: { cpu, cores: os.cpus().length, node: process.version, loadavgAtStart: os.loadavg() },
  versions: { ecopt: pkg(`${root}package.json`), '@jax-js/jax': pkg(`${root}bench/node_modules/@jax-js/jax/package.json`) },
  runs: [],
};
const out = val('--out', `${root}bench/results/jax-node${args.includes('--relaxed') ? '-relaxed' : ''}.json`);
const save = () => { mkdirSync(dirname(out), { recursive: true }); writeFileSync(out, JSON.stringify(report, null, 1)); };
const show = (res, which) => console.log(formatPair(res.models[which], `Node ${process.version}, ${res.threads} thread(s) [ecopt ${res.ecoptRuntime.threads} thread(s), ${res.ecoptRuntime.build} build; jax-js ${res.jax.workerPool ? 'worker pool' : '1 thread (no Worker in Node)'}${res.jax.relaxedSimd ? ', relaxed SIMD' : ''}]: `));
for (const T of threads) {
  const execArgv = args.includes('--relaxed') ? ['--experimental-wasm-relaxed-simd'] : [];
  const child = fork(fileURLToPath(import.meta.url), ['--child', '--threads', String(T), ...pass], { execArgv, cwd: here });
  const idx = report.runs.length;
  const shown = new Set();
  const res = await new Promise((resolve, reject) => {
    let r = null;
    child.on('message', (m) => {
      if (m.log) console.error(m.log);
      const p = m.partial ?? m.result;
      if (p) {
        report.runs[idx] = p; report.machine.loadavgAtEnd = os.loadavg(); save();
        for (const w of Object.keys(p.models)) if (!shown.has(w)) { shown.add(w); show(p, w); }
      }
      if (m.result) r = m.result;
    });
    child.on('exit', (code, signal) => (r ? resolve(r) : reject(new Error(`child (${T} threads) exited with ${code ?? signal}`))));
  });
  report.runs[idx] = res;
}
report.machine.loadavgAtEnd = os.loadavg();
save();
console.log(`wrote ${out}; load average ${report.machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')} at start, ${report.machine.loadavgAtEnd.map((x) => x.toFixed(2)).join(' ')} at end`);
