// The serialization functions of models (spec and safetensors), installed by io/spec.ts and
// io/safetensors.ts when the package loads, so that the model does not import the modules that
// import it. Model.toSpec() and the other file methods call them.
import type { Model } from './model.js';

export type ModelSpec = import('../io/spec.js').ModelSpec;
export type GraphSpec = import('../io/spec.js').GraphSpec;
export type SafetensorsOptions = import('../io/safetensors.js').SafetensorsOptions;

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

/** @internal The serialization functions, set by the io modules (which import this one). */
export interface Codec {
  toSpec?: (model: Model) => ModelSpec | GraphSpec;
  fromSpec?: (spec: unknown, options: LoadOptions) => Model;
  toSafetensors?: (model: Model, options: SafetensorsOptions) => Uint8Array;
  fromSafetensors?: (bytes: Uint8Array, spec: unknown, options: LoadOptions) => Model;
}

