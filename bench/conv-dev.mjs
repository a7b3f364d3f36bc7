// Dev harness: Conv2D algorithm comparison (im2col + GEMM, the product kernel, vs a direct SIMD
// implicit-GEMM forward in bench/conv-dev/direct.ts). Compiles its own module:
//   node bench/conv-dev.mjs [--build]
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasmPath = '/tmp/convdev.wasm';
if (process.argv.includes('--build') || !existsSync(wasmPath)) {
  execFileSync(resolve(root, 'node_modules/.bin/asc'), ['bench/conv-dev/direct.ts', '--config', '/dev/null', '--runtime', 'stub',
    '--enable', 'simd', '-O3', '--noAssert', '--converge', '--initialMemory', '2048', '--outFile', wasmPath], { stdio: 'inherit', cwd: root });
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), { env: { abort: () => { throw new Error('abort'); } } });
const k = instance.exports;
let top = 1 << 20;
const alloc = (bytes) => { const p = top; top += Math.ceil(bytes / 64) * 64 + 64; return p; };
const f32 = (p, n) => new Float32Array(k.memory.buffer, p, n);
let seed = 1;
const fill = (p, n) => { const a = f32(p, n); for (let i = 0; i < n; i++) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; a[i] = seed / 2 ** 32 - 0.5; } };

const shapes = [
  { name: 'conv1 1->32 5x5 same 28x28 B64', B: 64, C: 1, H: 28, W: 28, O: 32, KH: 5, KW: 5, p: 2 },
  { name: 'conv2 32->64 5x5 same 14x14 B64', B: 64, C: 32, H: 14, W: 14, O: 64, KH: 5, KW: 5, p: 2 },
  { name: '16->32 3x3 pad1 32x32 B32', B: 32, C: 16, H: 32, W: 32, O: 32, KH: 3, KW: 3, p: 1 },
  { name: '64->64 3x3 pad1 8x8 B64', B: 64, C: 64, H: 8, W: 8, O: 64, KH: 3, KW: 3, p: 1 },
];
function time(fn, minMs = 400) {
  fn();
  let n = 0; const t0 = performance.now(); let t;
  do { fn(); n++; t = performance.now() - t0; } while (t < minMs);
  return t / n;
}
for (const s of shapes) {
  const Ho = s.H + 2 * s.p - s.KH + 1, Wo = s.W + 2 * s.p - s.KW + 1;
  const desc = alloc(64);
  k.conv2d_desc(desc, s.C, s.H, s.W, s.O, s.KH, s.KW, 1, 1, s.p, s.p, 1, 1, Ho, Wo);
  const nx = s.B * s.C * s.H * s.W, ny = s.B * s.O * Ho * Wo, nw = s.O * s.C * s.KH * s.KW;
  const x = alloc(nx * 4), w = alloc(nw * 4), bias = alloc(s.O * 4), y1 = alloc(ny * 4), y2 = alloc(ny * 4);
  const dx = alloc(nx * 4), dw = alloc(nw * 4), db = alloc(s.O * 4);
  const sc = alloc(Math.max(k.conv2d_scratch_bytes(desc), k.direct_scratch_bytes(desc)));
  fill(x, nx); fill(w, nw); fill(bias, s.O);
  k.conv2d_forward(y1, x, w, bias, s.B, desc, sc);
  k.direct_forward(y2, x, w, bias, s.B, desc, sc);
  const a = f32(y1, ny), b = f32(y2, ny);
  let err = 0; for (let i = 0; i < ny; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  const flop = 2 * s.B * s.O * Ho * Wo * s.C * s.KH * s.KW;
  const tI = time(() => k.conv2d_forward(y1, x, w, bias, s.B, desc, sc));
  const tD = time(() => k.direct_forward(y2, x, w, bias, s.B, desc, sc));
  const tB = time(() => k.conv2d_backward(dx, dw, db, y1, x, w, s.B, desc, sc));
  const tBw = time(() => k.conv2d_backward(0, dw, db, y1, x, w, s.B, desc, sc));
  const gf = (t, m = 1) => (m * flop / t / 1e6).toFixed(1);
  console.log(`${s.name.padEnd(34)} fwd im2col+gemm ${tI.toFixed(2)} ms ${gf(tI)} GF/s | direct ${tD.toFixed(2)} ms ${gf(tD)} GF/s | ` +
    `bwd(dx,dw) ${tB.toFixed(2)} ms ${gf(tB, 2)} GF/s | bwd(dw) ${tBw.toFixed(2)} ms ${gf(tBw)} GF/s | max|diff| ${err.toExponential(1)}`);
}
