// The serialization functions of models (spec and safetensors), installed by io/checkpoint.ts when
// the package loads, so that the model does not import the module that imports it, and the options
// of those methods. Model.toSpec() and the other file methods call them.
import type { Optimizer } from '../optim/optimizer.js';
import type { ModelSpec } from '../io/spec.js';
import type { GraphSpec } from '../io/graph-spec.js';

export type { ModelSpec, GraphSpec };

/** Options of loading a model from a spec or a file. */
export interface LoadOptions {
  /**
   * false: for inference only (predict, evaluate): no gradient region is allocated and no optimizer
   * can attach. Default true.
   */
  training?: boolean;
  /** @internal Sequential.fromSpec/fromSafetensors: the spec must be 'ecopt.sequential'. */
  sequential?: boolean;
}

/** Options of `model.toSafetensors(options)`: extra metadata, and an optimizer whose state to include. */
export interface SafetensorsOptions {
  /** Also store this optimizer's state (it must belong to the model), for loadOptimizerState(). */
  optimizer?: Optimizer;
  /**
   * Extra metadata (string values); keys 'format', 'ecopt.spec' and 'ecopt.optimizer' are reserved.
   * DATASET_KEY ('ecopt.dataset'), when given, must be a DatasetInfo as JSON that fits the model.
   */
  metadata?: Record<string, string>;
}

/** @internal The serialization functions (M: the model class), set by io/checkpoint.ts. */
export interface Codec<M> {
  toSpec?: (model: M) => ModelSpec | GraphSpec;
  fromSpec?: (spec: unknown, options: LoadOptions) => M;
  toSafetensors?: (model: M, options: SafetensorsOptions) => Uint8Array;
  fromSafetensors?: (bytes: Uint8Array, spec: unknown, options: LoadOptions) => M;
}
