// A/B timing of GEMM builds, interleaved in one process (the machine is shared: only ratios measured
// side by side mean anything), plus a bit-identity check of every build against the first.
//   node bench/gemm-ab.mjs --src /tmp/old-gemm.ts --src assembly/gemm.ts [--rounds 31] [--ms 8] [--json out.json] [--shapes simd-peak|dev]
// Each --src is compiled on its own like bench/gemm-dev.mjs does (gemm.ts needs nothing else from
// assembly/). Per shape and round every build runs ~ms of calls (order rotated per round); the
// rates are per CPU second of this process (process.cpuUsage; --wall for wall-clock time), so time
// the scheduler gives other jobs does not count; the
// table shows each build's best GFLOP/s (least disturbed run: on a loaded machine interruptions only
// slow a run down), that best over build 0's best, and the median of the per-round ratios to build 0.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const all = (k) => args.flatMap((a, i) => (a === `--${k}` ? [args[i + 1]] : []));
const val = (k, d) => { const i = args.indexOf(`--${k}`); return i >= 0 ? args[i + 1] : d; };
const srcs = all('src');
const rounds = Number(val('rounds', 31)), ms = Number(val('ms', 8));
const useCpu = !args.includes('--wall');

const builds = [];
for (const [i, src] of srcs.entries()) {
  const out = `/tmp/ecopt-gemm-ab-${i}.wasm`;
  execFileSync(resolve(root, 'node_modules/.bin/asc'), [src, '--config', '/dev/null', '--runtime', 'stub', '--enable', 'simd', '-O3',
    '--noAssert', '--converge', '--initialMemory', '512', '--outFile', out], { stdio: 'inherit', cwd: root });
  const { instance } = await WebAssembly.instantiate(readFileSync(out), { env: { abort: () => { throw new Error('abort'); }, seed: () => 1 } });
  builds.push(instance.exports);
}

// the shapes of bench/simd-peak.mjs (training shapes) and a few edge shapes
const SHAPES = [
  ['nn', 512, 512, 512], ['nt', 512, 512, 512], ['tn', 512, 512, 512],
  ['nt', 128, 512, 784], ['tn', 512, 784, 128], ['nn', 128, 784, 512],
  ['nt', 128, 512, 512], ['tn', 512, 512, 128], ['nn', 128, 512, 512], ['nt', 128, 10, 512],
  ['nn', 32, 784, 25], ['nn', 64, 196, 800], ['nt', 64, 800, 196], ['tn', 800, 196, 64],
  ['nn', 16, 1024, 144], ['nn', 32, 256, 288], ['nn', 64, 64, 576], ['tn', 576, 64, 64],
];
const only = val('only', null);
const shapes = only ? SHAPES.filter((s) => only.split(';').includes(s.join(','))) : SHAPES;

let rng = 7;
const rand = () => { rng = (Math.imul(rng, 1103515245) + 12345) >>> 0; return rng / 2 ** 32 - 0.5; };
const BASE = 1 << 20;
const fnOf = (ex, kind) => ex[`gemm_${kind}`];
console.log(`${useCpu ? 'CPU' : 'wall'} time; ${rounds} interleaved rounds of ~${ms} ms per build and shape; ratios are to build 0 (${srcs[0]})`);
console.log('kind     M     N     K  ' + srcs.map((_, i) => `  b${i}: best  /b0  med-ratio`).join('') + '   bits');
const results = [];
for (const [kind, M, N, K] of shapes) {
  const sb = Math.max(...builds.map((ex) => ex.gemm_scratch_bytes(M, N, K)));
  const a = BASE, b = a + M * K * 4 + 64, c = b + K * N * 4 + 64, s = c + M * N * 4 + 64, end = s + sb + 64;
  const A = Float32Array.from({ length: M * K }, rand), B = Float32Array.from({ length: K * N }, rand), C0 = Float32Array.from({ length: M * N }, rand);
  const outs = [];
  for (const ex of builds) {
    if (ex.memory.buffer.byteLength < end) ex.memory.grow(Math.ceil((end - ex.memory.buffer.byteLength) / 65536));
    const f = new Float32Array(ex.memory.buffer);
    f.set(A, a >> 2); f.set(B, b >> 2);
    const res = [];
    for (const acc of [0, 1]) { f.set(C0, c >> 2); fnOf(ex, kind)(c, a, b, M, N, K, acc, s); res.push(new Uint32Array(ex.memory.buffer, c, M * N).slice()); }
    outs.push(res);
  }
  const same = outs.every((r) => r.every((x, j) => x.every((v, i) => v === outs[0][j][i])));
  const flops = 2 * M * N * K;
  const reps = builds.map((ex) => { const fn = fnOf(ex, kind); let r = 1; for (;;) { const t = performance.now(); for (let i = 0; i < r; i++) fn(c, a, b, M, N, K, 0, s); const dt = performance.now() - t; if (dt > ms / 4) return Math.max(1, Math.round(r * ms / dt)); r *= 2; } });
  const g = builds.map(() => []), ratio = builds.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const here = [];
    for (let q = 0; q < builds.length; q++) {
      const i = (q + r) % builds.length, fn = fnOf(builds[i], kind);
      const t = performance.now(), u = process.cpuUsage();
      for (let k = 0; k < reps[i]; k++) fn(c, a, b, M, N, K, 0, s);
      const wall = performance.now() - t, du = process.cpuUsage(u), cpu = (du.user + du.system) / 1000;
      here[i] = flops * reps[i] / ((useCpu ? cpu : wall) * 1e6);
    }
    here.forEach((x, i) => { g[i].push(x); ratio[i].push(x / here[0]); });
  }
  const med = (xs) => { const t = [...xs].sort((p, q) => p - q); return t[t.length >> 1]; };
  const best = (xs) => Math.max(...xs);
  console.log(`${kind.padEnd(4)} ${String(M).padStart(5)} ${String(N).padStart(5)} ${String(K).padStart(5)}  ` +
    builds.map((_, i) => `  ${best(g[i]).toFixed(1).padStart(5)} ${(best(g[i]) / best(g[0])).toFixed(3)} ${med(ratio[i]).toFixed(3)}`).join('') + `   ${same ? 'same' : 'DIFFERENT'}`);
  results.push({ kind, M, N, K, same, builds: builds.map((_, i) => ({ best: best(g[i]), median: med(g[i]), medianRatio: med(ratio[i]), all: g[i] })) });
}
const json = val('json', null);
if (json) (await import('node:fs')).writeFileSync(json, JSON.stringify({ srcs, rounds, ms, results }, null, 2));
