// Where ecopt's predict() time goes (bench/infer/run.mjs's nets): per-layer-kind forward time inside
// predict() calls (prototype forward methods wrapped with timers; the rest of a call is the input
// copy and finiteness check, the output copy and dispatch), and the raw GEMM C = A·Bᵀ that a Dense
// layer runs, at M = 1, 4 and 32 rows (batch 1 is a matrix-vector product).
//   node bench/infer/profile.mjs [threads=1] [calls=200]
import * as E from '../../dist/index.js';
import { buildEcopt, inputs } from './models.mjs';

const T = Number(process.argv[2] ?? 1), CALLS = Number(process.argv[3] ?? 200);
const rt = await E.init({ threads: T });
const times = new Map();
for (const cls of [E.Dense, E.Conv2D, E.MaxPool2D, E.ReLU, E.Flatten, E.BatchNorm2D, E.Add, E.GlobalAvgPool2D]) {
  const f = cls.prototype.forward;
  cls.prototype.forward = function (...a) {
    const t0 = performance.now();
    try { return f.apply(this, a); } finally { const key = this.kind; times.set(key, (times.get(key) ?? 0) + performance.now() - t0); }
  };
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
for (const net of ['mlp', 'cnn', 'resnet20']) {
  const m = buildEcopt(E, net);
  for (const B of [1, 32]) {
    const x = inputs(E, net, B, 99);
    const n = Math.max(5, Math.round(CALLS / (net === 'mlp' ? 1 : net === 'cnn' ? (B === 1 ? 2 : 20) : (B === 1 ? 10 : 60))));
    for (let i = 0; i < 10; i++) m.predict(x, B);
    times.clear();
    const per = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) { const s = performance.now(); m.predict(x, B); per.push(performance.now() - s); }
    const total = performance.now() - t0;
    const layers = [...times.entries()].sort((a, b) => b[1] - a[1]);
    const inLayers = layers.reduce((a, [, v]) => a + v, 0);
    console.log(`${net} B=${B}: median ${med(per).toFixed(3)} ms per call over ${n}; ` + layers.map(([k, v]) => `${k} ${(100 * v / total).toFixed(0)}%`).join(', ') + `, outside the layers ${(100 * (1 - inLayers / total)).toFixed(0)}%`);
  }
  m.dispose();
}
const k = rt.kernels, a = rt.arena;
const time = (f, n) => { for (let i = 0; i < 20; i++) f(); const t = []; for (let r = 0; r < 7; r++) { const s = performance.now(); for (let i = 0; i < n; i++) f(); t.push((performance.now() - s) / n); } return med(t) * 1000; };
for (const [N, K] of [[512, 784], [512, 512]]) {
  for (const M of [1, 4, 32]) {
    const c = a.alloc(M * N * 4), x = a.alloc(M * K * 4), w = a.alloc(N * K * 4), s = a.alloc(k.gemm_scratch_bytes(M, N, K));
    a.f32(w, N * K).fill(0.01); a.f32(x, M * K).fill(0.5);
    const us = time(() => k.gemm_nt(c, x, w, M, N, K, 0, s), M === 32 ? 50 : 200);
    console.log(`gemm_nt M=${M} N=${N} K=${K}: ${us.toFixed(1)} us (${(2 * M * N * K / us / 1e3).toFixed(2)} GFLOP/s)`);
  }
}
await E.shutdown();
