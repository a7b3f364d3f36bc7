// Dense conformance: feature counts on every SIMD tail (1, 3, 5, 7, 13), batches 1 and odd, with
// and without bias, a [C, H, W] input read as its flat vector.
import { Dense } from '../../src/index.js';
import { conformance, type LayerCase } from './conformance.js';
import { dense_forward_ref } from '../reference/dense.js';

const dense = (inShape: number[], outF: number, bias = true, batches?: number[]): LayerCase => {
  const inF = inShape.reduce((a, b) => a * b, 1);
  return {
    name: `in=${inF} out=${outF}${bias ? '' : ', no bias'}`,
    make: (o) => new Dense(inF, outF, { ...o, bias }),
    inputs: [inShape],
    out: [outF],
    ref: ([x], [w, b], B) => dense_forward_ref(x, w, bias ? b : null, B, inF, outF),
    batches,
  };
};

conformance('Dense', {
  role: 'weight',
  cases: [
    dense([1], 1),
    dense([3], 5, true, [1, 5]),
    dense([13], 7, false),
    dense([7], 13, true, [1, 3, 5]),
    dense([2, 3, 3], 5),
  ],
  shapeErrors: [
    { make: (o) => new Dense(5, 3, o), inputs: [[4]], good: [[5]], message: /expects 5 input features per sample, but its input has shape \[4\]/ },
    { make: (o) => new Dense(12, 3, o), inputs: [[2, 3, 3]], good: [[3, 2, 2]], message: /\(18 values\)/ },
  ],
});
