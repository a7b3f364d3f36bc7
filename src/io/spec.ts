// Model specs as data: the JSON architecture format of a Sequential model
// ({ format: 'ecopt.sequential', version: 1, inputShape, seed?, layers: [{ type, ...config() }] }),
// its validation (messages name the layer index, type and field) and building a model from it.
// A spec is data read from files, so every problem with one is a FormatError.
import { Sequential, inferInputShape } from '../graph/model.js';
import { isDim, tooLarge, MAX_DIM } from '../core/sizes.js';
import { Layer, Dense, ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, type InitKind } from '../layers/layer.js';
import { Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten } from '../layers/conv.js';
import { FormatError, ArgumentError } from '../core/errors.js';

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
export interface ModelSpec {
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

interface Field {
  required: boolean;
  ok: (v: unknown) => boolean;
  expect: string;
}

const INITS: InitKind[] = ['he-uniform', 'he-normal', 'glorot-uniform', 'glorot-normal', 'zeros'];
// integer fields are bounded by the same rule as the layer constructors (src/core/sizes.ts: 1..2^24)
const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isPair = (v: unknown, min: number) => isDim(v, min) || (Array.isArray(v) && v.length === 2 && isDim(v[0], min) && isDim(v[1], min));

const posInt: Field = { required: true, ok: (v) => isDim(v, 1), expect: 'a positive integer' };
const pairF = (required: boolean): Field => ({ required, ok: (v) => isPair(v, 1), expect: 'a positive integer or a pair of them' });
const bool: Field = { required: false, ok: (v) => typeof v === 'boolean', expect: 'a boolean' };
const init: Field = { required: false, ok: (v) => INITS.includes(v as InitKind), expect: `one of ${INITS.map((s) => `'${s}'`).join(', ')}` };
const finite: Field = { required: false, ok: (v) => typeof v === 'number' && Number.isFinite(v), expect: 'a finite number' };
const padding: Field = { required: false, ok: (v) => v === 'same' || isPair(v, 0), expect: "a non-negative integer, a pair of them, or 'same'" };

interface LayerKind {
  fields: Record<string, Field>;
  make: (f: any) => Layer;
}

/** Every layer a spec can name: its fields and how to construct it from them. */
const KINDS: Record<string, LayerKind> = {
  Dense: {
    fields: { inFeatures: posInt, outFeatures: posInt, bias: bool, init },
    make: (f) => new Dense(f.inFeatures, f.outFeatures, { bias: f.bias, init: f.init }),
  },
  ReLU: { fields: {}, make: () => new ReLU() },
  LeakyReLU: { fields: { alpha: finite }, make: (f) => new LeakyReLU(f.alpha) },
  PReLU: { fields: { init: finite }, make: (f) => new PReLU({ init: f.init }) },
  Sigmoid: { fields: {}, make: () => new Sigmoid() },
  Tanh: { fields: {}, make: () => new Tanh() },
  Conv2D: {
    fields: { inChannels: posInt, outChannels: posInt, kernel: pairF(true), stride: pairF(false), padding, dilation: pairF(false), bias: bool, init },
    make: (f) => new Conv2D(f.inChannels, f.outChannels, f.kernel, { stride: f.stride, padding: f.padding, dilation: f.dilation, bias: f.bias, init: f.init }),
  },
  MaxPool2D: { fields: { kernel: pairF(true), stride: pairF(false) }, make: (f) => new MaxPool2D(f.kernel, { stride: f.stride }) },
  AvgPool2D: { fields: { kernel: pairF(true), stride: pairF(false) }, make: (f) => new AvgPool2D(f.kernel, { stride: f.stride }) },
  GlobalAvgPool2D: { fields: {}, make: () => new GlobalAvgPool2D() },
  Flatten: { fields: {}, make: () => new Flatten() },
};
const KIND_CTORS: Record<string, Function> = {
  Dense, ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten,
};
const TOP_FIELDS = ['format', 'version', 'inputShape', 'seed', 'layers'];

/** A short rendering of a bad value for messages (bounded: specs come from files). */
function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = typeof v;
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  for (const k of Object.keys(spec)) {
    if (!TOP_FIELDS.includes(k)) throw new FormatError(`spec: unknown field '${k}' (fields: ${TOP_FIELDS.join(', ')})`);
  }
  if (spec.format !== SPEC_FORMAT) throw new FormatError(`spec.format must be '${SPEC_FORMAT}', got ${show(spec.format)}`);
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
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new FormatError(`spec.layers must be a non-empty array, got ${show(spec.layers)}`);
  spec.layers.forEach((l: unknown, i: number) => {
    const at = `spec.layers[${i}]`;
    if (!isObject(l)) throw new FormatError(`${at}: expected an object { type, ... }, got ${show(l)}`);
    if (l.type === undefined) throw new FormatError(`${at}: missing field 'type'`);
    if (typeof l.type !== 'string' || !Object.prototype.hasOwnProperty.call(KINDS, l.type)) {
      throw new FormatError(`${at}: unknown layer type ${show(l.type)} (known: ${Object.keys(KINDS).join(', ')})`);
    }
    const kind = KINDS[l.type];
    const where = `${at} (${l.type})`;
    const names = Object.keys(kind.fields);
    for (const k of Object.keys(l)) {
      if (k !== 'type' && !names.includes(k)) {
        throw new FormatError(`${where}: unknown field '${k}' (${names.length ? `fields: ${names.join(', ')}` : `${l.type} has no fields`})`);
      }
    }
    const copy: LayerSpec = { type: l.type };
    for (const [name, f] of Object.entries(kind.fields)) {
      const v = l[name];
      if (v === undefined) {
        if (f.required) throw new FormatError(`${where}: missing field '${name}' (${f.expect})`);
        continue;
      }
      if (!f.ok(v)) throw new FormatError(`${where}: ${name} must be ${f.expect}${tooLarge(v) ? ` (each integer at most ${MAX_DIM})` : ''}, got ${show(v)}`);
      copy[name] = Array.isArray(v) ? v.slice() : v;
    }
    out.layers.push(copy);
  });
  return out;
}

