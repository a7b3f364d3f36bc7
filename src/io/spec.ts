// Model specs as data: the JSON architecture format of a Sequential model
// ({ format: 'ecopt.sequential', version: 1, inputShape, seed?, layers: [{ type, ...config() }] }),
// its validation (messages name the layer index, type and field) and its layers built and shaped
// (planFromSpec), without any memory: io/checkpoint.ts makes the model. A spec is data read from
// files, so every problem with one is a FormatError.
import { LOSS_FIELDS, lossSpecFields, pickLossFields, type Loss, type LossOptions } from '../graph/loss.js';
import { inferInputShape } from '../graph/shapes.js';
import { chainGraph, type Graph } from '../graph/graph.js';
import { isDim, tooLarge } from '../core/sizes.js';
import type { Layer } from '../layers/layer.js';
import { Dense } from '../layers/dense.js';
import { Conv2D } from '../layers/conv2d.js';
import { checkLayerFields, layerFromFields, show } from '../layers/registry.js';
import { FormatError } from '../core/errors.js';
import { GRAPH_SPEC_FORMAT } from './graph-spec.js';

export { type GraphSpec } from './graph-spec.js';

const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `format` field of every model spec. */
export const SPEC_FORMAT = 'ecopt.sequential';
/** The spec `version` this release writes and reads. */
export const SPEC_VERSION = 1;

/** One layer: its class name and the fields of its config() (constructor arguments and options). */
export interface LayerSpec {
  type: string;
  [field: string]: unknown;
}

/**
 * A Sequential model's architecture as JSON-able data (`model.toSpec()`, `Sequential.fromSpec()`,
 * the `ecopt.spec` metadata of a safetensors file): the layers as data, not the weights.
 */
export interface ModelSpec extends LossOptions {
  /** Always `'ecopt.sequential'`. */
  format: typeof SPEC_FORMAT;
  /** Always 1. */
  version: typeof SPEC_VERSION;
  /** Per-sample input shape; when omitted it is inferred as `new Sequential` does. */
  inputShape?: number[];
  /** Seed of the weight initialization (default 0). */
  seed?: number;
  /** The layers in order. */
  layers: LayerSpec[];
}

const TOP_FIELDS = ['format', 'version', 'inputShape', 'seed', 'layers', ...LOSS_FIELDS];

/**
 * Validates a spec (an object or its JSON text) and returns a normalized deep copy.
 * Throws FormatError naming the problem, e.g. "spec.layers[2] (Dense): outFeatures must be a
 * positive integer, got -3".
 */
