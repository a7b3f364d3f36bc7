// Inference latency: predict() of the MLP, the CNN and ResNet-20 (bench/infer/models.mjs) at batch 1
// and 32, ecopt next to onnxruntime-web (wasm backend, the .onnx files of bench/infer/export.mjs),
// TensorFlow.js wasm (tf.layers) and jax-js (wasm, forward under jit), in Node.
//
//   npm run build && (cd bench && npm ci)
//   node bench/infer/run.mjs [--threads 1,2] [--nets mlp,cnn,resnet20] [--batches 1,32] [--rounds 15]
//                            [--ms 150] [--peers ort,tfjs,jax,fold] [--out bench/results/infer.json]
//
// One child process per thread count T (ecopt's runtime and onnxruntime-web's thread count are set
// once per process). T = 1: every peer on one thread. T = 2: ecopt init({ threads: 2 }) and
// onnxruntime-web numThreads 2 (tfjs-wasm and jax-js have no threads in Node, so they are not re-run).
// In a child, per net and batch size:
//   1. correctness: every peer's logits on the same seeded inputs must equal ecopt's predict() within
//      1e-4 x max(1, max |logit|) (float32 sums in another order); a peer that fails is not timed;
//   2. warm-up: >= 300 ms and >= 5 calls per peer (2 when a call takes over 1 s); the calls per round
//      are then set so that a peer spends about --ms per round (3..200 calls; 1 when a call takes > 1 s);
//   3. --rounds interleaved rounds, the peers' order rotated each round, every call timed alone.
// Reported: per peer the median and quartiles of all call latencies, and the median and quartiles
// over rounds of (peer's round median / ecopt's round median): > 1 means ecopt is faster.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const val = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); const p = (s.length - 1) * q, lo = Math.floor(p), hi = Math.ceil(p); return s[lo] + (s[hi] - s[lo]) * (p - lo); };
const stats = (xs) => ({ median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), n: xs.length });

if (args.includes('--child')) {
  const T = Number(val('--threads', '1'));
  const E = await import(`${root}dist/index.js`);
  const rt = await E.init({ threads: T });
  const { NETS, buildEcopt, weightsDigest, inputs } = await import('./models.mjs');
  const P = await import('./peers.mjs');
  const manifest = JSON.parse(readFileSync(`${root}bench/infer/onnx/manifest.json`, 'utf8'));
  const rounds = Number(val('--rounds', 15)), budget = Number(val('--ms', 150));
  const out = { threads: T, ecoptRuntime: { threads: rt.threads, build: rt.build, note: rt.note ?? null }, nets: {} };
  const log = (m) => process.send({ log: `[${T}T] ${m}` });
  for (const net of val('--nets', 'mlp,cnn,resnet20').split(',')) {
    const model = buildEcopt(E, net);
    const digest = weightsDigest(model);
    if (manifest[net]?.weightsSha256 !== digest) throw new Error(`${net}: the weights differ from those bench/infer/onnx/${net}.onnx was exported from; run node bench/infer/export.mjs`);
    const want = (id) => !args.includes('--peers') || val('--peers', '').split(',').includes(id);
    const peers = [P.ecopt(net, model, E)];
    if (net === 'resnet20' && want('fold')) peers.push(P.ecopt(net, model, E, { fold: true }));
    const unavailable = {};
    const add = async (name, f) => { try { peers.push(await f()); } catch (e) { unavailable[name] = String(e?.stack ?? e).split('\n').slice(0, 3).join(' | '); log(`${net}: ${name} unavailable: ${unavailable[name]}`); } };
    // tfjs first: once onnxruntime-web is loaded, tfjs-wasm's loader takes Node for a threaded browser
    if (T === 1 && want('tfjs')) await add('tfjs-wasm', () => P.tfjsLayers(net, model));
    if (T === 1 && want('jax')) await add('jax-js', () => P.jaxjs(net, model));
    if (want('ort')) await add('onnxruntime-web', () => P.ort(net, T));
    const res = { name: NETS[net].name, parameters: model.parameterCount, peers: Object.fromEntries(peers.map((p) => [p.label, p.info])), unavailable, batches: {} };
    for (const B of val('--batches', '1,32').split(',').map(Number)) {
      const x = inputs(E, net, B, 99);
      const ref = await peers[0].predict(x, B);
      const refMax = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0), tol = 1e-4 * Math.max(1, refMax);
      const xs = new Map(peers.map((p) => [p, p.preparedInput ? p.preparedInput(x, B) : x]));
      const check = {};
      const timed = [];
      for (const p of peers) {
        const y = await p.predict(xs.get(p), B);
        let d = y.length === ref.length ? 0 : Infinity;
        for (let i = 0; d !== Infinity && i < ref.length; i++) d = Math.max(d, Math.abs(y[i] - ref[i]));
        check[p.label] = { maxAbsDiff: d, tolerance: tol, maxAbsLogit: refMax, ok: d <= tol };
        if (d <= tol) timed.push(p); else log(`${net} B=${B}: ${p.label} differs from ecopt by ${d} (tolerance ${tol}): not timed`);
      }
      const perCall = new Map();
      for (const p of timed) {
        const w = [];
        const t0 = performance.now();
        while ((w.length < 5 && !(w.length >= 2 && w[1] > 1000)) || performance.now() - t0 < 300) { const s = performance.now(); await p.predict(xs.get(p), B); w.push(performance.now() - s); }
        perCall.set(p, Math.max(w[w.length - 1] > 1000 ? 1 : 3, Math.min(200, Math.round(budget / quantile(w, 0.5)))));
      }
      const lat = new Map(timed.map((p) => [p, []])), roundMed = new Map(timed.map((p) => [p, []]));
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < timed.length; i++) {
          const p = timed[(i + r) % timed.length];
          const ms = [];
          for (let c = 0; c < perCall.get(p); c++) { const s = performance.now(); await p.predict(xs.get(p), B); ms.push(performance.now() - s); }
          lat.get(p).push(...ms);
          roundMed.get(p).push(quantile(ms, 0.5));
        }
      }
      const e = roundMed.get(peers[0]);
      const rb = { check, callsPerRound: Object.fromEntries(timed.map((p) => [p.label, perCall.get(p)])), peers: {} };
      for (const p of timed) {
        rb.peers[p.label] = { latencyMs: stats(lat.get(p)), roundMedianMs: roundMed.get(p) };
        if (p !== peers[0]) { const ratios = roundMed.get(p).map((m, r) => m / e[r]); rb.peers[p.label].vsEcopt = { ...stats(ratios), perRound: ratios }; }
      }
      res.batches[B] = rb;
      log(`${net} B=${B}: ` + timed.map((p) => `${p.label} ${rb.peers[p.label].latencyMs.median.toFixed(3)} ms${rb.peers[p.label].vsEcopt ? ` (${rb.peers[p.label].vsEcopt.median.toFixed(2)}x)` : ''}`).join(', '));
    }
    out.nets[net] = res;
    model.dispose();
  }
  process.send({ result: out });
  await E.shutdown();
  process.exit(0);
}

