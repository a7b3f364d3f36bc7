// Standalone dev harness for assembly/gemm.ts: correctness at odd sizes + GFLOP/s timing.
//   node bench/gemm-dev.mjs [--build] [--no-check] [--no-bench] [--wasm /tmp/gemm.wasm] [--quick]
// --build compiles assembly/gemm.ts on its own (does not depend on the rest of assembly/):
//   npx asc assembly/gemm.ts --config /dev/null --runtime stub --enable simd -O3 --noAssert \
//     --converge --initialMemory 256 --outFile /tmp/gemm.wasm
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name) => args.includes(name);
const val = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasmPath = val('--wasm', '/tmp/gemm.wasm');
const src = val('--src', resolve(root, 'assembly/gemm.ts'));

if (opt('--build') || !existsSync(wasmPath)) {
  execFileSync(resolve(root, 'node_modules/.bin/asc'), [src, '--config', '/dev/null', '--runtime', 'stub',
    '--enable', 'simd', '-O3', '--noAssert', '--converge', '--initialMemory', '256', '--outFile', wasmPath],
    { stdio: 'inherit', cwd: root });
}

const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
  env: { abort: () => { throw new Error('abort'); }, seed: () => 1 },
});
const ex = instance.exports;
const mem = ex.memory;
const kernels = { nn: ex.gemm_nn, nt: ex.gemm_nt, tn: ex.gemm_tn };

// ---- memory layout: [A][guard][B][guard][C][guard][scratch][guard], all 16-byte aligned
const BASE = 1 << 20;
const GUARD = 64; // floats of guard after every region
const SENT = 0x7fc0dead; // NaN bit pattern as sentinel
function layout(M, N, K, scratchBytes) {
  const al = (x) => (x + 3) & ~3;
  let p = BASE >> 2;
  const a = p; p += al(M * K) + GUARD;
  const b = p; p += al(K * N) + GUARD;
  const c = p - GUARD + GUARD; p += al(M * N) + GUARD;
  const s = p; p += al(scratchBytes >> 2) + GUARD;
  const need = p * 4;
  if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
  return { a, b, c, s, end: p };
}

// sequential-f32 emulation of the documented order: acc = c0 (or +0); for k: acc = fl(acc + fl(a*b))
function seqF32(kind, A, B, C0, M, N, K) {
  const f = Math.fround;
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let acc = C0 ? C0[i * N + j] : 0;
    for (let k = 0; k < K; k++) {
      const av = kind === 'tn' ? A[k * M + i] : A[i * K + k];
      const bv = kind === 'nt' ? B[j * K + k] : B[k * N + j];
      acc = f(acc + f(av * bv));
    }
    out[i * N + j] = acc;
  }
  return out;
}
function refF64(kind, A, B, M, N, K) {
  const out = new Float64Array(M * N), mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0, m = 0;
    for (let k = 0; k < K; k++) {
      const av = kind === 'tn' ? A[k * M + i] : A[i * K + k];
      const bv = kind === 'nt' ? B[j * K + k] : B[k * N + j];
      s += av * bv; m += Math.abs(av * bv);
    }
    out[i * N + j] = s; mag[i * N + j] = m;
  }
  return { out, mag };
}

let rng = 12345;
const rand = () => { rng = (Math.imul(rng, 1103515245) + 12345) >>> 0; return rng / 2 ** 32 - 0.5; };

let failures = 0, checks = 0;
function check(kind, M, N, K, accumulate) {
  const sb = ex.gemm_scratch_bytes(M, N, K);
  const L = layout(M, N, K, sb);
  const f32 = new Float32Array(mem.buffer), u32 = new Uint32Array(mem.buffer);
  u32.fill(SENT, BASE >> 2, L.end);
  const A = f32.subarray(L.a, L.a + M * K), B = f32.subarray(L.b, L.b + K * N), C = f32.subarray(L.c, L.c + M * N);
  for (let i = 0; i < A.length; i++) A[i] = rand();
  for (let i = 0; i < B.length; i++) B[i] = rand();
  for (let i = 0; i < C.length; i++) C[i] = accumulate ? rand() : NaN; // overwrite mode must ignore C
  const Acopy = A.slice(), Bcopy = B.slice(), C0 = C.slice();
  kernels[kind](L.c * 4, L.a * 4, L.b * 4, M, N, K, accumulate, L.s * 4);
  const f = new Float32Array(mem.buffer), u = new Uint32Array(mem.buffer);
  const Cout = f.slice(L.c, L.c + M * N);
  const tag = `${kind} M=${M} N=${N} K=${K} acc=${accumulate}`;
  const fail = (msg) => { if (failures++ < 20) console.log('FAIL', tag, msg); };
  checks++;
  // guards (and inputs untouched)
  for (const [start, len] of [[L.a + M * K, L.b - L.a - M * K], [L.b + K * N, L.c - L.b - K * N], [L.c + M * N, L.s - L.c - M * N], [L.s + Math.ceil(sb / 4), L.end - L.s - Math.ceil(sb / 4)]]) {
    for (let i = start; i < start + len; i++) if (u[i] !== SENT) { fail(`guard overwritten at +${i - start}`); return; }
  }
  for (let i = 0; i < M * K; i++) if (!Object.is(f[L.a + i], Acopy[i])) { fail('A modified'); return; }
  for (let i = 0; i < K * N; i++) if (!Object.is(f[L.b + i], Bcopy[i])) { fail('B modified'); return; }
  // exact documented order
  const exp = seqF32(kind, Acopy, Bcopy, accumulate ? C0 : null, M, N, K);
  for (let i = 0; i < M * N; i++) if (!Object.is(exp[i], Cout[i])) { fail(`order mismatch at ${i}: ${Cout[i]} vs ${exp[i]}`); return; }
  // float64 reference
  const { out, mag } = refF64(kind, Acopy, Bcopy, M, N, K);
  for (let i = 0; i < M * N; i++) {
    const want = out[i] + (accumulate ? C0[i] : 0);
    const tol = 1e-6 * (K + 2) * (mag[i] + (accumulate ? Math.abs(C0[i]) : 0)) + 1e-30;
    if (!(Math.abs(Cout[i] - want) <= tol)) { fail(`value at ${i}: ${Cout[i]} vs ${want}`); return; }
  }
}

