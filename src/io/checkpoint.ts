// Model files and training checkpoints: a model to and from a spec ('ecopt.sequential' or
// 'ecopt.graph') and to and from safetensors (weights, spec and optimizer state), resuming a
// checkpoint bit-identically. The only io module that builds models and optimizers; it installs
// the model's serialization functions (Model.serialization) when the package loads.
import { bufferBytes } from '../core/sizes.js';
import { FormatError, ArgumentError, MemoryError, StateError, describeValue } from '../core/errors.js';
import { sizeOf, type Layer } from '../layers/layer.js';
import { isBuiltinLayer } from '../layers/registry.js';
import { Model } from '../graph/model.js';
import { Sequential } from '../graph/sequential.js';
import type { LoadOptions, SafetensorsOptions } from '../graph/codec.js';
import { Optimizer } from '../optim/optimizer.js';
import { createOptimizer, isOptimizerKind, OPTIMIZER_KINDS } from '../optim/registry.js';
import {
  readSafetensors, writeSafetensors, datasetInfoProblem, tensorIntegers, show, isObject, isIndex,
  SPEC_KEY, OPTIMIZER_KEY, STATE_PREFIX, DATASET_KEY, type SafetensorsFile, type SafetensorsEntry, type TensorToWrite,
} from './safetensors.js';
import { checkSpec, planFromSpec, parseSpec, sequentialSpecOf, type ModelSpec, type SpecPlan } from './spec.js';
import { GRAPH_SPEC_FORMAT, checkGraphSpec, graphSpecOf, planGraphSpec, type GraphSpec, type GraphPlan } from './graph-spec.js';

// ---- specs ----

/**
 * The spec of a model: 'ecopt.sequential' v1 for a Sequential, 'ecopt.graph' v1 for a Model.
 *
 * @internal The implementation behind `model.toSpec()`: use that.
 */
export function modelToSpec(model: Model): ModelSpec | GraphSpec {
  for (const l of model.layers) {
    if (!isBuiltinLayer(l)) throw new ArgumentError(`modelToSpec: ${l.label} is not a built-in layer, so it has no spec`);
  }
  return model instanceof Sequential ? sequentialSpecOf(model.layers, model.inputShape, model.seed, model.objective) : graphSpecOf(model);
}

/**
 * Builds the model a spec describes (weights initialized from its seed): a Sequential for an
 * 'ecopt.sequential' spec, a Model for an 'ecopt.graph' one. Throws FormatError on a bad spec.
 *
 * @internal The implementation behind `Sequential.fromSpec()` / `Model.fromSpec()`: use those.
 */
export function modelFromSpec(spec: ModelSpec | GraphSpec | string | unknown, options: LoadOptions = {}): Model {
  const parsed = parseSpec(spec);
  if (isObject(parsed) && parsed.format === GRAPH_SPEC_FORMAT && !options.sequential) {
    return modelFromGraphPlan(planGraphSpec(checkGraphSpec(parsed)), options.training ?? true);
  }
  return modelFromPlan(planFromSpec(checkSpec(parsed)), options.training ?? true);
}

/** The Sequential of a plan; its layers become the model's. */
export function modelFromPlan(plan: SpecPlan, training = true): Sequential {
  return buildModel(() => new Sequential(plan.layers, { seed: plan.seed, inputShape: plan.inputShape, training, graph: plan.graph, ...plan.loss }));
}

/** The Model of a graph plan; refuses a spec with nodes that do not lead to the output. */
function modelFromGraphPlan(plan: GraphPlan, training: boolean): Model {
  const m = buildModel(() => new Model({ inputs: plan.inputs, outputs: plan.outputs, seed: plan.seed, training, ...plan.loss }));
  if (m.layers.length !== plan.nodes) {
    m.dispose();
    throw new FormatError(`spec: ${plan.nodes - m.layers.length} of the nodes do not lead to the output; a spec lists only the model's layers`);
  }
  return m;
}

/** Runs a model constructor for a spec: shape and argument problems are the spec's (FormatError). */
function buildModel<M extends Model>(make: () => M): M {
  try {
    return make();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    if (e instanceof RangeError && !(e.name === 'ShapeError' || e.name === 'ArgumentError')) throw e; // out of memory: not a format problem
    throw new FormatError(`spec: ${(e as Error).message}`, { cause: e });
  }
}

// ---- safetensors ----

/** What the 'ecopt.optimizer' metadata holds. */
export interface OptimizerRecord {
  kind: string;
  options: Record<string, unknown>;
  /** Steps applied so far (Optimizer.t). */
  step: number;
  /** Number of `optimizer.state.<k>` tensors. */
  buffers: number;
}

