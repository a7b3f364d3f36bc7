// DepthwiseConv2D kernels (assembly/depthwise.ts) on MobileNet-style CIFAR shapes, batch 64, 1 thread:
// forward and backward (dw, dbias, dx) in ms and GFLOP/s, next to what a model without the layer
// would run: a dense Conv2D (im2col + GEMM) of the same shape with a block-diagonal weight (C times
// the arithmetic). Interleaved rounds, medians.
//   npm run build && node bench/depthwise.mjs [rounds=7]
import { init, getRuntime } from '../dist/index.js';

const rounds = Number(process.argv[2] ?? 7);
await init({ threads: 1 });
const { kernels: k, arena } = getRuntime();
const shapes = [
  { C: 32, H: 32, s: 1 }, { C: 64, H: 32, s: 2 }, { C: 128, H: 16, s: 1 }, { C: 256, H: 8, s: 1 },
];
const B = 64;
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
function time(fn, minMs = 150) {
  fn();
  let n = 0; const t0 = performance.now(); let t;
  do { fn(); n++; t = performance.now() - t0; } while (t < minMs);
  return t / n;
}
let seed = 1;
const fill = (p, n) => { const a = arena.f32(p, n); for (let i = 0; i < n; i++) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; a[i] = seed / 2 ** 32 - 0.5; } };
console.log(`DepthwiseConv2D 3x3 pad 1, batch ${B}, 1 thread, ${rounds} rounds (median ms; GFLOP/s)`);
for (const { C, H, s } of shapes) {
  const Ho = Math.floor((H + 2 - 3) / s) + 1;
  const desc = arena.alloc(k.conv2d_desc_bytes(), 'desc'), cdesc = arena.alloc(k.conv2d_desc_bytes(), 'desc');
  k.conv2d_desc(desc, C, H, H, C, 3, 3, s, s, 1, 1, 1, 1, Ho, Ho);
  k.conv2d_desc(cdesc, C, H, H, C, 3, 3, s, s, 1, 1, 1, 1, Ho, Ho);
  const nx = B * C * H * H, ny = B * C * Ho * Ho;
  const x = arena.alloc(nx * 4, 'x'), y = arena.alloc(ny * 4, 'y'), dy = arena.alloc(ny * 4, 'dy'), dx = arena.alloc(nx * 4, 'dx');
  const w = arena.alloc(C * 9 * 4, 'w'), dw = arena.alloc(C * 9 * 4, 'dw'), b = arena.alloc(C * 4, 'b'), db = arena.alloc(C * 4, 'db');
  const cw = arena.alloc(C * C * 9 * 4, 'cw'), cdw = arena.alloc(C * C * 9 * 4, 'cdw');
  const sc = arena.alloc(Number(k.conv2d_scratch_bytes(cdesc)), 'scratch');
  fill(x, nx); fill(dy, ny); fill(w, C * 9); fill(b, C);
  const cwa = arena.f32(cw, C * C * 9); cwa.fill(0);
  const wa = arena.f32(w, C * 9);
  for (let c = 0; c < C; c++) for (let t = 0; t < 9; t++) cwa[(c * C + c) * 9 + t] = wa[c * 9 + t];
  const ops = {
    'depthwise fwd': () => k.depthwise_conv2d_forward(y, x, w, b, B, desc),
    'depthwise bwd': () => k.depthwise_conv2d_backward(dx, dw, db, dy, x, w, B, desc),
    'Conv2D fwd': () => k.conv2d_forward(y, x, cw, b, B, cdesc, sc),
    'Conv2D bwd': () => k.conv2d_backward(dx, cdw, db, dy, x, cw, B, cdesc, sc),
  };
  const ms = Object.fromEntries(Object.keys(ops).map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) for (const [n, f] of Object.entries(ops)) ms[n].push(time(f));
  const flop = 2 * B * C * Ho * Ho * 9;
  const row = (n, f) => `${med(ms[n]).toFixed(2)} ms ${(f / med(ms[n]) / 1e6).toFixed(1)} GF/s`;
  console.log(`  ${C} ch ${H}x${H} stride ${s}: depthwise fwd ${row('depthwise fwd', flop)}, bwd ${row('depthwise bwd', 2 * flop)} | ` +
    `as a dense Conv2D: fwd ${med(ms['Conv2D fwd']).toFixed(2)} ms, bwd ${med(ms['Conv2D bwd']).toFixed(2)} ms ` +
    `(x${((med(ms['Conv2D fwd']) + med(ms['Conv2D bwd'])) / (med(ms['depthwise fwd']) + med(ms['depthwise bwd']))).toFixed(1)} the time)`);
  for (const p of [desc, cdesc, x, y, dy, dx, w, dw, b, db, cw, cdw, sc]) arena.release(p);
}
