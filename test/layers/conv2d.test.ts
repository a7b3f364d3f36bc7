// Conv2D conformance: 1, 3, 5, 7, 13 channels in and out; strides, explicit and 'same' padding
// (odd and even kernels, stride 1 and 2), dilation, no bias; batches 1 and odd. The padding of
// 'same' and the output size are worked out here, independently of src/layers/conv.ts.
import { Conv2D, type Conv2DOptions } from '../../src/index.js';
import { conformance, type LayerCase } from './conformance.js';
import { conv2d_forward_ref, convOut, type ConvShape } from '../reference/conv2d.js';

type P = [number, number];
interface ConvConfig {
  C: number; H: number; W: number; O: number; kernel: P;
  stride?: P; padding?: P | 'same'; dilation?: P; bias?: boolean; batches?: number[];
}

/** 'same': PyTorch's padding='same' for stride 1 (total d(k-1)), TensorFlow's 'SAME' for stride > 1; the extra row/column at the bottom/right. */
function shapeOf(c: ConvConfig): ConvShape {
  const [sh, sw] = c.stride ?? [1, 1], [dh, dw] = c.dilation ?? [1, 1];
  const side = (n: number, k: number, s: number, d: number, p: number): [number, number] => {
    if (c.padding !== 'same') return [p, p];
    const total = s === 1 ? d * (k - 1) : Math.max((Math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const p = c.padding === undefined || c.padding === 'same' ? [0, 0] : c.padding;
  const [pt, pb] = side(c.H, c.kernel[0], sh, dh, p[0]);
  const [pl, pr] = side(c.W, c.kernel[1], sw, dw, p[1]);
  return {
    C: c.C, H: c.H, W: c.W, O: c.O, KH: c.kernel[0], KW: c.kernel[1], sh, sw, pt, pl, dh, dw,
    Ho: convOut(c.H, c.kernel[0], sh, pt + pb, dh), Wo: convOut(c.W, c.kernel[1], sw, pl + pr, dw),
  };
}

function conv(c: ConvConfig): LayerCase {
  const s = shapeOf(c);
  const bias = c.bias ?? true;
  const opts: Conv2DOptions = {};
  if (c.stride) opts.stride = c.stride;
  if (c.padding) opts.padding = c.padding;
  if (c.dilation) opts.dilation = c.dilation;
  if (!bias) opts.bias = false;
  const parts = [`${c.C}->${c.O} ${c.kernel.join('x')}`, ...Object.entries(opts).map(([k, v]) => `${k} ${JSON.stringify(v)}`)];
  return {
    name: parts.join(', '),
    make: (o) => new Conv2D(c.C, c.O, c.kernel, { ...opts, ...o }),
    inputs: [[c.C, c.H, c.W]],
    out: [c.O, s.Ho, s.Wo],
    ref: ([x], [w, b], B) => conv2d_forward_ref(x, w, bias ? b : null, B, s),
    batches: c.batches,
  };
}

conformance('Conv2D', {
  role: 'weight',
  cases: [
    conv({ C: 1, H: 5, W: 5, O: 3, kernel: [3, 3], padding: [1, 1] }),
    conv({ C: 3, H: 7, W: 6, O: 5, kernel: [2, 3], stride: [2, 2], padding: 'same' }),
    conv({ C: 5, H: 6, W: 7, O: 7, kernel: [3, 3], dilation: [2, 2], padding: 'same', bias: false }),
    conv({ C: 7, H: 5, W: 4, O: 1, kernel: [3, 1], stride: [2, 1], padding: [1, 0], batches: [1, 5] }),
    conv({ C: 13, H: 2, W: 3, O: 3, kernel: [1, 1], bias: false, batches: [1, 3, 5] }),
    conv({ C: 3, H: 4, W: 4, O: 13, kernel: [4, 4], padding: 'same' }),
    conv({ C: 5, H: 4, W: 7, O: 5, kernel: [2, 2], stride: [1, 2], dilation: [2, 1], padding: [2, 1] }),
  ],
  shapeErrors: [
    { make: (o) => new Conv2D(3, 4, 3, o), inputs: [[2, 5, 5]], good: [[3, 5, 5]], message: /expects 3 input channels/ },
    { make: (o) => new Conv2D(1, 2, 3, o), inputs: [[25]], good: [[1, 5, 5]], message: /\[channels, height, width\]/ },
    { make: (o) => new Conv2D(1, 2, 5, { ...o, padding: 1 }), inputs: [[1, 2, 2]], good: [[1, 3, 3]], message: /larger than the padded input 4x4/ },
    { make: (o) => new Conv2D(1, 1, 3, { ...o, dilation: 3 }), inputs: [[1, 6, 6]], good: [[1, 7, 7]], message: /7x7 kernel window/ },
  ],
});