/** Metadata of models with Dropout: the training-step count its masks are drawn from (resumes replay them). */
const STEP_KEY = 'ecopt.step';
const RESERVED = ['format', SPEC_KEY, OPTIMIZER_KEY, STEP_KEY];

/** The step count a file records (STEP_KEY), or null. */
function recordedStep(file: SafetensorsFile): number | null {
  const text = file.metadata[STEP_KEY];
  if (text === undefined) return null;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new FormatError(`safetensors: metadata '${STEP_KEY}' must be a non-negative integer, got ${show(text)}`);
  return n;
}

/** @internal See Sequential.toSafetensors(). Weights and state are written straight from wasm memory. */
export function modelToSafetensors(model: Model, options: SafetensorsOptions = {}): Uint8Array {
  const { optimizer, metadata = {} } = options ?? {};
  for (const k of Object.keys(metadata)) {
    if (RESERVED.includes(k)) throw new ArgumentError(`toSafetensors: metadata key '${k}' is reserved`);
  }
  if (optimizer !== undefined && (!(optimizer instanceof Optimizer) || optimizer.model !== model)) {
    throw new ArgumentError('toSafetensors: options.optimizer must be an optimizer created for this model');
  }
  if (isObject(metadata) && typeof metadata[DATASET_KEY] === 'string') checkDatasetFits(metadata[DATASET_KEY], model);
  const a = model.arena;
  const tensors: TensorToWrite[] = [];
  const names = model.weightSpecs();
  let i = 0;
  for (const l of model.layers) {
    l.params.forEach((p, j) => tensors.push({ name: names[i++].name, shape: p.shape.slice(), data: a.f32(l.paramPtr[j], sizeOf(p.shape)) }));
  }
  for (const x of extraTensorsOf(model.layers, (i) => model.nodeName(i))) {
    tensors.push(x.dtype === 'I64'
      ? { name: x.name, shape: [], data: BigInt64Array.of(BigInt(model.batchesTracked)) }
      : { name: x.name, shape: x.shape, data: a.f32(x.layer.bufferPtr[x.index], sizeOf(x.shape)) });
  }
  // 'format: pt' is what safetensors.torch.save_file writes; tools such as transformers look for it
  const meta: Record<string, string> = { format: 'pt', [SPEC_KEY]: JSON.stringify(modelToSpec(model)), ...metadata };
  if (model.layers.some((l) => l.usesStep)) meta[STEP_KEY] = String(model.batchesTracked);
  if (optimizer) {
    const state = optimizer.stateBuffers();
    const record: OptimizerRecord = { kind: optimizer.kind, options: optimizer.options(), step: optimizer.t, buffers: state.length };
    meta[OPTIMIZER_KEY] = JSON.stringify(record);
    state.forEach((p, k) => tensors.push({ name: `${STATE_PREFIX}${k}`, shape: [model.paramRegionFloats], data: a.f32(p, model.paramRegionFloats) }));
  }
  return writeSafetensors(tensors, meta);
}

/** A tensor a model file holds besides the weights: a buffer (F32) or a BatchNorm batch counter (I64, shape []). */
interface ExtraTensor { name: string; shape: number[]; dtype: 'F32' | 'I64'; layer: Layer; index: number }

/** The buffers (running statistics) and the num_batches_tracked counters of layers named by `nameOf`. */
function extraTensorsOf(layers: Layer[], nameOf: (i: number) => string): ExtraTensor[] {
  const out: ExtraTensor[] = [];
  layers.forEach((l, i) => {
    l.buffers.forEach((b, j) => out.push({ name: `${nameOf(i)}.${b.name}`, shape: b.shape.slice(), dtype: 'F32', layer: l, index: j }));
    if (l.buffers.some((b) => b.name === 'running_mean')) out.push({ name: `${nameOf(i)}.num_batches_tracked`, shape: [], dtype: 'I64', layer: l, index: -1 });
  });
  return out;
}

/** Copies the buffers and the batch counter of a file into a model (tensors matched and F32 values checked here). */
function loadExtras(model: Model, extras: ExtraTensor[], entries: SafetensorsEntry[]): void {
  let counter: number | null = null;
  extras.forEach((x, i) => {
    if (x.dtype === 'I64') counter ??= tensorIntegers(entries[i])[0];
    else copyChecked(model, x.layer.bufferPtr[x.index], entries[i]);
  });
  if (counter !== null) model.batchesTracked = counter;
}

