// The graph a model runs: its layers as nodes in topological order and the per-sample shape of
// every tensor, made once (from a chain of layers, or from the symbolic tensors of the functional
// API) and read by the model's constructor, the memory plan, spec writing and summary().
//
// Numbering: tensor 0 is the model input; node i's output is tensor i + 1, so every node reads
// tensors of lower numbers, and the model output is the last tensor (the last node's output).
import { ArgumentError, ShapeError, describeValue } from '../core/errors.js';
import { Layer } from '../layers/layer.js';
import { isSymbolicTensor, type SymbolicTensor } from './tensor.js';

/** One layer of a graph and the tensors it reads (tensor numbers, in the order it was applied to them). */
export interface GraphNode {
  layer: Layer;
  inputs: number[];
}

/** A model's graph with its shapes inferred (each layer built exactly once). */
export interface Graph {
  /** Per-tensor per-sample shapes: [0] the input, [i + 1] node i's output. */
  shapes: number[][];
  nodes: GraphNode[];
  /** True when every node reads exactly the previous tensor (a Sequential, or a functional chain). */
  chain: boolean;
}

/** Tensor number of the model output. */
export const outputTensor = (g: Graph): number => g.nodes.length;

/**
 * The graph of a chain of layers on `inputShape`: builds every layer in order (ShapeError naming
 * the first layer whose input does not fit). Indexes the layers as the model will, for messages.
 */
export function chainGraph(layers: Layer[], inputShape: number[]): Graph {
  const shapes = [inputShape.slice()];
  const nodes = layers.map((layer, i) => {
    layer.index = i;
    shapes.push(layer.buildInputs([shapes[i]]));
    return { layer, inputs: [i] };
  });
  return { shapes, nodes, chain: true };
}

/**
 * The graph between the symbolic tensors `inputs` and `outputs` (one each, for now): every layer
 * the output depends on, in creation order (a topological order). Refuses a graph that reaches an
 * input() not given as `inputs`, an input the output does not depend on, and layers already in a model.
 */
export function symbolicGraph(inputs: unknown, outputs: unknown, who: string): Graph {
  const one = (v: unknown, what: string): SymbolicTensor => {
    const list = Array.isArray(v) ? v : [v];
    if (list.length !== 1) {
      throw new ArgumentError(`${who}: ${what} must be one symbolic tensor (models with several ${what} are not supported yet), got ${list.length}`);
    }
    if (!isSymbolicTensor(list[0])) throw new ArgumentError(`${who}: ${what} must be a symbolic tensor (from input() or layer.apply()), got ${describeValue(list[0])}`);
    return list[0];
  };
  const x = one(inputs, 'inputs');
  const y = one(outputs, 'outputs');
  if (x.producer) throw new ArgumentError(`${who}: inputs must be made by input(shape), got ${x.describe()}`);

  // every tensor the output depends on, found by walking back; then sorted by creation
  const seen = new Map<number, SymbolicTensor>();
  const stack = [y];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.set(t.id, t);
    if (!t.producer && t !== x) {
      throw new ArgumentError(`${who}: the outputs depend on ${t.describe()}, which is not the model's input; pass it as inputs or build the graph from the given input`);
    }
    for (const s of t.inputs) stack.push(s);
  }
  if (!seen.has(x.id)) throw new ArgumentError(`${who}: the outputs do not depend on the given input (${x.describe()})`);
  const order = [...seen.values()].sort((a, b) => a.id - b.id);
  const number = new Map<number, number>(order.map((t, i) => [t.id, i]));
  const nodes: GraphNode[] = [];
  for (const t of order.slice(1)) {
    const layer = t.producer;
    if (!(layer instanceof Layer)) throw new ArgumentError(`${who}: ${t.describe()} was not made by a layer of this package`);
    if (layer.index !== -1) throw new ArgumentError(`${who}: ${layer.label} already belongs to a model; a layer belongs to one model (build the graph again with new layers)`);
    nodes.push({ layer, inputs: t.inputs.map((s) => number.get(s.id)!) });
  }
  if (nodes.length === 0) throw new ArgumentError(`${who}: the output is the input itself; apply at least one layer`);
  const chain = nodes.every((n, i) => n.inputs.length === 1 && n.inputs[0] === i);
  return { shapes: order.map((t) => t.shape.slice()), nodes, chain };
}

/** Which layers read each tensor, as (node, input slot) pairs in node order. */
export function consumersOf(g: Graph): { node: number; slot: number }[][] {
  const out: { node: number; slot: number }[][] = g.shapes.map(() => []);
  g.nodes.forEach((n, i) => n.inputs.forEach((t, slot) => out[t].push({ node: i, slot })));
  return out;
}

/**
 * Per tensor: does the loss need its gradient? Only when a layer with parameters lies on the way
 * from the input to it (the model input never needs one).
 */
export function gradientNeeded(g: Graph): boolean[] {
  const need = [false];
  g.nodes.forEach((n) => need.push(n.layer.params.length > 0 || n.inputs.some((t) => need[t])));
  return need;
}

/** Checks that layer names are unique in the graph and names the two nodes that clash. */
export function checkNames(g: Graph, who: string): void {
  const byName = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    const name = n.layer.name;
    if (name === null) return;
    if (byName.has(name)) throw new ArgumentError(`${who}: layers ${byName.get(name)} and ${i} are both named '${name}'; names must be unique in a model`);
    if (/^\d+$/.test(name) && Number(name) !== i) throw new ArgumentError(`${who}: layer ${i} is named '${name}', the index of another layer; numeric names must equal the layer's index`);
    byName.set(name, i);
  });
}

/** The model's output must be a vector of class scores. */
export function checkOutputShape(g: Graph, who: string): number[] {
  const out = g.shapes[outputTensor(g)];
  if (out.length !== 1) {
    throw new ShapeError(`${who}: the last layer must output a vector of class scores, got shape [${out.join(', ')}] (add Flatten and a Dense layer)`);
  }
  return out;
}
