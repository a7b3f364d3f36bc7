// Symbolic tensors of the functional API: `input(shape)` makes the first one, `layer.apply(t)` makes
// each next one. A symbolic tensor holds no data: it records its per-sample shape, the layer that
// produces it and that layer's inputs, so `new Model({ inputs, outputs })` can walk the graph back.
// Tensors are numbered in creation order, which is a topological order of any graph built this way.
import { ShapeError } from '../core/errors.js';
import { isDim, tooLarge } from '../core/sizes.js';

/** What a symbolic tensor knows of the layer that made it (the layer itself, seen from here). */
export interface TensorProducer {
  readonly kind: string;
  readonly name: string | null;
  describe(): string;
}

let nextTensorId = 0;

/**
 * A tensor of the functional graph API: the per-sample `shape` of the data that will flow through
 * it, and where it comes from (an `input()` or a layer's `apply()`). Build a model from them with
 * `new Model({ inputs, outputs })`.
 */
export class SymbolicTensor {
  /** Creation number: a graph's tensors in this order are in topological order. */
  readonly id = nextTensorId++;
  /** Per-sample shape (no batch dimension), e.g. [16, 32, 32]. */
  readonly shape: readonly number[];
  /** The layer whose output this is; null for a tensor made by input(). */
  readonly producer: TensorProducer | null;
  /** The producing layer's inputs, in the order it was applied to them (empty for an input). */
  readonly inputs: readonly SymbolicTensor[];

  /** @internal Made by input() and Layer.apply(). */
  constructor(shape: readonly number[], producer: TensorProducer | null, inputs: readonly SymbolicTensor[]) {
    this.shape = Object.freeze(shape.slice());
    this.producer = producer;
    this.inputs = Object.freeze(inputs.slice());
  }

  /** e.g. `input [1, 28, 28]` or `the output of Dense 784->10 [10]`, for messages. */
  describe(): string {
    const s = `[${this.shape.join(', ')}]`;
    if (!this.producer) return `input ${s}`;
    const name = this.producer.name !== null ? ` '${this.producer.name}'` : '';
    return `the output of${name} ${this.producer.describe()} ${s}`;
  }
}

/** True for a symbolic tensor (made by input() or layer.apply()). */
export function isSymbolicTensor(v: unknown): v is SymbolicTensor {
  return v instanceof SymbolicTensor;
}

/**
 * The input of a functional model: a symbolic tensor of per-sample shape `shape` (no batch
 * dimension), e.g. `input([784])` or `input([3, 32, 32])`. At most 8 dimensions, each a positive
 * integer up to 2^24.
 */
export function input(shape: number[]): SymbolicTensor {
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8 || shape.some((d) => !isDim(d))) {
    const bound = Array.isArray(shape) && (shape.length > 8 || tooLarge(shape)) ? ' (at most 8 of them, each at most 16777216)' : '';
    throw new ShapeError(`input: shape must be an array of positive integers${bound}, e.g. [784] or [1, 28, 28], got ${JSON.stringify(shape)?.slice(0, 80)}`);
  }
  return new SymbolicTensor(shape, null, []);
}