/** toSafetensors: DATASET_KEY metadata must be valid and describe data this model takes. */
function checkDatasetFits(text: string, model: Model): void {
  const r = datasetInfoProblem(text);
  if (r.problem) throw new ArgumentError(`toSafetensors: metadata ${r.problem}`);
  const info = r.info!;
  const values = info.sampleShape.reduce((a, b) => a * b, 1);
  const need = sizeOf(model.inputShape);
  if (values !== need) {
    throw new ArgumentError(`toSafetensors: metadata '${DATASET_KEY}' has samples of shape [${info.sampleShape.join(', ')}] (${values} values), the model takes ${need} (inputShape [${model.inputShape.join(', ')}])`);
  }
  if (info.classes !== model.classes) throw new ArgumentError(`toSafetensors: metadata '${DATASET_KEY}' has ${info.classes} classes, the model outputs ${model.classes}`);
}

/** The optimizer record of a file's metadata, validated (null when the file has none). */
function optimizerRecord(file: SafetensorsFile): OptimizerRecord | null {
  const text = file.metadata[OPTIMIZER_KEY];
  if (text === undefined) return null;
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    throw new FormatError(`safetensors: metadata '${OPTIMIZER_KEY}' is not valid JSON`);
  }
  if (!isObject(r) || typeof r.kind !== 'string' || !isObject(r.options) || !isIndex(r.step) || !isIndex(r.buffers)) {
    throw new FormatError(`safetensors: metadata '${OPTIMIZER_KEY}' must be { kind, options, step, buffers }, got ${show(r)}`);
  }
  return r as unknown as OptimizerRecord;
}

/**
 * Matches a file's tensors with a model's parameters (and, when the file holds optimizer state,
 * `optimizer.state.<k>` with the parameter region): every name present, no extras, equal shapes.
 * Returns the weight entries in parameter order and the state entries in k order.
 */
function matchTensors(file: SafetensorsFile, params: { name: string; shape: number[] }[], regionFloats: number, extras: ExtraTensor[] = []):
  { weights: SafetensorsEntry[]; state: SafetensorsEntry[]; extras: SafetensorsEntry[]; record: OptimizerRecord | null } {
  const record = optimizerRecord(file);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const expected = new Map<string, number[]>([...params, ...extras].map((p) => [p.name, p.shape]));
  const dtypes = new Map(extras.map((x) => [x.name, x.dtype]));
  const stateNames: string[] = [];
  // the count comes from the file: bound it by the tensors the file really has before looping
  if (record && record.buffers > file.tensors.length) {
    throw new FormatError(`safetensors: metadata '${OPTIMIZER_KEY}' claims ${record.buffers} state buffers, but the file holds ${file.tensors.length} tensors`);
  }
  for (let k = 0; k < (record?.buffers ?? 0); k++) {
    stateNames.push(`${STATE_PREFIX}${k}`);
    expected.set(`${STATE_PREFIX}${k}`, [regionFloats]);
  }
  for (const [name, shape] of expected) {
    const t = byName.get(name);
    if (!t) {
      const what = name.startsWith(STATE_PREFIX) ? 'optimizer state' : 'weights';
      throw new FormatError(`safetensors: tensor '${name}' is missing (${what}; expected shape [${shape.join(', ')}])`);
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new FormatError(`safetensors: tensor '${name}' has shape [${t.shape.join(', ')}], but the model needs [${shape.join(', ')}]`);
    }
    const dtype = dtypes.get(name) ?? 'F32';
    if (t.dtype !== dtype) throw new FormatError(`safetensors: tensor '${name}' has dtype ${t.dtype}, but the model needs ${dtype}`);
  }
  for (const t of file.tensors) {
    if (!expected.has(t.name)) {
      throw new FormatError(`safetensors: unexpected tensor ${show(t.name)} (the model has ${[...params, ...extras].map((p) => p.name).join(', ')}` +
        `${stateNames.length ? ` and ${stateNames.join(', ')}` : ''})`);
    }
  }
  return { weights: params.map((p) => byName.get(p.name)!), state: stateNames.map((s) => byName.get(s)!), extras: extras.map((x) => byName.get(x.name)!), record };
}

/** Copies F32 file bytes into arena memory at ptr and checks them in wasm; throws FormatError naming the tensor. */
function copyChecked(model: Model, ptr: number, t: SafetensorsEntry): void {
  model.arena.u8(ptr, t.bytes.length).set(t.bytes);
  const n = t.bytes.length / 4;
  const bad = model.kernels.first_nonfinite(ptr, n);
  if (bad >= 0) throw new FormatError(`safetensors: tensor '${t.name}' has a non-finite value (${model.arena.f32(ptr + bad * 4, 1)[0]}) at index ${bad}`);
}

