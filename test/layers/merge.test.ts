// Join conformance (Add, Concat): 2 and 3 inputs, vectors and [C, H, W] maps of 1, 3, 5, 7, 13
// units, Concat along axis 0, 1, 2 and -1, and a join reading one tensor twice; batches 1 and odd.
// In the Model checks each input comes from its own trainable branch, so the gradient of every
// input slot reaches a parameter (including the fan-out sum of a tensor read twice).
import { Add, Concat } from '../../src/index.js';
import { conformance, type LayerCase } from './conformance.js';
import { add_forward_ref, concat_forward_ref, concatShape } from '../reference/merge.js';

const fedBy = (feeds?: number[]) => (feeds ? `, fed by ${feeds.map((j) => (j < 0 ? 'the input' : `branch ${j}`)).join(', ')}` : '');
const shapes = (s: number[][]) => s.map((x) => `[${x.join(', ')}]`).join(' + ');

const add = (inputs: number[][], opts: { feeds?: number[]; batches?: number[] } = {}): LayerCase => ({
  name: `${inputs.length} inputs${fedBy(opts.feeds)}`,
  make: (o) => new Add(o),
  inputs, out: inputs[0].slice(),
  ref: (xs) => add_forward_ref(xs),
  ...opts,
});

conformance('Add', {
  role: 'join',
  cases: [
    add([[1], [1]]),
    add([[5], [5]], { batches: [1, 5] }),
    add([[3, 4, 5], [3, 4, 5], [3, 4, 5]]),
    add([[7], [7], [7]], { feeds: [0, 1, 0], batches: [1, 3, 5] }),
    add([[13, 2, 1], [13, 2, 1]]),
    add([[5, 3, 3], [5, 3, 3]], { feeds: [-1, 0] }),
    add([[3], [3], [3]], { feeds: [0, 0, 0] }),
    add([[1, 2, 2], [1, 2, 2]], { feeds: [-1, -1] }),
  ],
  shapeErrors: [
    { make: (o) => new Add(o), inputs: [[3], [4]], good: [[3], [3]], message: /every input must have the same shape; input 0 is \[3\], input 1 is \[4\]/ },
    { make: (o) => new Add(o), inputs: [[3, 1, 1], [3, 1, 1], [3]], good: [[3, 1, 1], [3, 1, 1], [3, 1, 1]], message: /input 2 is \[3\]/ },
  ],
});

const concat = (axis: number, inputs: number[][], opts: { feeds?: number[]; batches?: number[] } = {}): LayerCase => ({
  name: `axis ${axis}, ${shapes(inputs)}${fedBy(opts.feeds)}`,
  make: (o) => new Concat({ ...o, axis }),
  inputs, out: concatShape(inputs, axis),
  ref: (xs, _p, B) => concat_forward_ref(xs, inputs, axis, B),
  ...opts,
});

conformance('Concat', {
  role: 'join',
  cases: [
    concat(0, [[3], [5], [1]]),
    concat(-1, [[13], [7]], { batches: [1, 5] }),
    concat(0, [[2, 3, 4], [5, 3, 4]]),
    concat(1, [[3, 2, 5], [3, 4, 5], [3, 1, 5]], { batches: [1, 3, 5] }),
    concat(1, [[2, 3, 3], [2, 1, 3], [2, 3, 3]], { feeds: [0, 1, 0] }),
    concat(-1, [[3, 4, 1], [3, 4, 7]]),
    concat(2, [[1, 2, 3], [1, 2, 5]]),
    concat(0, [[3, 4, 4], [2, 4, 4]], { feeds: [-1, 0] }),
    concat(0, [[7], [3], [7]], { feeds: [0, 1, -1] }),
    concat(-1, [[2, 2, 3], [2, 2, 1], [2, 2, 1]], { feeds: [1, 0, 0] }),
  ],
  shapeErrors: [
    { make: (o) => new Concat(o), inputs: [[2, 3, 4], [2, 4, 4]], good: [[2, 3, 4], [5, 3, 4]], message: /inputs must agree on every dimension but axis 0; input 0 is \[2, 3, 4\], input 1 is \[2, 4, 4\]/ },
    { make: (o) => new Concat({ ...o, axis: -1 }), inputs: [[2, 3], [2, 3, 1]], good: [[2, 3], [2, 4]], message: /input 1 is \[2, 3, 1\]/ },
    { make: (o) => new Concat({ ...o, axis: 3 }), inputs: [[1, 2, 3], [1, 2, 3]], good: [[1, 1, 1, 2], [1, 1, 1, 3]], message: /axis 3 does not exist for inputs of shape \[1, 2, 3\]/ },
    { make: (o) => new Concat({ ...o, axis: -4 }), inputs: [[1, 2, 3], [1, 2, 3]], good: [[1, 1, 1, 2], [2, 1, 1, 2]], message: /axis -4 does not exist/ },
  ],
});