// ---- parent ----
const threads = val('--threads', '1,2').split(',').map(Number);
const outPath = resolve(root, val('--out', 'bench/results/infer.json'));
const pass = args.filter((a, i) => !['--threads', '--out'].includes(a) && !['--threads', '--out'].includes(args[i - 1]));
const version = (p) => { try { return JSON.parse(readFileSync(`${root}${p}/package.json`, 'utf8')).version; } catch { return null; } };
const result = {
  date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length,
  loadAverageStart: os.loadavg(), versions: { ecopt: version(''), 'onnxruntime-web': version('bench/node_modules/onnxruntime-web'), '@jax-js/jax': version('bench/node_modules/@jax-js/jax'), '@tensorflow/tfjs': version('node_modules/@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': version('node_modules/@tensorflow/tfjs-backend-wasm') },
  runs: [],
};
for (const T of threads) {
  const r = await new Promise((res, rej) => {
    const c = fork(fileURLToPath(import.meta.url), ['--child', '--threads', String(T), ...pass], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let got = null;
    c.on('message', (m) => { if (m.log) console.log(m.log); if (m.result) got = m.result; });
    c.on('exit', (code) => (got ? res(got) : rej(new Error(`child (${T} threads) exited with ${code}`))));
  });
  result.runs.push(r);
}
result.loadAverageEnd = os.loadavg();
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, JSON.stringify(result, null, 2));
const f = (s) => `${s.median < 10 ? s.median.toFixed(3) : s.median.toFixed(1)} [${s.q1 < 10 ? s.q1.toFixed(3) : s.q1.toFixed(1)}-${s.q3 < 10 ? s.q3.toFixed(3) : s.q3.toFixed(1)}]`;
console.log(`\nload average ${result.loadAverageStart.map((v) => v.toFixed(2)).join(' ')} at the start, ${result.loadAverageEnd.map((v) => v.toFixed(2)).join(' ')} at the end`);
console.log('threads | net | batch | peer | latency ms median [q1-q3] | peer / ecopt median [q1-q3] | check max |diff|');
for (const run of result.runs) for (const [net, n] of Object.entries(run.nets)) for (const [B, b] of Object.entries(n.batches)) for (const [label, p] of Object.entries(b.peers)) {
  console.log(`${run.threads} | ${net} | ${B} | ${label} | ${f(p.latencyMs)} | ${p.vsEcopt ? f(p.vsEcopt) : '1'} | ${b.check[label].maxAbsDiff.toExponential(1)}`);
}
console.log(`wrote ${outPath}`);
