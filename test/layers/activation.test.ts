// Activation conformance (ReLU, LeakyReLU, PReLU, Sigmoid, Tanh): vectors of 1, 3, 5, 7, 13
// features and [C, H, W] maps, batches 1 and odd. Inputs of the piecewise-linear ones are drawn
// at least 1e-2 away from the kink at 0, so central differences (step 1e-5) never straddle it.
import { ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, type Layer, type LayerOptions } from '../../src/index.js';
import { conformance, awayFromZero, type LayerCase } from './conformance.js';
import {
  relu_forward_ref, leaky_relu_forward_ref, prelu_forward_ref, sigmoid_forward_ref, tanh_forward_ref,
} from '../reference/activation.js';

const SHAPES: { shape: number[]; batches?: number[] }[] = [
  { shape: [1] }, { shape: [3], batches: [1, 5] }, { shape: [5] }, { shape: [7], batches: [1, 3, 5] }, { shape: [13] },
  { shape: [3, 2, 5] }, { shape: [13, 1, 3], batches: [1, 5] },
];

/** The shapes above for a shape-preserving layer with a per-batch reference. */
function cases(label: string, make: (o: LayerOptions) => Layer, ref: LayerCase['ref']): LayerCase[] {
  return SHAPES.map(({ shape, batches }) => ({ name: label, make, inputs: [shape], out: shape, ref, batches }));
}

const kinked = awayFromZero(1e-2);

conformance('ReLU', { role: 'homogeneous', draw: kinked, cases: cases('ReLU', (o) => new ReLU(o), ([x]) => relu_forward_ref(x)) });

// spec fields are float64 but the kernel multiplies by the float32 alpha: so does the reference
const ALPHAS = [0.01, 0.2, -0.5];
conformance('LeakyReLU', {
  role: 'homogeneous', draw: kinked,
  cases: SHAPES.map(({ shape, batches }, i) => {
    const alpha = ALPHAS[i % ALPHAS.length];
    return {
      name: `alpha=${alpha}`, make: (o) => new LeakyReLU(alpha, o), inputs: [shape], out: shape, batches,
      ref: ([x]) => leaky_relu_forward_ref(x, Math.fround(alpha)),
    };
  }),
});

/** PReLU has one slope per first dimension: features of a vector, channels of a map. */
const prelu = (shape: number[], init?: number, batches?: number[]): LayerCase => {
  const C = shape[0], inner = shape.slice(1).reduce((p, q) => p * q, 1);
  return {
    name: `units=${C} inner=${inner}${init === undefined ? '' : `, init ${init}`}`,
    make: (o) => new PReLU({ ...o, ...(init === undefined ? {} : { init }) }),
    inputs: [shape], out: shape, batches,
    ref: ([x], [slope], B) => prelu_forward_ref(x, slope, B, C, inner),
  };
};
conformance('PReLU', {
  role: 'homogeneous', draw: kinked,
  // slopes of both signs and above 1 in the kernel checks; the models start from `init`
  drawParam: (r, p) => r.uniform(p.shape[0], -1, 1.5),
  cases: [prelu([1]), prelu([3], 0.1, [1, 5]), prelu([7], -0.3), prelu([13], undefined, [1, 3, 5]), prelu([5, 3, 2]), prelu([3, 1, 7], 0.5), prelu([13, 2, 2], undefined, [1, 5])],
});

// saturating: inputs in [-4, 4) reach the flat parts without losing the float32 derivative
const wide = (r: { uniform: (n: number, lo: number, hi: number) => Float32Array }, n: number) => r.uniform(n, -4, 4);
conformance('Sigmoid', { role: 'none', draw: wide, cases: cases('Sigmoid', (o) => new Sigmoid(o), ([x]) => sigmoid_forward_ref(x)) });
conformance('Tanh', { role: 'none', draw: wide, cases: cases('Tanh', (o) => new Tanh(o), ([x]) => tanh_forward_ref(x)) });
