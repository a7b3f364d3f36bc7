// The spec of a functional Model as data: { format: 'ecopt.graph', version: 1, seed?,
// inputs: [{ name, shape }], nodes: [{ name, type, inputs: [names], ...config() }], outputs: [name] }.
// Nodes are listed in topological order and read the input or earlier nodes by name; a node of an
// unnamed layer is named by its index ('3'). Every problem with a spec is a FormatError.
import { LOSS_FIELDS, lossSpecFields, pickLossFields, type Loss, type LossOptions } from '../graph/loss.js';
import { FormatError } from '../core/errors.js';
import { isDim, tooLarge } from '../core/sizes.js';
import type { Layer } from '../layers/layer.js';
import { checkLayerFields, layerFromFields, show } from '../layers/registry.js';
import { input, type SymbolicTensor } from '../graph/tensor.js';
import type { Graph } from '../graph/graph.js';

/** The `format` field of a functional Model's spec. */
export const GRAPH_SPEC_FORMAT = 'ecopt.graph';
/** The graph spec `version` this release writes and reads. */
export const GRAPH_SPEC_VERSION = 1;

/** One node of a graph spec: the layer's name, type, the tensors it reads, and its config() fields. */
export interface GraphNodeSpec {
  name: string;
  type: string;
  inputs: string[];
  [field: string]: unknown;
}

/** A functional Model's architecture as JSON-able data (`model.toSpec()`, `Model.fromSpec()`). */
export interface GraphSpec extends LossOptions {
  format: typeof GRAPH_SPEC_FORMAT;
  version: typeof GRAPH_SPEC_VERSION;
  /** Seed of the weight initialization (default 0). */
  seed?: number;
  /** The model's input: its name (nodes read it by name) and per-sample shape. */
  inputs: { name: string; shape: number[] }[];
  /** The layers in topological order. */
  nodes: GraphNodeSpec[];
  /** The name of the node whose output is the model's output (the last node). */
  outputs: string[];
}

const TOP_FIELDS = ['format', 'version', 'seed', 'inputs', 'nodes', 'outputs', ...LOSS_FIELDS];
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What graphSpecOf reads of a model. */
export interface GraphSpecSource {
  readonly graph: Graph;
  readonly seed: number;
  readonly inputShape: number[];
  readonly objective: Loss;
  nodeName(i: number): string;
}

/** The spec of a functional model (its layers must be built-in: the caller checked). */
export function graphSpecOf(model: GraphSpecSource): GraphSpec {
  const g = model.graph;
  const inputName = 'input';
  const names = [inputName, ...g.nodes.map((_, i) => model.nodeName(i))];
  const nodes = g.nodes.map((n, i) => ({
    name: names[i + 1], type: n.layer.kind, inputs: n.inputs.map((t) => names[t]),
    ...(JSON.parse(JSON.stringify(n.layer.config())) as Record<string, unknown>),
  }));
  return {
    format: GRAPH_SPEC_FORMAT, version: GRAPH_SPEC_VERSION, seed: model.seed,
    inputs: [{ name: inputName, shape: model.inputShape.slice() }], nodes, outputs: [names[names.length - 1]],
    ...lossSpecFields(model.objective),
  };
}