/**
 * The spec of a model: its input shape, seed and every layer's config().
 *
 * @internal The implementation behind `model.toSpec()`: use that.
 */
export function modelToSpec(model: Sequential): ModelSpec {
  const layers = model.layers.map((l) => {
    if (!Object.prototype.hasOwnProperty.call(KINDS, l.kind) || l.constructor !== KIND_CTORS[l.kind]) {
      throw new ArgumentError(`modelToSpec: ${l.label} is not a built-in layer, so it has no spec`);
    }
    return { type: l.kind, ...(JSON.parse(JSON.stringify(l.config())) as Record<string, unknown>) };
  });
  return { format: SPEC_FORMAT, version: SPEC_VERSION, inputShape: model.inputShape.slice(), seed: model.seed, layers };
}

/** Layers built from a checked spec, with the resolved input shape and the parameter names and shapes. */
export interface SpecPlan {
  layers: Layer[];
  inputShape: number[];
  seed: number;
  params: { name: string; shape: number[] }[];
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
        layers.push(KINDS[l.type].make(l));
      } catch (e) {
        throw new FormatError(`spec.layers[${i}] (${l.type}): ${(e as Error).message}`, { cause: e });
      }
    });
    const tryShapes = (input: number[]): number[] => {
      let shape = input;
      for (const l of layers) shape = l.build(shape);
      return shape;
    };
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
    // the layers' own messages say "layer -1": index them as the model will
    layers.forEach((l, i) => { l.index = i; });
    let out: number[];
    try {
      out = tryShapes(inputShape);
    } catch (e) {
      throw new FormatError(`spec: ${(e as Error).message}`, { cause: e });
    } finally {
      layers.forEach((l) => { l.index = -1; });
    }
    if (out.length !== 1) {
      throw new FormatError(`spec: the last layer must output a vector of class scores, got shape [${out.join(', ')}]`);
    }
    const params: { name: string; shape: number[] }[] = [];
    layers.forEach((l, i) => { for (const p of l.params) params.push({ name: `${i}.${p.name}`, shape: p.shape.slice() }); });
    return { layers, inputShape: inputShape.slice(), seed: spec.seed ?? 0, params };
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

/**
 * Builds the model a spec describes (weights initialized from spec.seed). Throws FormatError on a bad spec.
 *
 * @internal The implementation behind `Sequential.fromSpec()`: use that.
 */
export function modelFromSpec(spec: ModelSpec | string | unknown): Sequential {
  const plan = planFromSpec(checkSpec(spec));
  return modelFromPlan(plan);
}

/** The model of a plan; its layers become the model's. */
export function modelFromPlan(plan: SpecPlan): Sequential {
  try {
    return new Sequential(plan.layers, { seed: plan.seed, inputShape: plan.inputShape });
  } catch (e) {
    // Sequential frees its layers on failure
    if (e instanceof FormatError) throw e;
    if (e instanceof RangeError && !(e.name === 'ShapeError' || e.name === 'ArgumentError')) throw e; // out of memory: not a format problem
    throw new FormatError(`spec: ${(e as Error).message}`, { cause: e });
  }
}

// Sequential.toSpec() / Sequential.fromSpec() call these through the hook model.ts exposes, so that
// model.ts need not import this module (which imports model.ts).
Sequential.serialization.toSpec = modelToSpec;
Sequential.serialization.fromSpec = modelFromSpec;
