// What a matrix-vector path would buy ecopt's Dense layers at batch 1 (see docs/benchmarks.md,
// "Inference latency", where ecopt is slower): ecopt's gemm_nt at M = 1 against a 30-line SIMD
// matrix-vector prototype (bench/infer/gemv-proto.ts, compiled here with the repository's asc, -O3,
// strict SIMD) at the MLP's layer shapes, interleaved; prints both times and the largest difference
// (the sums run in another order, so the bits differ by rounding).
//   npm run build && node bench/infer/gemv-proto.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecopt-gemv-'));
execFileSync(join(root, 'node_modules/.bin/asc'), [join(root, 'bench/infer/gemv-proto.ts'), '-O3', '--enable', 'simd', '--runtime', 'stub', '--initialMemory', '64', '-o', join(dir, 'gemv.wasm')], { stdio: 'inherit' });
const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, 'gemv.wasm')), {});
rmSync(dir, { recursive: true, force: true });
const E = await import(join(root, 'dist/index.js'));
const rt = await E.init({ threads: 1 });
const g = instance.exports, k = rt.kernels, a = rt.arena;
const med = (xs) => { const s = [...xs].sort((p, q) => p - q); return s[s.length >> 1]; };
const time = (f, n = 300) => { for (let i = 0; i < 50; i++) f(); const s = performance.now(); for (let i = 0; i < n; i++) f(); return ((performance.now() - s) / n) * 1000; };
let total = [0, 0];
for (const [N, K] of [[512, 784], [512, 512], [10, 512]]) {
  const w = 65536, x = w + N * K * 4, y = x + K * 4;
  const W = new Float32Array(g.memory.buffer, w, N * K), X = new Float32Array(g.memory.buffer, x, K);
  W.forEach((_, i) => { W[i] = Math.sin(i) * 0.05; });
  X.forEach((_, i) => { X[i] = (i % 7) / 7; });
  const c = a.alloc(N * 4), xa = a.alloc(K * 4), wa = a.alloc(N * K * 4), s = a.alloc(k.gemm_scratch_bytes(1, N, K));
  a.f32(wa, N * K).set(W); a.f32(xa, K).set(X);
  const te = [], tp = [];
  for (let r = 0; r < 15; r++) { te.push(time(() => k.gemm_nt(c, xa, wa, 1, N, K, 0, s))); tp.push(time(() => g.gemv(y, w, x, N, K))); }
  let d = 0;
  const p = new Float32Array(g.memory.buffer, y, N), q = a.f32(c, N);
  for (let i = 0; i < N; i++) d = Math.max(d, Math.abs(p[i] - q[i]));
  total = [total[0] + med(te), total[1] + med(tp)];
  console.log(`1x${N}x${K}: ecopt gemm_nt ${med(te).toFixed(1)} us, matrix-vector prototype ${med(tp).toFixed(1)} us, median ratio ${med(te.map((e, i) => e / tp[i])).toFixed(2)}x, max |diff| ${d.toExponential(1)}`);
}
console.log(`the MLP's three layers: ${total[0].toFixed(0)} us -> ${total[1].toFixed(0)} us`);
await E.shutdown();