/** Validates a graph spec (object or JSON text) and returns a normalized deep copy; FormatError naming the field otherwise. */
export function checkGraphSpec(spec: unknown): GraphSpec {
  if (typeof spec === 'string') {
    try {
      spec = JSON.parse(spec);
    } catch (e) {
      throw new FormatError(`spec: not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(spec)) throw new FormatError(`spec: expected an object { format: '${GRAPH_SPEC_FORMAT}', version, inputs, nodes, outputs }, got ${show(spec)}`);
  for (const k of Object.keys(spec)) {
    if (!TOP_FIELDS.includes(k)) throw new FormatError(`spec: unknown field '${k}' (fields: ${TOP_FIELDS.join(', ')})`);
  }
  if (spec.format !== GRAPH_SPEC_FORMAT) throw new FormatError(`spec.format must be '${GRAPH_SPEC_FORMAT}', got ${show(spec.format)}`);
  if (spec.version !== GRAPH_SPEC_VERSION) {
    const newer = typeof spec.version === 'number' && spec.version > GRAPH_SPEC_VERSION;
    throw new FormatError(`spec.version must be ${GRAPH_SPEC_VERSION}, got ${show(spec.version)}${newer ? ' (written by a newer ecopt)' : ''}`);
  }
  const out: GraphSpec = { format: GRAPH_SPEC_FORMAT, version: GRAPH_SPEC_VERSION, inputs: [], nodes: [], outputs: [] };
  if (spec.seed !== undefined) {
    if (typeof spec.seed !== 'number' || !Number.isSafeInteger(spec.seed) || spec.seed < 0) throw new FormatError(`spec.seed must be a non-negative integer, got ${show(spec.seed)}`);
    out.seed = spec.seed;
  }
  Object.assign(out, pickLossFields(spec));
  const name = (v: unknown, at: string): string => {
    if (typeof v !== 'string' || !NAME.test(v)) throw new FormatError(`${at} must be a name of 1-128 letters, digits, '_', '-' or '.', got ${show(v)}`);
    return v;
  };
  if (!Array.isArray(spec.inputs) || spec.inputs.length !== 1 || !isObject(spec.inputs[0])) {
    throw new FormatError(`spec.inputs must be an array of one { name, shape }, got ${show(spec.inputs)}`);
  }
  const inp = spec.inputs[0];
  const s = inp.shape;
  if (!Array.isArray(s) || s.length === 0 || s.length > 8 || !s.every((d) => isDim(d, 1))) {
    throw new FormatError(`spec.inputs[0].shape must be a non-empty array of positive integers${tooLarge(s) || (Array.isArray(s) && s.length > 8) ? ' (at most 8 of them, each at most 16777216)' : ''}, got ${show(s)}`);
  }
  const known = new Set([name(inp.name, 'spec.inputs[0].name')]);
  out.inputs.push({ name: inp.name as string, shape: s.slice() });
  if (!Array.isArray(spec.nodes) || spec.nodes.length === 0) throw new FormatError(`spec.nodes must be a non-empty array, got ${show(spec.nodes)}`);
  spec.nodes.forEach((n: unknown, i: number) => {
    const at = `spec.nodes[${i}]`;
    if (!isObject(n)) throw new FormatError(`${at}: expected an object { name, type, inputs, ... }, got ${show(n)}`);
    const nodeName = name(n.name, `${at}.name`);
    if (known.has(nodeName)) throw new FormatError(`${at}: the name '${nodeName}' is used twice`);
    if (/^\d+$/.test(nodeName) && Number(nodeName) !== i) throw new FormatError(`${at}: a numeric name must be the node's index (${i}), got '${nodeName}'`);
    if (!Array.isArray(n.inputs) || n.inputs.length === 0) throw new FormatError(`${at}.inputs must be a non-empty array of names, got ${show(n.inputs)}`);
    const inputs = n.inputs.map((v: unknown, j: number) => {
      const ref = name(v, `${at}.inputs[${j}]`);
      if (!known.has(ref)) throw new FormatError(`${at}.inputs[${j}]: '${ref}' is neither the input nor an earlier node (nodes are listed in topological order)`);
      return ref;
    });
    const fields = checkLayerFields(n, at, ['name', 'inputs']);
    out.nodes.push({ ...fields, name: nodeName, inputs });
    known.add(nodeName);
  });
  const last = out.nodes[out.nodes.length - 1].name;
  if (!Array.isArray(spec.outputs) || spec.outputs.length !== 1 || spec.outputs[0] !== last) {
    throw new FormatError(`spec.outputs must be [the last node's name] (['${last}']), got ${show(spec.outputs)}`);
  }
  out.outputs = [last];
  return out;
}

/** A checked graph spec with its layers built and applied (shapes inferred once), before any memory is allocated. */
export interface GraphPlan {
  /** The symbolic input and output: `new Model({ inputs, outputs, seed })` makes the model. */
  inputs: SymbolicTensor;
  outputs: SymbolicTensor;
  seed: number;
  /** Number of nodes the spec lists (the model must have as many layers). */
  nodes: number;
  /** Parameter names and shapes, in the model's order (to match a file before allocating). */
  params: { name: string; shape: number[] }[];
  /** The built layers, in node order (they become the model's). */
  layers: Layer[];
  /** The loss options the spec records. */
  loss: LossOptions;
}

/** Builds and applies every layer of a checked graph spec; FormatError naming the node on a bad shape or config. */
export function planGraphSpec(spec: GraphSpec): GraphPlan {
  const tensors = new Map<string, SymbolicTensor>();
  const x = input(spec.inputs[0].shape);
  tensors.set(spec.inputs[0].name, x);
  const layers: Layer[] = [];
  let y = x;
  spec.nodes.forEach((n, i) => {
    const at = `spec.nodes[${i}] ('${n.name}', ${n.type})`;
    try {
      const layer = layerFromFields(n);
      if (n.name !== String(i)) layer.name = n.name;
      y = layer.apply(n.inputs.length === 1 ? tensors.get(n.inputs[0])! : n.inputs.map((r) => tensors.get(r)!));
      tensors.set(n.name, y);
      layers.push(layer);
    } catch (e) {
      throw new FormatError(`${at}: ${(e as Error).message}`, { cause: e });
    }
  });
  const params: { name: string; shape: number[] }[] = [];
  spec.nodes.forEach((n, i) => { for (const p of layers[i].params) params.push({ name: `${n.name}.${p.name}`, shape: p.shape.slice() }); });
  return { inputs: x, outputs: y, seed: spec.seed ?? 0, nodes: spec.nodes.length, params, layers, loss: pickLossFields(spec as unknown as Record<string, unknown>) };
}
