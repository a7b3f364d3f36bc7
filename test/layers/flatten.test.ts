// Flatten conformance: maps of 1, 3, 5, 7, 13 channels and a vector, batches 1 and odd. Flatten
// is the identity on the flat batch (row-major C, H, W); in a model it is a view of its input's
// buffer (no kernel runs), which the Model checks exercise through the graph executor.
import { Flatten } from '../../src/index.js';
import { conformance, type LayerCase } from './conformance.js';

const flatten = (shape: number[], batches?: number[]): LayerCase => ({
  name: `[${shape.join(', ')}] -> [${shape.reduce((a, b) => a * b, 1)}]`,
  make: (o) => new Flatten(o),
  inputs: [shape],
  out: [shape.reduce((a, b) => a * b, 1)],
  ref: ([x]) => Float64Array.from(x),
  batches,
});

conformance('Flatten', {
  role: 'homogeneous',
  cases: [flatten([1, 1, 1]), flatten([3, 5, 7], [1, 5]), flatten([5, 2, 1]), flatten([7, 1, 3], [1, 3, 5]), flatten([13, 2, 2]), flatten([7]), flatten([3, 4])],
});
