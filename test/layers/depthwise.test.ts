// DepthwiseConv2D conformance: 1, 3, 5, 7, 13 channels; depth multipliers 1-3; strides 1, 2 and 3
// (the vector paths of stride 1 and 2 and the scalar one), explicit and 'same' padding, dilation,
// no bias; maps wide enough for 4-column vectors plus tails. The output size is worked out here
// independently of src/layers/depthwise.ts. Then the errors and the EC optimizers' refusal.
import { describe, it, expect, beforeAll } from 'vitest';
import { DepthwiseConv2D, Sequential, ReLU, Flatten, Dense, Conv2D, ECSGD, type DepthwiseConv2DOptions } from '../../src/index.js';
import { runtime } from '../helpers.js';
import { conformance, type LayerCase } from './conformance.js';
import { convOut, type ConvShape } from '../reference/conv2d.js';
import { depthwise_conv2d_forward_ref } from '../reference/depthwise.js';

type P = [number, number];
interface DwConfig {
  C: number; H: number; W: number; M?: number; kernel: P;
  stride?: P; padding?: P | 'same'; dilation?: P; bias?: boolean; batches?: number[];
}

function shapeOf(c: DwConfig): ConvShape {
  const [sh, sw] = c.stride ?? [1, 1], [dh, dw] = c.dilation ?? [1, 1];
  const side = (n: number, k: number, s: number, d: number, p: number): [number, number] => {
    if (c.padding !== 'same') return [p, p];
    const total = Math.max((Math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const p = c.padding === undefined || c.padding === 'same' ? [0, 0] : c.padding;
  const [pt, pb] = side(c.H, c.kernel[0], sh, dh, p[0]);
  const [pl, pr] = side(c.W, c.kernel[1], sw, dw, p[1]);
  return {
    C: c.C, H: c.H, W: c.W, O: c.C * (c.M ?? 1), KH: c.kernel[0], KW: c.kernel[1], sh, sw, pt, pl, dh, dw,
    Ho: convOut(c.H, c.kernel[0], sh, pt + pb, dh), Wo: convOut(c.W, c.kernel[1], sw, pl + pr, dw),
  };
}

function dw(c: DwConfig): LayerCase {
  const s = shapeOf(c);
  const bias = c.bias ?? true;
  const opts: DepthwiseConv2DOptions = {};
  if (c.M) opts.depthMultiplier = c.M;
  if (c.stride) opts.stride = c.stride;
  if (c.padding) opts.padding = c.padding;
  if (c.dilation) opts.dilation = c.dilation;
  if (!bias) opts.bias = false;
  const parts = [`${c.C} ch ${c.kernel.join('x')}`, ...Object.entries(opts).map(([k, v]) => `${k} ${JSON.stringify(v)}`)];
  return {
    name: parts.join(', '),
    make: (o) => new DepthwiseConv2D(c.C, c.kernel, { ...opts, ...o }),
    inputs: [[c.C, c.H, c.W]],
    out: [s.O, s.Ho, s.Wo],
    ref: ([x], [w, b], B) => depthwise_conv2d_forward_ref(x, w, bias ? b : null, B, s),
    batches: c.batches,
  };
}

conformance('DepthwiseConv2D', {
  role: 'weight',
  cases: [
    dw({ C: 1, H: 5, W: 9, kernel: [3, 3], padding: [1, 1] }),
    dw({ C: 3, H: 7, W: 11, M: 2, kernel: [3, 3], stride: [2, 2], padding: 'same' }),
    dw({ C: 5, H: 6, W: 13, kernel: [3, 3], dilation: [2, 2], padding: 'same', bias: false }),
    dw({ C: 7, H: 5, W: 14, kernel: [3, 1], stride: [2, 3], padding: [1, 0], batches: [1, 5] }),
    dw({ C: 13, H: 2, W: 6, M: 3, kernel: [1, 1], bias: false, batches: [1, 3, 5] }),
    dw({ C: 3, H: 6, W: 10, kernel: [4, 4], padding: 'same' }),
    dw({ C: 5, H: 4, W: 12, M: 2, kernel: [2, 5], stride: [1, 2], dilation: [2, 1], padding: [2, 3] }),
  ],
  shapeErrors: [
    { make: (o) => new DepthwiseConv2D(3, 3, o), inputs: [[2, 5, 5]], good: [[3, 5, 5]], message: /expects 3 input channels/ },
    { make: (o) => new DepthwiseConv2D(1, 3, o), inputs: [[25]], good: [[1, 5, 5]], message: /\[channels, height, width\]/ },
    { make: (o) => new DepthwiseConv2D(1, 5, { ...o, padding: 1 }), inputs: [[1, 2, 2]], good: [[1, 3, 3]], message: /larger than the padded input 4x4/ },
  ],
});

describe('DepthwiseConv2D options and EC', () => {
  beforeAll(async () => { await runtime(); });

  it('bad options name the problem and the expected form', () => {
    expect(() => new DepthwiseConv2D(0, 3)).toThrow(/DepthwiseConv2D: channels must be a positive integer, got 0/);
    expect(() => new DepthwiseConv2D(4, 3, { depthMultiplier: 1.5 })).toThrow(/options.depthMultiplier must be a positive integer/);
    expect(() => new DepthwiseConv2D(4, [3, 0])).toThrow(/DepthwiseConv2D: kernel must be a positive integer or a pair of them/);
    expect(() => new DepthwiseConv2D(4, 3, { padding: 'valid' as never })).toThrow(/options.padding \(or 'same'\)/);
    expect(() => new DepthwiseConv2D(4, 3, { bias: 1 as never })).toThrow(/options.bias must be a boolean/);
  });

  it('PyTorch layout: weight (C·M, 1, kh, kw), bias (C·M); a Sequential infers a square input from it', () => {
    const m = new Sequential([new DepthwiseConv2D(3, [3, 2], { depthMultiplier: 2 }), new ReLU(), new Flatten(), new Dense(6 * 6 * 7, 4)]);
    expect(m.inputShape).toEqual([3, 8, 8]);
    expect(m.weightSpecs().slice(0, 2).map((s) => s.shape)).toEqual([[6, 1, 3, 2], [6]]);
    m.dispose();
  });

  it('EC optimizers refuse it by name (the EC structure only knows all-to-all Dense and Conv2D edges)', () => {
    const m = new Sequential([new Conv2D(2, 4, 3), new ReLU(), new DepthwiseConv2D(4, 3), new ReLU(), new Flatten(), new Dense(4, 3)], { inputShape: [2, 5, 5] });
    expect(() => new ECSGD(m, { lr: 0.1 })).toThrow(/layer 2 \(DepthwiseConv2D 4->4 3x3\) has parameters but is not part of the EC chain/);
    m.dispose();
  });
});
