// Pooling conformance (MaxPool2D, AvgPool2D, GlobalAvgPool2D): 1, 3, 5, 7, 13 channels, windows
// that tile, overlap, leave a floor remainder or cover the whole plane; batches 1 and odd. Max
// pooling is checked on distinct values 1e-2 apart, so central differences never cross a tie.
import { MaxPool2D, AvgPool2D, GlobalAvgPool2D, type PoolOptions } from '../../src/index.js';
import { conformance, distinct, type LayerCase, type ShapeErrorCase } from './conformance.js';
import { maxpool2d_forward_ref, avgpool2d_forward_ref, global_avgpool_forward_ref, poolOut, type PoolShape } from '../reference/pool2d.js';

type P = [number, number];
interface PoolConfig { C: number; H: number; W: number; kernel: P; stride?: P; batches?: number[] }

function pool(kind: 'max' | 'avg', c: PoolConfig): LayerCase {
  const [sh, sw] = c.stride ?? c.kernel;
  const s: PoolShape = { C: c.C, H: c.H, W: c.W, KH: c.kernel[0], KW: c.kernel[1], sh, sw, Ho: poolOut(c.H, c.kernel[0], sh), Wo: poolOut(c.W, c.kernel[1], sw) };
  const opts: PoolOptions = c.stride ? { stride: c.stride } : {};
  return {
    name: `C=${c.C} ${c.kernel.join('x')}${c.stride ? `, stride ${c.stride.join('x')}` : ''}`,
    make: (o) => (kind === 'max' ? new MaxPool2D(c.kernel, { ...opts, ...o }) : new AvgPool2D(c.kernel, { ...opts, ...o })),
    inputs: [[c.C, c.H, c.W]],
    out: [c.C, s.Ho, s.Wo],
    ref: ([x], _p, B) => (kind === 'max' ? maxpool2d_forward_ref(x, B, s).y : avgpool2d_forward_ref(x, B, s)),
    batches: c.batches,
  };
}

const CONFIGS: PoolConfig[] = [
  { C: 1, H: 4, W: 4, kernel: [2, 2] },
  { C: 3, H: 5, W: 7, kernel: [2, 2], batches: [1, 5] },              // floor: the last row and column are dropped
  { C: 5, H: 7, W: 7, kernel: [3, 3], stride: [2, 2] },               // overlapping windows
  { C: 7, H: 4, W: 9, kernel: [2, 3], stride: [1, 2], batches: [1, 3, 5] },
  { C: 13, H: 3, W: 5, kernel: [3, 5] },                              // the window is the whole plane
  { C: 3, H: 6, W: 13, kernel: [3, 2], stride: [1, 3] },              // strided gather across a SIMD width
];

const windowErrors = (make: (k: P) => (o: PoolOptions) => MaxPool2D | AvgPool2D): ShapeErrorCase[] => [
  { make: make([3, 3]), inputs: [[2, 2, 5]], good: [[2, 3, 5]], message: /the 3x3 window is larger than the input 2x5/ },
  { make: make([2, 2]), inputs: [[16]], good: [[1, 4, 4]], message: /\[channels, height, width\]/ },
  { make: make([2, 2]), inputs: [[2, 4, 4, 1]], good: [[2, 4, 4]], message: /\[channels, height, width\], got \[2, 4, 4, 1\]/ },
];

conformance('MaxPool2D', {
  role: 'homogeneous', draw: distinct(1e-2),
  cases: CONFIGS.map((c) => pool('max', c)),
  shapeErrors: windowErrors((k) => (o) => new MaxPool2D(k, o)),
});

conformance('AvgPool2D', {
  role: 'homogeneous',
  cases: CONFIGS.map((c) => pool('avg', c)),
  shapeErrors: windowErrors((k) => (o) => new AvgPool2D(k, o)),
});

const gap = (C: number, H: number, W: number, batches?: number[]): LayerCase => ({
  name: `C=${C} ${H}x${W}`,
  make: (o) => new GlobalAvgPool2D(o),
  inputs: [[C, H, W]],
  out: [C],
  ref: ([x], _p, B) => global_avgpool_forward_ref(x, B, C, H * W),
  batches,
});

conformance('GlobalAvgPool2D', {
  role: 'homogeneous',
  cases: [gap(1, 1, 1), gap(3, 5, 7, [1, 5]), gap(5, 2, 2), gap(7, 3, 1, [1, 3, 5]), gap(13, 4, 3)],
  shapeErrors: [
    { make: (o) => new GlobalAvgPool2D(o), inputs: [[12]], good: [[3, 2, 2]], message: /\[channels, height, width\]/ },
  ],
});
