// The wasm SIMD peak of this machine and every training GEMM shape as a fraction of it.
//   node bench/simd-peak.mjs [--seconds 0.4] [--rounds 5] [--threads 1,2] [--json bench/results/simd-peak.json]
// 1. Builds bench/simd-peak/peak.ts twice (plain SIMD: mul then add; relaxed SIMD: relaxed_madd) and
//    times its loops: independent accumulator chains (the arithmetic peak), the GEMM's own 4x8 tile
//    over L1-resident panels (the peak with its loads), and a dependent-add loop that estimates the
//    clock. With --threads 1,2 the loops also run on 2 worker threads at once (aggregate rate).
// 2. Times the product's GEMM kernels (release build, one thread) at the shapes training uses: the
//    MLP 784-512-512-10 at batch 128 (forward nt, backward tn and nn), the CNN's per-sample conv
//    GEMMs, ResNet-20's 3x3 convs, and 512^3; each as GFLOP/s and as a fraction of the best loop.
// Medians of --rounds; the machine is shared, so read ratios, not single numbers.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { cpus } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = resolve(root, 'bench/simd-peak/peak.ts');
const OUT = { simd: '/tmp/ecopt-peak.wasm', relaxed: '/tmp/ecopt-peak-relaxed.wasm' };

async function instantiate(path) {
  const { instance } = await WebAssembly.instantiate(readFileSync(path), { env: { abort: () => { throw new Error('abort'); } } });
  return instance.exports;
}

/** Runs fn(iters) for about `seconds`, returning iterations per second (median of rounds). */
function rate(fn, seconds, rounds) {
  let iters = 1000;
  for (;;) { const t = performance.now(); fn(iters); const ms = performance.now() - t; if (ms > 20) break; iters *= 4; }
  const t0 = performance.now(); fn(iters); const per = (performance.now() - t0) / iters;
  const n = Math.max(1, Math.round((seconds * 1000) / per));
  const rates = [];
  for (let r = 0; r < rounds; r++) { const t = performance.now(); fn(n); rates.push(n / ((performance.now() - t) / 1000)); }
  rates.sort((a, b) => a - b);
  return { median: rates[rates.length >> 1], min: rates[0], max: rates[rates.length - 1] };
}

const LOOPS = ['chains4', 'chains8', 'chains10', 'chains12', 'tile4x8', 'clockGHz'];

/** One loop of one build: GFLOP/s (flops per iteration x iterations/s), or the clock estimate in GHz. */
function oneLoop(ex, name, seconds, rounds) {
  const kc = 256, a = 1 << 16, b = a + kc * 16;
  const mem = new Float32Array(ex.memory.buffer);
  for (let i = 0; i < kc * 12; i++) mem[(a >> 2) + i] = 1 + (i % 7) * 1e-3;
  if (name === 'clockGHz') { const c = scale(rate((it) => ex.clock(it, 7), seconds, rounds), 2 / 1e9); return { ...c, median: c.max }; } // the least disturbed run
  if (name === 'tile4x8') return scale(rate((it) => ex.tile4x8(a, b, kc, it), seconds, rounds), 2 * 4 * 8 * kc / 1e9);
  const n = Number(name.slice(6));
  return scale(rate((it) => ex[name](it, 1.0001), seconds, rounds), 8 * n / 1e9);
}

function loops(ex, seconds, rounds) {
  return Object.fromEntries(LOOPS.map((l) => [l, oneLoop(ex, l, seconds, rounds)]));
}

/** Every loop on two workers at once (each loop started on both together); the aggregate rate. */
async function loops2(path, seconds, rounds) {
  const ws = [0, 1].map(() => new Worker(fileURLToPath(import.meta.url), { workerData: { path, seconds, rounds }, execArgv: [] }));
  await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
  const out = {};
  for (const l of LOOPS) {
    const res = await Promise.all(ws.map((w) => new Promise((r) => { w.once('message', r); w.postMessage(l); })));
    out[l] = l === 'clockGHz' ? res[0] : { median: res[0].median + res[1].median, min: res[0].min + res[1].min, max: res[0].max + res[1].max };
  }
  await Promise.all(ws.map((w) => w.terminate()));
  return out;
}

