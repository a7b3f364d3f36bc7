// The options of building and training a Model (the functional API's constructor and trainBatch).
import type { SymbolicTensor } from './tensor.js';
import type { LossOptions } from './loss.js';

/** Options of `new Model({ inputs, outputs, seed, loss })` (the functional API). */
export interface ModelOptions extends LossOptions {
  /** The model's input, made by `input(shape)`. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's output (class scores), made by the last layer's `apply()`. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** Seed for weight initialization (default 0). Same seed -> bit-identical weights everywhere. */
  seed?: number;
  /**
   * false: for inference only (predict, evaluate): no gradient memory is allocated and no optimizer
   * can attach. Default true.
   */
  training?: boolean;
}

/** Options of `trainBatch`. */
export interface TrainOptions {
  /** Refuse steps that would make weights non-finite, restoring the previous state (default true). */
  guard?: boolean;
}