if (!opt('--no-check')) {
  const t0 = performance.now();
  const S = opt('--quick') ? [1, 3, 8, 13, 33] : [1, 2, 3, 5, 7, 8, 9, 13, 17, 31, 33, 64, 65];
  for (const kind of ['nn', 'nt', 'tn'])
    for (const M of S) for (const N of S) for (const K of S) check(kind, M, N, K, (M + N + K) & 1);
  // accumulate both ways on a subset, K = 0, and blocking boundaries (K > KC, M > MC, N > NC)
  const big = [[4, 8, 0], [3, 5, 0], [7, 9, 1], [37, 530, 785], [131, 67, 600], [300, 23, 257], [129, 1029, 70], [10, 512, 128], [128, 10, 512], [6, 12, 513]];
  for (const kind of ['nn', 'nt', 'tn']) {
    for (const [M, N, K] of big) for (const acc of [0, 1]) check(kind, M, N, K, acc);
    for (const M of [1, 5, 13]) for (const N of [2, 9, 33]) for (const K of [1, 7, 65]) check(kind, M, N, K, 1 - ((M + N + K) & 1));
  }
  console.log(`correctness: ${checks} cases, ${failures} failures (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  if (failures) process.exitCode = 1;
}

if (!opt('--no-bench')) {
  const shapes = [
    ['nn', 512, 512, 512], ['nt', 512, 512, 512], ['tn', 512, 512, 512],
    ['nt', 128, 512, 784], ['nt', 128, 512, 512], ['nt', 128, 10, 512],
    ['nn', 128, 784, 512], ['nn', 128, 512, 512], ['nn', 128, 512, 10],
    ['tn', 512, 784, 128], ['tn', 512, 512, 128], ['tn', 10, 512, 128],
    ['nn', 32, 784, 25], ['nn', 64, 196, 800],
  ];
  const only = val('--shapes', null);
  const runs = Number(val('--runs', 7));
  console.log(`kind     M     N     K   GFLOP/s (${val('--stat', 'median')}, min..max of ${runs} runs)`);
  for (const [kind, M, N, K] of shapes) {
    if (only && !only.split(',').includes(kind)) continue;
    const L = layout(M, N, K, ex.gemm_scratch_bytes(M, N, K));
    const f32 = new Float32Array(mem.buffer);
    for (let i = L.a; i < L.a + M * K; i++) f32[i] = rand();
    for (let i = L.b; i < L.b + K * N; i++) f32[i] = rand();
    const fn = kernels[kind];
    const flops = 2 * M * N * K;
    const reps = Math.max(1, Math.round(3e8 / flops)); // ~10 ms per run at 30 GFLOP/s
    for (let w = 0; w < 3 * reps + 3; w++) fn(L.c * 4, L.a * 4, L.b * 4, M, N, K, 0, L.s * 4);
    const g = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      for (let i = 0; i < reps; i++) fn(L.c * 4, L.a * 4, L.b * 4, M, N, K, 0, L.s * 4);
      g.push(flops * reps / ((performance.now() - t) * 1e6));
    }
    g.sort((x, y) => x - y);
    const shown = val('--stat', 'median') === 'max' ? g[runs - 1] : g[runs >> 1];
    console.log(`${kind.padEnd(4)} ${String(M).padStart(5)} ${String(N).padStart(5)} ${String(K).padStart(5)}   ${shown.toFixed(1).padStart(5)}  (${g[0].toFixed(1)}..${g[runs - 1].toFixed(1)})`);
  }
}
