// Sequential: the chain case of Model. Same constructor, options, spec format ('ecopt.sequential'
// v1), tensor names ('0.weight') and training bits as v0.1; the input shape may be inferred from
// the first layer (a Dense's inFeatures, or the smallest square that fits a Conv2D stack).
import { ArgumentError, ShapeError, describeValue } from '../core/errors.js';
import { Layer } from '../layers/layer.js';
import { isDim, tooLarge } from '../core/sizes.js';
import { chainGraph, type Graph } from './graph.js';
import { inferInputShape } from './shapes.js';

export { inferInputShape } from './shapes.js';
import { Model } from './model.js';
import type { LoadOptions } from './codec.js';
import type { LossOptions } from './loss.js';

/** Options of `new Sequential(layers, options)`. */
export interface SequentialOptions extends LossOptions {
  /** Seed for weight initialization (default 0). Same seed -> bit-identical weights everywhere. */
  seed?: number;
  /** Per-sample input shape, e.g. [784] or [1, 28, 28]; inferred from the first layer when omitted. */
  inputShape?: number[];
  /** @internal false: for inference only (no gradients, no optimizer); set by the loaders. */
  training?: boolean;
  /** @internal The chain's graph, already built for these layers and inputShape (spec loading): not built again. */
  graph?: Graph;
}

/**
 * A chain of layers trained on the CPU in wasm (the chain case of Model): owns its memory plan
 * (parameters, gradients, activations, optimizer state) in the runtime's arena, and runs forward,
 * backward, optimizer steps, `fit`, `evaluate` and `predict`. Create it after `await init()`; free
 * it with `dispose()`.
 */
export class Sequential extends Model {
  static override readonly modelKind: string = 'Sequential';

  constructor(layers: Layer[], options: SequentialOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new ArgumentError(`Sequential: options must be an object, got ${describeValue(options)}`);
    }
    const { loss, labelSmoothing, huberDelta } = options;
    super({ inputs: [], outputs: [], seed: options.seed, training: options.training, loss, labelSmoothing, huberDelta }, Sequential.chain(layers, options));
  }

  /** Checks the layers and builds the chain's graph (shapes inferred once; layers reusable on failure). */
  private static chain(layers: Layer[], options: SequentialOptions) {
    if (!Array.isArray(layers) || layers.length === 0) throw new ArgumentError('Sequential: expected a non-empty array of layers');
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw new ArgumentError(`Sequential: element ${i} is not a layer (got ${describeValue(l)})`);
      if (l.index !== -1) throw new ArgumentError(`Sequential: layer ${i} (${l.kind}) already belongs to a model; create a new layer instance`);
      if (l.output) throw new ArgumentError(`Sequential: layer ${i} (${l.kind}) is a node of a functional graph (applied with apply()); create a new layer instance`);
      if (l.name !== null) throw new ArgumentError(`Sequential: layer ${i} (${l.kind}) is named '${l.name}'; a Sequential names its tensors by index ('${i}.weight'): use the functional API (Model) for named layers`);
    });
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError(`Sequential: seed must be a non-negative integer, got ${describeValue(seed)}`);
    const given = options.graph;
    if (given && given.nodes.length === layers.length && given.nodes.every((n, i) => n.layer === layers[i])) {
      layers.forEach((l, i) => { l.index = i; });
      return given;
    }
    try {
      const inputShape = options.inputShape !== undefined ? checkInputShape(options.inputShape) : inferInputShape(layers);
      return chainGraph(layers, inputShape);
    } catch (e) {
      for (const l of layers) l.index = -1;
      throw e;
    }
  }

  /** The layers, in order (owned by this model). */
  declare readonly layers: Layer[];

  /** The model a spec (object or JSON text) describes, weights initialized from its seed. Throws FormatError naming the bad field. */
  static override fromSpec(spec: import('../io/spec.js').ModelSpec | string, options: LoadOptions = {}): Sequential {
    return Model.fromSpec(spec, { ...options, sequential: true } as LoadOptions) as Sequential;
  }

  /**
   * The model saved by toSafetensors(). `spec` replaces the file's spec (needed for files written
   * elsewhere). Every tensor is checked (F32, complete, shapes, finite); errors are FormatError.
   */
  static override fromSafetensors(bytes: Uint8Array, spec?: import('../io/spec.js').ModelSpec | string, options: LoadOptions = {}): Sequential {
    return Model.fromSafetensors(bytes, spec, { ...options, sequential: true } as LoadOptions) as Sequential;
  }
}

function checkInputShape(shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !isDim(d))) {
    const bound = Array.isArray(shape) && (shape.length > 8 || tooLarge(shape)) ? ' (at most 8 of them, each at most 16777216)' : '';
    throw new ShapeError(`Sequential: inputShape must be an array of positive integers${bound}, e.g. [784] or [1, 28, 28], got ${JSON.stringify(shape)?.slice(0, 80)}`);
  }
  if (shape.length > 8) throw new ShapeError(`Sequential: inputShape may have at most 8 dimensions, got ${shape.length}`);
  return shape.slice();
}

