// GEMM throughput (GFLOP/s) of the three training shapes: square sizes 128..1024 and the shapes of
// an MLP 784-512-512-10 training step at batch 128.
import b from 'benny';
import { kernels, randomF32 } from './common.js';

const { kernels: k, arena, threads } = await kernels();

const shapes = [
  ...[128, 256, 512, 1024].flatMap((n) => ['nn', 'nt', 'tn'].map((kind) => ({ kind, M: n, N: n, K: n, label: `${kind} ${n}³` }))),
  { kind: 'nt', M: 128, N: 512, K: 784, label: 'nt 128x512x784 (fwd L1)' },
  { kind: 'nt', M: 128, N: 512, K: 512, label: 'nt 128x512x512 (fwd L2)' },
  { kind: 'nt', M: 128, N: 10, K: 512, label: 'nt 128x10x512 (fwd L3)' },
  { kind: 'nn', M: 128, N: 512, K: 512, label: 'nn 128x512x512 (dX L2)' },
  { kind: 'nn', M: 128, N: 512, K: 10, label: 'nn 128x512x10 (dX L3)' },
  { kind: 'tn', M: 512, N: 784, K: 128, label: 'tn 512x784x128 (dW L1)' },
  { kind: 'tn', M: 512, N: 512, K: 128, label: 'tn 512x512x128 (dW L2)' },
  { kind: 'tn', M: 10, N: 512, K: 128, label: 'tn 10x512x128 (dW L3)' },
];

const results = [];
const cases = shapes.map((s) => {
  const a = arena.alloc(s.M * s.K * 4);
  const bb = arena.alloc(s.K * s.N * 4);
  const c = arena.alloc(s.M * s.N * 4);
  const scratch = arena.alloc(k.gemm_scratch_bytes(s.M, s.N, s.K) + 16);
  arena.f32(a, s.M * s.K).set(randomF32(s.M * s.K, 1));
  arena.f32(bb, s.K * s.N).set(randomF32(s.K * s.N, 2));
  const fn = k[`gemm_${s.kind}`];
  const flop = 2 * s.M * s.N * s.K;
  return b.add(s.label, () => { fn(c, a, bb, s.M, s.N, s.K, 0, scratch); }, { minSamples: 5, maxTime: 1 });
});

await b.suite(`GEMM (f32, wasm SIMD, ${threads} thread${threads > 1 ? 's' : ''})`, ...cases,
  b.cycle((r) => {
    const s = shapes.find((x) => x.label === r.name);
    const gf = (r.ops * 2 * s.M * s.N * s.K) / 1e9;
    results.push({ shape: r.name, gflops: +gf.toFixed(2) });
    console.log(`  ${r.name.padEnd(28)} ${gf.toFixed(1).padStart(6)} GFLOP/s  (±${r.margin}%)`);
  }),
  b.complete(),
  b.save({ file: 'gemm', folder: 'bench/results', format: 'json' }),
);
export default results;