const scale = (r, k) => ({ median: r.median * k, min: r.min * k, max: r.max * k });

if (!isMainThread) {
  const { path, seconds, rounds } = workerData;
  const ex = await instantiate(path);
  parentPort.on('message', (name) => parentPort.postMessage(oneLoop(ex, name, seconds, rounds)));
  parentPort.postMessage('ready');
} else {
  const args = process.argv.slice(2);
  const val = (k, d) => { const i = args.indexOf(`--${k}`); return i >= 0 ? args[i + 1] : d; };
  const seconds = Number(val('seconds', 0.4));
  const rounds = Number(val('rounds', 5));
  const threads = String(val('threads', '1,2')).split(',').map(Number);
  const jsonOut = val('json', resolve(root, 'bench/results/simd-peak.json'));
  const asc = resolve(root, 'node_modules/.bin/asc');
  const common = ['--config', '/dev/null', '--runtime', 'stub', '-O3', '--noAssert', '--converge', '--initialMemory', '16'];
  execFileSync(asc, [SRC, ...common, '--enable', 'simd', '--outFile', OUT.simd], { stdio: 'inherit' });
  let relaxedOK = true;
  execFileSync(asc, [SRC, ...common, '--enable', 'simd', '--enable', 'relaxed-simd', '--outFile', OUT.relaxed], { stdio: 'inherit' });
  try {
    await instantiate(OUT.relaxed);
  } catch {
    relaxedOK = false;
  }
  if (args.includes('--loops-only')) {
    // child mode (relaxed SIMD under --experimental-wasm-relaxed-simd): print the relaxed loops as JSON
    const one = loops(await instantiate(OUT.relaxed), seconds, rounds);
    const two = threads.includes(2) ? await loops2(OUT.relaxed, seconds, rounds) : undefined;
    process.stdout.write(JSON.stringify({ '1 thread': one, ...(two ? { '2 threads': two } : {}) }));
    process.exit(0);
  }
  const result = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, builds: {} };
  if (!relaxedOK) {
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), '--loops-only',
      '--seconds', String(seconds), '--rounds', String(rounds), '--threads', threads.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    result.builds.relaxed = JSON.parse(out.slice(out.indexOf('{')));
    result.relaxedNote = 'run in a child process with --experimental-wasm-relaxed-simd (Node 20 rejects it by default)';
  }
  for (const build of relaxedOK ? ['simd', 'relaxed'] : ['simd']) {
    const ex = await instantiate(OUT[build]);
    const one = loops(ex, seconds, rounds);
    result.builds[build] = { '1 thread': one };
    if (threads.includes(2)) result.builds[build]['2 threads'] = await loops2(OUT[build], seconds, rounds);
  }
  const best = Math.max(...Object.entries(result.builds.simd['1 thread']).filter(([k]) => k !== 'clockGHz').map(([, v]) => v.median));
  const ghz = result.builds.simd['1 thread'].clockGHz.median;
  result.peak = {
    wasmSimdBestLoopGFLOPs: best,
    clockGHzEstimate: ghz,
    // 128-bit wasm SIMD without fusion: at most 2 multiplies and 2 adds of 4 lanes per cycle on this core (4 FP pipes)
    wasm128TheoreticalGFLOPs: 16 * ghz,
    // native AVX-512: 2 FMA pipes x 16 f32 lanes x 2 flops per cycle
    nativeAVX512TheoreticalGFLOPs: 64 * ghz,
  };

  // ---- the product's GEMM at the training shapes (release build, one thread)
  process.env.ECOPT_THREADS = '1';
  const { init } = await import(resolve(root, 'dist/index.js'));
  const { kernels: k, arena } = await init({ threads: 1 });
  const shapes = [
    ['512^3', 'nn', 512, 512, 512], ['512^3', 'nt', 512, 512, 512], ['512^3', 'tn', 512, 512, 512],
    ['MLP fwd 784->512', 'nt', 128, 512, 784], ['MLP dW 784->512', 'tn', 512, 784, 128], ['MLP dx 512->784', 'nn', 128, 784, 512],
    ['MLP fwd 512->512', 'nt', 128, 512, 512], ['MLP dW 512->512', 'tn', 512, 512, 128], ['MLP dx 512->512', 'nn', 128, 512, 512],
    ['MLP fwd 512->10 (thin head)', 'nt', 128, 10, 512],
    ['CNN conv1 fwd (O32 K25 P784)', 'nn', 32, 784, 25], ['CNN conv2 fwd (O64 K800 P196)', 'nn', 64, 196, 800],
    ['CNN conv2 dW (nt O64 K800 P196)', 'nt', 64, 800, 196], ['CNN conv2 dcol (tn K800 P196 O64)', 'tn', 800, 196, 64],
    ['ResNet 16ch 32x32 fwd (O16 K144 P1024)', 'nn', 16, 1024, 144], ['ResNet 32ch 16x16 fwd (O32 K288 P256)', 'nn', 32, 256, 288],
    ['ResNet 64ch 8x8 fwd (O64 K576 P64)', 'nn', 64, 64, 576], ['ResNet 64ch dcol (tn K576 P64 O64)', 'tn', 576, 64, 64],
  ];
  result.gemm = [];
  for (const [name, kind, M, N, K] of shapes) {
    const a = arena.alloc(M * K * 4), b = arena.alloc(K * N * 4), c = arena.alloc(M * N * 4), s = arena.alloc(k.gemm_scratch_bytes(M, N, K) + 64);
    arena.f32(a, M * K).fill(0.5); arena.f32(b, K * N).fill(0.25);
    const fn = k[`gemm_${kind}`];
    const r = rate((it) => { for (let i = 0; i < it; i++) fn(c, a, b, M, N, K, 0, s); }, seconds, rounds);
    const g = scale(r, (2 * M * N * K) / 1e9);
    result.gemm.push({ name, kind, M, N, K, GFLOPs: g, fractionOfBestLoop: g.median / best });
    for (const p of [a, b, c, s]) arena.release(p);
  }

  const f = (x) => x.toFixed(1);
  console.log(`\nCPU ${result.cpu}, ${result.cores} cores, clock estimate ${ghz.toFixed(2)} GHz (dependent-add loop)`);
  for (const [build, byT] of Object.entries(result.builds)) {
    for (const [t, res] of Object.entries(byT)) {
      console.log(`${build.padEnd(8)} ${t.padEnd(10)} ` + Object.entries(res).filter(([kk]) => kk !== 'clockGHz').map(([kk, v]) => `${kk} ${f(v.median)} [${f(v.min)}-${f(v.max)}]`).join('  ') + '  GFLOP/s');
    }
  }
  console.log(`peak: best plain-SIMD loop ${f(best)} GFLOP/s; 128-bit theoretical ${f(result.peak.wasm128TheoreticalGFLOPs)}; native AVX-512 theoretical ${f(result.peak.nativeAVX512TheoreticalGFLOPs)}`);
  console.log('\nGEMM shape'.padEnd(44) + 'kind      M     N     K   GFLOP/s [min-max]   of best loop');
  for (const g of result.gemm) {
    console.log(`${g.name.padEnd(43)} ${g.kind}  ${String(g.M).padStart(5)} ${String(g.N).padStart(5)} ${String(g.K).padStart(5)}   ${f(g.GFLOPs.median).padStart(5)} [${f(g.GFLOPs.min)}-${f(g.GFLOPs.max)}]   ${(100 * g.fractionOfBestLoop).toFixed(0)}%`);
  }
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify(result, null, 2));
  console.log(`\nwrote ${jsonOut}`);
}