/** @internal See Model.fromSafetensors() / Sequential.fromSafetensors(). */
export function modelFromSafetensors(bytes: Uint8Array, spec?: ModelSpec | GraphSpec | string, options: LoadOptions = {}): Model {
  const file = readSafetensors(bytes);
  const source = parseSpec(spec ?? file.metadata[SPEC_KEY]);
  if (source === undefined) {
    throw new FormatError(`safetensors: the file has no '${SPEC_KEY}' metadata (not written by ecopt?); pass the architecture spec as the second argument`);
  }
  const training = options.training ?? true;
  let params: { name: string; shape: number[] }[];
  let make: () => Model;
  let extras: ExtraTensor[];
  if (isObject(source) && source.format === GRAPH_SPEC_FORMAT && !options.sequential) {
    const checked = checkGraphSpec(source);
    const plan = planGraphSpec(checked);
    params = plan.params;
    extras = extraTensorsOf(plan.layers, (i) => checked.nodes[i].name);
    make = () => modelFromGraphPlan(plan, training);
  } else {
    const checked = checkSpec(source);
    if (spec === undefined && checked.inputShape === undefined) {
      // ecopt always writes it; inferring it costs up to 1024 shape passes over every layer, which a
      // file must not be able to demand
      throw new FormatError(`spec.inputShape is missing in the file's '${SPEC_KEY}' metadata; pass the spec as the second argument`);
    }
    const plan = planFromSpec(checked);
    params = plan.params;
    extras = extraTensorsOf(plan.layers, (i) => String(i));
    make = () => modelFromPlan(plan, training);
  }
  // params are matched against tensors the file holds before any model memory is allocated
  const regionFloats = Math.max(4, params.reduce((a, p) => a + Math.ceil(sizeOf(p.shape) / 4) * 4, 0));
  const { weights, extras: extraEntries } = matchTensors(file, params, regionFloats, extras);
  const step = recordedStep(file);
  const model = make();
  try {
    let i = 0;
    for (const l of model.layers) for (const ptr of l.paramPtr) copyChecked(model, ptr, weights[i++]);
    // the plan's layers are the model's: the extras point at them
    loadExtras(model, extras, extraEntries);
    if (step !== null) model.batchesTracked = step;
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The architecture of a spec without its seed, as comparable text (checkpoints must match it). */
function architectureOf(spec: unknown): string {
  const parsed = parseSpec(spec);
  if (isObject(parsed) && parsed.format === GRAPH_SPEC_FORMAT) {
    const g = checkGraphSpec(parsed);
    return JSON.stringify([g.inputs, g.nodes, g.outputs]);
  }
  return JSON.stringify(checkSpec(parsed).layers);
}

/**
 * Restores a training checkpoint written by `model.toSafetensors({ optimizer })` into `optimizer`
 * and its model: the model's weights, the optimizer's state buffers and its step count `t`. The
 * optimizer's hyperparameters stay as it was created with (so a schedule may change lr on resume);
 * create it with the saved ones for a bit-identical continuation (loadCheckpoint() does that).
 *
 * Why the weights too: the EC optimizers' constructors rewrite weights (init 'unit-skeleton' sets
 * every skeleton weight to 1, 'preserve' rescales units), so weights loaded before creating the
 * optimizer would be changed. Restoring them here, after the optimizer exists, makes
 * `fromSafetensors -> new Optimizer -> loadOptimizerState` correct for every optimizer.
 *
 * Checks the optimizer kind, the architecture (spec) and every tensor's name, shape and finiteness
 * before writing anything; throws FormatError otherwise.
 */
export function loadOptimizerState(optimizer: Optimizer, bytes: Uint8Array): void {
  if (!(optimizer instanceof Optimizer)) throw new ArgumentError(`loadOptimizerState: expected an optimizer, got ${describeValue(optimizer)}`);
  optimizer.checkUsable('loadOptimizerState');
  const model = optimizer.model as Model;
  const file = readSafetensors(bytes);
  const record = optimizerRecord(file);
  if (!record) throw new FormatError(`safetensors: the file holds no optimizer state (no '${OPTIMIZER_KEY}' metadata); save with model.toSafetensors({ optimizer })`);
  if (record.kind !== optimizer.kind) throw new FormatError(`safetensors: the file holds ${record.kind} state, but the optimizer is ${optimizer.kind}`);
  const state = optimizer.stateBuffers();
  if (record.buffers !== state.length) {
    throw new FormatError(`safetensors: the file holds ${record.buffers} ${record.kind} state buffers, but this optimizer has ${state.length} (different options, e.g. momentum?)`);
  }
  const specText = file.metadata[SPEC_KEY];
  if (specText !== undefined) {
    const mineSpec = modelToSpec(model);
    const parsed = parseSpec(specText);
    const savedShape = isObject(parsed) && Array.isArray(parsed.inputShape) ? parsed.inputShape.join() : undefined;
    const same = architectureOf(parsed) === architectureOf(mineSpec) &&
      (savedShape === undefined || !('inputShape' in mineSpec) || savedShape === mineSpec.inputShape!.join());
    if (!same) {
      throw new FormatError("safetensors: the checkpoint's architecture (metadata 'ecopt.spec') differs from the optimizer's model");
    }
  }
  const n = model.paramRegionFloats;
  const recorded = recordedStep(file);
  const extras = extraTensorsOf(model.layers, (i) => model.nodeName(i));
  const { weights, state: stateEntries, extras: extraEntries } = matchTensors(file, model.weightSpecs(), n, extras);
  // stage everything, check finiteness in wasm, then commit: a bad file leaves the model untouched
  const a = model.arena;
  const nb = model.bufferRegionFloats;
  const staging = model.allocBlock(bufferBytes(n * (1 + state.length) + nb, 'loadOptimizerState: the staging copy of weights, state and buffers'), 'checkpoint staging').ptr;
  try {
    let i = 0;
    for (const l of model.layers) for (const ptr of l.paramPtr) copyChecked(model, staging + (ptr - model.paramBase), weights[i++]);
    stateEntries.forEach((t, k) => copyChecked(model, staging + (k + 1) * n * 4, t));
    const bufferStage = staging + (1 + state.length) * n * 4;
    let counter: number | null = null;
    extras.forEach((x, k) => {
      if (x.dtype === 'I64') counter ??= tensorIntegers(extraEntries[k])[0];
      else copyChecked(model, bufferStage + (x.layer.bufferPtr[x.index] - model.bufferBase), extraEntries[k]);
    });
    model.kernels.copy_bytes(model.paramBase, staging, n * 4);
    state.forEach((p, k) => model.kernels.copy_bytes(p, staging + (k + 1) * n * 4, n * 4));
    if (nb > 0) model.kernels.copy_bytes(model.bufferBase, bufferStage, nb * 4);
    if (counter !== null) model.batchesTracked = counter;
    if (recorded !== null) model.batchesTracked = recorded;
    optimizer.t = record.step;
  } finally {
    a.release(staging);
  }
}

/**
 * Resumes training from a checkpoint written by `model.toSafetensors({ optimizer })`: the model
 * (from the file's spec), an optimizer of the saved kind created with the saved options, and then
 * loadOptimizerState() (weights, state buffers, step). Training on with the same batches continues
 * bit-identically to a run that never stopped.
 */
export function loadCheckpoint(bytes: Uint8Array, spec?: ModelSpec | GraphSpec | string): { model: Model; optimizer: Optimizer } {
  const model = modelFromSafetensors(bytes, spec);
  try {
    const record = optimizerRecord(readSafetensors(bytes));
    if (!record) throw new FormatError(`safetensors: the file holds no optimizer state (no '${OPTIMIZER_KEY}' metadata); use Model.fromSafetensors (or Sequential.fromSafetensors) for weights only`);
    const kind = record.kind;
    if (!isOptimizerKind(kind)) throw new FormatError(`safetensors: unknown optimizer kind ${show(kind)} (known: ${OPTIMIZER_KINDS.join(', ')})`);
    let optimizer: Optimizer;
    try {
      optimizer = createOptimizer(kind, model, record.options as never);
    } catch (e) {
      // out of memory (or a runtime shut down) is not a problem of the file
      if (e instanceof MemoryError || e instanceof StateError) throw e;
      throw new FormatError(`safetensors: the saved ${record.kind} options are invalid: ${(e as Error).message}`, { cause: e });
    }
    loadOptimizerState(optimizer, bytes);
    return { model, optimizer };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

Model.serialization.toSafetensors = modelToSafetensors;
Model.serialization.fromSafetensors = (bytes, spec, options) => modelFromSafetensors(bytes, spec as ModelSpec | GraphSpec | string | undefined, options);

Model.serialization.toSpec = modelToSpec;
Model.serialization.fromSpec = modelFromSpec;
