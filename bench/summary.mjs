// The README's speed section, from the recorded benchmark JSON (docs/benchmarks/<id>.json, loaded by
// bench/render.mjs): one table of training throughput at one and two threads with the ratio to each
// peer, then one line each for jax-js, inference, the EC overhead, the GEMM against the wasm peak and
// memory. Every number is read from the JSON; a suite without a record shows '-'.
import { modelScaling } from './threads/report.mjs';

const int = (x) => Math.round(x).toLocaleString('en-US');
const x2 = (r) => (r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`);
const dash = '-';

const peer = (peers, w, id) => peers?.workloads.find((x) => x.workload === w)?.peers.find((p) => p.id === id);

export function speedSection(d) {
  const out = [];
  const m = d.peers?.machine;
  out.push(`Measured on ${m ? `${m.cpu}, ${m.logicalCores} logical cores, Node ${m.node}` : 'this machine'}; every number here is rendered from the recorded runs in ` +
    '[docs/benchmarks/](docs/benchmarks/) by `npm run bench:md`, and `npm run bench:all` re-measures them all (about 30 minutes; `cd bench && npm ci` first for jax-js and onnxruntime-web). ' +
    'Medians of interleaved rounds; the spreads, the load during each run and the commands are in [docs/benchmarks.md](docs/benchmarks.md).');
  out.push('', '| training step (forward + loss + backward + update) | ecopt, 1 thread | ecopt, 2 threads (speedup) | ecopt / peer, 1 thread each |', '|---|---:|---:|---|');
  const rows = [
    ['MLP 784-512-512-10, batch 128, SGD', 'mlp', [['tfjs-wasm-core', 'tfjs-wasm hand-tuned'], ['tfjs-wasm-layers', 'tfjs-wasm tf.layers'], ['convnetjs', 'ConvNetJS'], ['tfjs-cpu-layers', 'tfjs-cpu']]],
    ['CNN conv5x5x32-pool-conv5x5x64-pool-dense, batch 64, SGD', 'cnn', [['tfjs-wasm-layers-shim', 'tfjs-wasm tf.layers + our filter-gradient shim'], ['convnetjs', 'ConvNetJS']]],
  ];
  for (const [label, w, peers] of rows) {
    const base = peer(d.peers, w, 'ecopt-sgd');
    const th = modelScaling(d.threads, w), two = th?.samplesPerSec[2];
    const ratios = peers.map(([id, name]) => { const p = peer(d.peers, w, id); return p?.ecoptOverPeer ? `${x2(p.ecoptOverPeer)} ${name}` : null; }).filter(Boolean);
    out.push(`| ${label} | ${base ? int(base.median) : dash} samples/s | ${two ? `${int(two)} (${x2(th.speedup)})` : dash} | ${ratios.join(', ') || dash} |`);
  }
  for (const net of d.resnet?.nets ?? []) {
    const inst = (id) => net.instances.find((i) => i.id === id)?.summary?.median;
    const e1 = inst('ecopt-sgd@1'), e2 = inst('ecopt-sgd@2');
    const tf = net.ratios?.vsTfjs?.['ecopt-sgd@1']?.median, sc = net.ratios?.scaling?.['ecopt-sgd']?.median;
    out.push(`| ${net.name}, batch ${net.batch} of 3x32x32, SGD | ${e1 ? int(e1) : dash} samples/s | ${e2 ? `${int(e2)} (${x2(sc ?? e2 / e1)})` : dash} | ${tf ? `${x2(tf)} tfjs-wasm tf.layers + shim` : dash} |`);
  }
  const jax = [];
  for (const [id, engine] of [['jax-node', 'Node'], ['jax-chromium', 'Chromium']]) {
    for (const run of d[id]?.runs ?? []) {
      if (!run) continue;
      for (const res of Object.values(run.models)) {
        const j = res.trainers['jax-js jit'];
        jax.push(`${res.model.split(' ')[0]} ${engine} ${run.ecoptRuntime.threads}T ${x2(j.ecoptRatio.median)}`);
      }
    }
  }
  if (jax.length) {
    out.push('', `Against **jax-js** (${d['jax-node']?.versions?.['@jax-js/jax'] ? `\`@jax-js/jax\` ${d['jax-node'].versions['@jax-js/jax']}, ` : ''}wasm backend, its own MNIST demo models with Adam, ` +
      `ecopt / jax-js's fastest variant, the whole step under its \`jit\`; same thread count in each pair, test accuracy after the same steps in docs/benchmarks.md): ${jax.join('; ')}.`);
  }
  const inf = d.infer?.runs?.find((r) => r.threads === 1);
  if (inf) {
    const parts = [];
    for (const [net, mm] of Object.entries(inf.nets)) {
      for (const [B, b] of Object.entries(mm.batches)) {
        const ort = Object.entries(b.peers).find(([k]) => k.startsWith('onnxruntime'));
        if (ort?.[1].vsEcopt) parts.push(`${net} batch ${B} ${b.peers.ecopt.latencyMs.median.toPrecision(3)} ms (${x2(ort[1].vsEcopt.median)})`);
      }
    }
    out.push('', `Inference, \`predict()\` latency at one thread: ecopt's, and in brackets onnxruntime-web's latency divided by ecopt's (above 1 ecopt is faster): ${parts.join(', ')}.`);
  }
  const ec = ['mlp', 'cnn'].map((w) => d.peers?.workloads.find((x) => x.workload === w)?.ecOverhead?.pairedMedian);
  const ecg = d['ec-graph']?.nets.map((n) => `${n.name} ${(100 * Math.max(...n.updates.filter((u) => u.optimizer.startsWith('EC')).map((u) => u.shareOfStep))).toFixed(1)}%`);
  const ecParts = [];
  if (ec[0]) ecParts.push(`${((ec[0] - 1) * 100).toFixed(1)}% more than SGD's on the MLP`);
  if (ec[1]) ecParts.push(`${((ec[1] - 1) * 100).toFixed(1)}% more on the CNN (alternating steps in one process)`);
  if (ecg) ecParts.push(`on residual networks the EC update is at most ${ecg.join(' and ')} of a batch-${d['ec-graph'].batch} step`);
  if (ecParts.length) out.push('', `EC-SGD: its step costs ${ecParts.join('; ')}.`);
  const sp = d['simd-peak'];
  if (sp) {
    const fr = sp.gemm.filter((g) => g.N > 16).map((g) => g.fractionOfBestLoop);
    out.push('', `GEMM: ${sp.gemm.find((g) => g.name === '512^3')?.GFLOPs.median.toFixed(1) ?? dash} GFLOP/s at 512³ on one thread, ${Math.round(100 * Math.min(...fr))}-${Math.round(100 * Math.max(...fr))}% of the ` +
      `${sp.peak.wasmSimdBestLoopGFLOPs.toFixed(1)} GFLOP/s that the best register-only wasm SIMD loop reaches here, at every training shape but the thin heads (relaxed SIMD adds nothing on this CPU).`);
  }
  const mem = d.memory?.rows.filter((r) => r.optimizer === 'SGD' && !r.unavailable);
  if (mem?.length) out.push('', `Memory while training with SGD: ${mem.map((r) => `${r.model.split(',')[0]} ${r.bytesPerParameter.toFixed(0)} bytes per parameter (${r.overStrict.toFixed(2)}x the strict minimum)`).join(', ')}.`);
  return out.join('\n');
}
