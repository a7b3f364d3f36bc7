// Conv2D kernel timings (forward, backward with and without dx) at the shapes of a small MNIST CNN,
// and that CNN's training throughput (samples/s, SGD, batch 64) on real MNIST batches:
//   Conv2D(1,32,5,'same') ReLU MaxPool2D(2) Conv2D(32,64,5,'same') ReLU MaxPool2D(2) Flatten Dense(3136,10)
// (~63 MFLOP per sample per training step, 95% of it in the second conv).
import b from 'benny';
import { Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, SGD, ECSGD, loadMNIST } from '../dist/index.js';
import { kernels, randomF32 } from './common.js';

const { kernels: k, arena, threads } = await kernels();
const T = `${threads} thread${threads > 1 ? 's' : ''}`;
const B = 64;

const shapes = [
  { label: 'conv1 1->32 5x5 same 28x28', C: 1, H: 28, W: 28, O: 32, KH: 5, KW: 5, p: 2 },
  { label: 'conv2 32->64 5x5 same 14x14', C: 32, H: 14, W: 14, O: 64, KH: 5, KW: 5, p: 2 },
];
const kernelCases = shapes.flatMap((s) => {
  const desc = arena.alloc(k.conv2d_desc_bytes());
  k.conv2d_desc(desc, s.C, s.H, s.W, s.O, s.KH, s.KW, 1, 1, s.p, s.p, 1, 1, s.H, s.W);
  const nx = B * s.C * s.H * s.W, nw = s.O * s.C * s.KH * s.KW, ny = B * s.O * s.H * s.W;
  const [x, w, bias, y, dx, dw, db] = [nx, nw, s.O, ny, nx, nw, s.O].map((n) => arena.alloc(n * 4));
  const scratch = arena.alloc(k.conv2d_scratch_bytes(desc));
  arena.f32(x, nx).set(randomF32(nx, 1));
  arena.f32(w, nw).set(randomF32(nw, 2));
  arena.f32(y, ny).set(randomF32(ny, 3));
  const flop = 2 * B * s.O * s.H * s.W * s.C * s.KH * s.KW;
  return [
    { name: `${s.label} forward`, flop, fn: () => k.conv2d_forward(y, x, w, bias, B, desc, scratch) },
    { name: `${s.label} backward dW,db`, flop, fn: () => k.conv2d_backward(0, dw, db, y, x, w, B, desc, scratch) },
    { name: `${s.label} backward dx,dW,db`, flop: 2 * flop, fn: () => k.conv2d_backward(dx, dw, db, y, x, w, B, desc, scratch) },
  ];
});

await b.suite(`Conv2D kernels, batch ${B} (f32, wasm SIMD, ${T})`,
  ...kernelCases.map((c) => b.add(c.name, c.fn, { minSamples: 5, maxTime: 1 })),
  b.cycle((r) => {
    const c = kernelCases.find((x) => x.name === r.name);
    console.log(`  ${r.name.padEnd(42)} ${(1000 / r.ops).toFixed(2).padStart(7)} ms  ${(r.ops * c.flop / 1e9).toFixed(1).padStart(5)} GFLOP/s  (±${r.margin}%)`);
  }),
  b.complete(),
  b.save({ file: 'conv-kernels', folder: 'bench/results', format: 'json' }),
);

const batches = 10;
const { train } = await loadMNIST({ trainLimit: B * batches });
function setup(Opt, opts) {
  const model = new Sequential([
    new Conv2D(1, 32, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
    new Conv2D(32, 64, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
    new Flatten(), new Dense(3136, 10),
  ], { inputShape: [1, 28, 28], seed: 0 });
  const opt = new Opt(model, opts);
  let i = 0;
  const step = () => {
    const s = (i++ % batches) * B;
    model.trainBatch(train.images.subarray(s * 784, (s + B) * 784), train.labels.subarray(s, s + B), opt);
  };
  for (let w = 0; w < 3; w++) step(); // warm up (V8 tiers up wasm)
  return step;
}

await b.suite(`CNN training (conv5x5x32 same, pool, conv5x5x64 same, pool, dense), batch ${B}, ${T}`,
  b.add('SGD', setup(SGD, { lr: 0.01 }), { minSamples: 10, maxTime: 5 }),
  b.add('EC-SGD', setup(ECSGD, { lr: 0.01 }), { minSamples: 10, maxTime: 5 }),
  b.cycle((r) => console.log(`  ${r.name.padEnd(16)} ${Math.round(r.ops * B).toString().padStart(6)} samples/s  (${(1000 / r.ops).toFixed(1)} ms per batch, ±${r.margin}%)`)),
  b.complete(),
  b.save({ file: 'conv', folder: 'bench/results', format: 'json' }),
);