export function checkSpec(spec: unknown): ModelSpec {
  if (typeof spec === 'string') {
    try {
      spec = JSON.parse(spec);
    } catch (e) {
      throw new FormatError(`spec: not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(spec)) throw new FormatError(`spec: expected an object { format: '${SPEC_FORMAT}', version, inputShape, layers }, got ${show(spec)}`);
  if (spec.format === GRAPH_SPEC_FORMAT) {
    throw new FormatError(`spec.format must be '${SPEC_FORMAT}', got '${GRAPH_SPEC_FORMAT}' (a functional Model's spec: check it with checkGraphSpec, load it with Model.fromSpec)`);
  }
  for (const k of Object.keys(spec)) {
    if (!TOP_FIELDS.includes(k)) throw new FormatError(`spec: unknown field '${k}' (fields: ${TOP_FIELDS.join(', ')})`);
  }
  if (spec.format !== SPEC_FORMAT) {
    const hint = spec.format === GRAPH_SPEC_FORMAT ? ` (an '${GRAPH_SPEC_FORMAT}' spec describes a functional Model: load it with Model.fromSpec)` : '';
    throw new FormatError(`spec.format must be '${SPEC_FORMAT}', got ${show(spec.format)}${hint}`);
  }
  if (spec.version !== SPEC_VERSION) {
    const newer = typeof spec.version === 'number' && spec.version > SPEC_VERSION;
    throw new FormatError(`spec.version must be ${SPEC_VERSION}, got ${show(spec.version)}${newer ? ' (written by a newer ecopt)' : ''}`);
  }
  const out: ModelSpec = { format: SPEC_FORMAT, version: SPEC_VERSION, layers: [] };
  if (spec.inputShape !== undefined) {
    const s = spec.inputShape;
    if (!Array.isArray(s) || s.length === 0 || s.length > 8 || !s.every((d) => isDim(d, 1))) {
      throw new FormatError(`spec.inputShape must be a non-empty array of positive integers${tooLarge(s) || (Array.isArray(s) && s.length > 8) ? ' (at most 8 of them, each at most 16777216)' : ''}, got ${show(s)}`);
    }
    out.inputShape = s.slice();
  }
  if (spec.seed !== undefined) {
    if (!isInt(spec.seed, 0)) throw new FormatError(`spec.seed must be a non-negative integer, got ${show(spec.seed)}`);
    out.seed = spec.seed as number;
  }
  Object.assign(out, pickLossFields(spec));
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new FormatError(`spec.layers must be a non-empty array, got ${show(spec.layers)}`);
  spec.layers.forEach((l: unknown, i: number) => {
    const at = `spec.layers[${i}]`;
    if (!isObject(l)) throw new FormatError(`${at}: expected an object { type, ... }, got ${show(l)}`);
    const copy: LayerSpec = checkLayerFields(l, at);
    out.layers.push(copy);
  });
  return out;
}

/** The sequential spec of a chain of built-in layers (the caller checked they are built-in). */
export function sequentialSpecOf(layers: Layer[], inputShape: number[], seed: number, loss?: Loss): ModelSpec {
  const specs = layers.map((l) => ({ type: l.kind, ...(JSON.parse(JSON.stringify(l.config())) as Record<string, unknown>) }));
  return { format: SPEC_FORMAT, version: SPEC_VERSION, inputShape: inputShape.slice(), seed, layers: specs, ...(loss ? lossSpecFields(loss) : {}) };
}

/** Layers built from a checked spec, with the resolved input shape and the parameter names and shapes. */
export interface SpecPlan {
  layers: Layer[];
  inputShape: number[];
  seed: number;
  params: { name: string; shape: number[] }[];
  /** The chain's graph with every shape inferred (the model reuses it: each layer is built once). */
  graph: Graph;
  /** The loss options the spec records. */
  loss: LossOptions;
}

/**
 * Constructs the layers of a checked spec and runs shape inference on them without allocating
 * the model, so a caller can compare the parameter shapes with a file before committing memory.
 * The input shape, when the spec has none, is inferred by the rule of `new Sequential`: [inFeatures]
 * for a first Dense, else the smallest square [C, S, S] (S <= 1024) that every layer accepts.
 * The returned layers are unattached; dispose them (disposeLayers) if they are not given to a model.
 */
export function planFromSpec(spec: ModelSpec): SpecPlan {
  const layers: Layer[] = [];
  try {
    spec.layers.forEach((l, i) => {
      try {
        layers.push(layerFromFields(l));
      } catch (e) {
        throw new FormatError(`spec.layers[${i}] (${l.type}): ${(e as Error).message}`, { cause: e });
      }
    });
    let inputShape = spec.inputShape;
    if (!inputShape) {
      const first = layers[0];
      if (!(first instanceof Dense) && !(first instanceof Conv2D)) {
        throw new FormatError(`spec: cannot infer the input shape from the first layer (${first.kind}); give spec.inputShape`);
      }
      try {
        inputShape = inferInputShape(layers);
      } catch {
        throw new FormatError('spec: no square input up to 1024x1024 fits the layers; give spec.inputShape');
      }
    }
    // chainGraph indexes the layers as the model will, for the layers' own messages
    let graph: Graph;
    try {
      graph = chainGraph(layers, inputShape);
    } catch (e) {
      throw new FormatError(`spec: ${(e as Error).message}`, { cause: e });
    } finally {
      layers.forEach((l) => { l.index = -1; });
    }
    const out = graph.shapes[graph.shapes.length - 1];
    if (out.length !== 1) {
      throw new FormatError(`spec: the last layer must output a vector of class scores, got shape [${out.join(', ')}]`);
    }
    const params: { name: string; shape: number[] }[] = [];
    layers.forEach((l, i) => { for (const p of l.params) params.push({ name: `${i}.${p.name}`, shape: p.shape.slice() }); });
    return { layers, inputShape: inputShape.slice(), seed: spec.seed ?? 0, params, graph, loss: pickLossFields(spec as unknown as Record<string, unknown>) };
  } catch (e) {
    disposeLayers(layers);
    throw e;
  }
}

/**
 * Does nothing: layers own no memory since 0.2 (the model allocates their blocks). Kept for the
 * callers in this package.
 *
 * @internal
 */
export function disposeLayers(_layers: Layer[]): void {}

/** The object of a spec given as JSON text (FormatError on bad JSON); other values as they are. */
export function parseSpec(spec: unknown): unknown {
  if (typeof spec !== 'string') return spec;
  try {
    return JSON.parse(spec);
  } catch (e) {
    throw new FormatError(`spec: not valid JSON (${(e as Error).message})`);
  }
}

