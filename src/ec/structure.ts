// EC-Opt: the equivalent-class (basis-path) structure of a ReLU-family chain (units, gauge, pivot,
// frozen skeleton weights) and the rescaling symmetry itself (rescaleHiddenUnit). The optimizers
// that work in that space are in optimizers.ts (EC-SGD, EC-Momentum, EC-Adam) and path-sgd.ts.
// Paper: Meng et al., "Optimizing Neural Networks in the Equivalent Class Space", arXiv 1802.03713
// (G-SGD, ICLR 2019). Formulas: shared/docs/ec-opt-spec.md; kernels: assembly/ec.ts.
//
// Units: a weight layer (Dense, Conv2D) maps I tail units to O head units with T parallel taps per
// edge: Dense after Dense has T = 1; Conv2D has T = kh*kw (units are channels); a Dense after
// Flatten of a (C, H, W) map has C tail units with H*W taps. The network's first layer reads the
// raw input: a Dense there has one input unit per feature, a Conv2D one per channel.
// Gauge (the H weights that never change): for unimodal hidden widths the paper's (every skeleton
// weight outside the pivot matrix W^s); otherwise the general one (the designated in-edge of every
// hidden unit). Both give the same basis paths for unimodal widths.
import type { Layer } from '../layers/layer.js';
import { ArgumentError, checkNumber } from '../core/errors.js';
import type { Kernels } from '../core/wasm.js';
import { Skeleton, Frozen } from '../core/abi.gen.js';
import type { Graph } from '../graph/graph.js';
import { channelGraph, analyse, type ECGraph } from './channels.js';

/** What the EC structure and the symmetry need of a model (a Model or Sequential has it). */
export interface ECModel {
  readonly layers: Layer[];
  readonly kernels: Kernels;
  readonly paramBase: number;
  readonly paramRegionFloats: number;
  getWeights(): Float32Array[];
  setWeights(ws: Float32Array[]): void;
  /** The model's graph (a Model has it; EC on graphs reads the topology from it). */
  readonly graph?: Graph;
}

/** One weight layer of the EC chain (1-based position l in the spec's numbering). */
export interface ECLayer {
  /** Index of the Dense/Conv2D layer in model.layers. */
  layerIndex: number;
  layer: Layer;
  /** Head units (h_l), tail units (h_{l-1}), taps per edge, designated tap. */
  O: number;
  I: number;
  T: number;
  dtap: number;
  /** Skeleton edges are the designated in-edges ('in') or out-edges ('out') of this layer. */
  skeleton: 'in' | 'out';
  /** Which skeleton edges are frozen: 'none', 'all', or 'designated-in' (those that are a head's designated in-edge). */
  frozen: 'none' | 'all' | 'designated-in';
  hasBias: boolean;
}

/**
 * The equivalent-class (basis-path) structure of a ReLU-family network (`model.ecStructure()`,
 * `ecStructure(model)`): m weights, H hidden units, the m - H basis paths, the pivot layer and the
 * skeleton the EC optimizers use.
 */
export interface ECStructure {
  /** m: number of edges (weights and biases of the Dense/Conv2D layers). */
  weights: number;
  /** H: number of hidden units (neurons, channels). */
  hiddenUnits: number;
  /** m - H: dimension of the equivalent-class space (number of basis paths). */
  dimension: number;
  /** s in the spec's numbering (hidden layers 1..L-1): the widest hidden layer, first on ties; 0 when there is none. */
  pivotLayer: number;
  /** Index in model.layers of the pivot weight layer W^s (-1 when there is none). */
  pivotLayerIndex: number;
  /** Unit widths h_0 (inputs) .. h_L (outputs). */
  widths: number[];
  /** Hidden widths rise to the pivot and then fall (the paper's scheme applies). */
  unimodal: boolean;
  /** 'paper' or 'general' on a chain (ec-opt-spec.md section 3); 'graph' for the whole-graph gauge (T = the root in-edges). */
  gauge: 'paper' | 'general' | 'graph';
  /** Number of skeleton weights (set to 1 by the 'unit-skeleton' init). */
  skeletonWeights: number;
  layers: ECLayer[];
  /** Indices of layers whose parameters are not path weights (PReLU slopes): updated by the plain rule. */
  plainParamLayers: number[];
  /**
   * 'chain': a model without joins or BatchNorm (today's chain step and gauge); 'graph': a model with
   * an Add, Concat or BatchNorm, analysed as a channel graph (shared/docs/ec-opt-graphs.md).
   */
  kind: 'chain' | 'graph';
  /**
   * The rescaling classes: gauge (free; their count H_eff is what `dimension` subtracts), BN-read
   * (scaled by BatchNorm's invariance, not subtracted). Inputs, outputs and sources are fixed.
   */
  classes: { gauge: number; bnRead: number };
  /**
   * The EC blocks as lists of layer indices: the chain's weight layers (one block) for a chain
   * model; for a graph, empty in `ecStructure()` (whole-graph analysis) and the blocks of mode
   * 'blocks' in the `structure` of an optimizer in that mode.
   */
  blocks: number[][];
  /** Why whole-graph EC refuses the model (empty when it does not): a class without a root, a class read by both BatchNorm and a weight layer, a non-homogeneous layer. */
  refused: string[];
  /** The channel-graph analysis (graph models; internal to the EC optimizers). @internal */
  graph?: ECGraph;
}

const WEIGHT_KINDS = new Set(['Dense', 'Conv2D']);

interface WeightLike extends Layer {
  inFeatures?: number; outFeatures?: number; inChannels?: number; outChannels?: number;
  kernelH?: number; kernelW?: number; bias: boolean;
}

/** True when the model has a join (Add, Concat) or a BatchNorm: EC works on its channel graph. */
export const isGraphModel = (model: ECModel): boolean => model.layers.some((l) => l.ecRole === 'join' || l.ecRole === 'scale-cut');

/**
 * The EC structure of a model. A chain (no join, no BatchNorm) is analysed as today and throws
 * (naming the layer) when it is not a ReLU-family network; a graph reports its classes, dimension
 * m - H_eff and, in `refused`, why whole-graph EC cannot run on it.
 */
export function ecStructure(model: ECModel, who = 'ecStructure'): ECStructure {
  if (isGraphModel(model)) return graphStructure(model, who);
  return chainStructureOf(model.layers, who);
}

/** The whole-graph analysis of a model (any model with a graph, chains included). */
export function graphStructure(model: ECModel, who = 'ecStructure'): ECStructure {
  const g = model.graph;
  if (!g) throw new ArgumentError(`${who}: the model has no graph to analyse`);
  const cg = channelGraph(g);
  const eg = analyse(cg, (i) => model.layers[i].label);
  const weightLayers: ECLayer[] = cg.params.filter((p) => p.kind === 'weight').map((p) => {
    const layer = model.layers[p.node] as WeightLike;
    return { layerIndex: p.node, layer, O: p.O, I: p.I, T: p.T, dtap: p.dtap, skeleton: 'in', frozen: 'none', hasBias: layer.bias };
  });
  const units = eg.units.filter((h) => eg.classKind[eg.classOf[h]] !== 'fixed').length;
  return {
    weights: cg.m, hiddenUnits: units, dimension: cg.m - eg.hEff, pivotLayer: 0, pivotLayerIndex: -1, widths: [], unimodal: false,
    gauge: 'graph', skeletonWeights: eg.hEff + eg.freeSkeleton.length, layers: weightLayers, plainParamLayers: cg.plainParamLayers,
    kind: 'graph', classes: { gauge: eg.hEff, bnRead: eg.hBn }, blocks: [], refused: eg.refused, graph: eg,
  };
}

/** The chain structure of a list of layers (a whole chain model, or the weight layers of one block). */
export function chainStructureOf(modelLayers: Layer[], who: string): ECStructure {
  const layers: ECLayer[] = [];
  const plain: number[] = [];
  let units = 0;
  let first = true;
  for (const l of modelLayers) {
    if (l.homogeneous === false) {
      throw new ArgumentError(`${who}: ${l.label} is not positively homogeneous, so the network has no rescaling symmetry to ` +
        'optimise in; EC optimizers need a ReLU-family network (Dense, Conv2D, ReLU, LeakyReLU, PReLU, pools, Flatten)');
    }
    if (WEIGHT_KINDS.has(l.kind)) {
      const w = l as WeightLike;
      let O: number, I: number, T: number, dtap: number;
      if (l.kind === 'Conv2D') {
        O = w.outChannels!; I = w.inChannels!; T = w.kernelH! * w.kernelW!;
        dtap = (w.kernelH! >> 1) * w.kernelW! + (w.kernelW! >> 1);
      } else {
        O = w.outFeatures!;
        const inF = w.inFeatures!;
        if (first || inF % units !== 0) { I = inF; T = 1; } else { I = units; T = inF / units; }
        dtap = 0;
      }
      layers.push({ layerIndex: l.index, layer: l, O, I, T, dtap, skeleton: 'in', frozen: 'none', hasBias: w.bias });
      units = O;
      first = false;
    } else if (l.params.length > 0) {
      if (l.kind !== 'PReLU') throw new ArgumentError(`${who}: ${l.label} has parameters but is not part of the EC chain`);
      plain.push(l.index);
    }
    // parameter-free layers (activations, pools, Flatten) keep the unit (neuron or channel) identity
  }
  if (layers.length === 0) throw new ArgumentError(`${who}: the network has no Dense or Conv2D layer`);
  const L = layers.length;
  const widths = [layers[0].I, ...layers.map((x) => x.O)];
  let s = 0;
  for (let l = 1; l <= L - 1; l++) if (s === 0 || widths[l] > widths[s]) s = l;
  let unimodal = true;
  for (let l = 2; l <= L - 1; l++) {
    if (l <= s && widths[l] < widths[l - 1]) unimodal = false;
    if (l > s && widths[l] > widths[l - 1]) unimodal = false;
  }
  const gauge: 'paper' | 'general' = unimodal ? 'paper' : 'general';
  let skel = 0;
  layers.forEach((x, k) => {
    const l = k + 1;
    x.skeleton = l === 1 ? 'in' : l === L ? 'out' : widths[l - 1] <= widths[l] ? 'in' : 'out';
    if (L === 1) { x.frozen = 'none'; return; }
    skel += x.skeleton === 'in' ? x.O : x.I;
    if (gauge === 'paper') x.frozen = l === s ? 'none' : 'all';
    else x.frozen = l === L ? 'none' : 'designated-in';
  });
  const m = layers.reduce((a, x) => a + x.O * x.I * x.T + (x.hasBias ? x.O : 0), 0);
  const H = widths.slice(1, L).reduce((a, b) => a + b, 0);
  return {
    weights: m, hiddenUnits: H, dimension: m - H, pivotLayer: s,
    pivotLayerIndex: s > 0 ? layers[s - 1].layerIndex : -1,
    widths, unimodal, gauge, skeletonWeights: skel, layers, plainParamLayers: plain,
    kind: 'chain', classes: { gauge: H, bnRead: 0 }, blocks: [layers.map((x) => x.layerIndex)], refused: [],
  };
}

/** The kernels' skeleton mode of a layer. */
export const modeOf = (x: ECLayer): Skeleton => (x.skeleton === 'in' ? Skeleton.In : Skeleton.Out);
/** The kernels' frozen-set rule of a layer. */
export const ruleOf = (x: ECLayer): Frozen => (x.frozen === 'none' ? Frozen.None : x.frozen === 'all' ? Frozen.All : Frozen.DesignatedIn);

/**
 * Applies the rescaling symmetry to one hidden unit: incoming weights (and bias) times c, outgoing
 * weights divided by c. `layerIndex` is the index in model.layers of the Dense/Conv2D layer that
 * produces the unit (or of a later activation/pool layer of the same units).
 */
export function rescaleHiddenUnit(model: ECModel, layerIndex: number, unit: number, c: number): void {
  const st = ecStructure(model, 'rescaleHiddenUnit');
  if (st.kind === 'graph') {
    throw new ArgumentError('rescaleHiddenUnit: the model has a join or BatchNorm; its rescaling symmetry acts on classes of channels (see ecStructure().classes), not on single hidden units');
  }
  if (!Number.isInteger(layerIndex) || layerIndex < 0 || layerIndex >= model.layers.length) {
    throw new ArgumentError(`rescaleHiddenUnit: layerIndex must be an integer in [0, ${model.layers.length - 1}], got ${String(layerIndex)}`);
  }
  checkNumber(c, 'rescaleHiddenUnit: c', 0, Infinity, true);
  const c32 = Math.fround(c), inv32 = Math.fround(1 / c);
  if (!(c32 > 0 && c32 < Infinity && inv32 > 0 && inv32 < Infinity)) {
    throw new ArgumentError(`rescaleHiddenUnit: c must be within the float32 range (c and 1/c between 1.2e-38 and 3.4e38), got ${c}`);
  }
  let k = -1;
  st.layers.forEach((x, i) => { if (x.layerIndex <= layerIndex) k = i; });
  if (k < 0) throw new ArgumentError(`rescaleHiddenUnit: no Dense/Conv2D layer at or before layer ${layerIndex}; input units cannot be rescaled`);
  if (k === st.layers.length - 1) {
    throw new ArgumentError(`rescaleHiddenUnit: layer ${st.layers[k].layerIndex} produces the network's outputs, which are not hidden units`);
  }
  const x = st.layers[k];
  if (!Number.isInteger(unit) || unit < 0 || unit >= x.O) {
    throw new ArgumentError(`rescaleHiddenUnit: unit must be an integer in [0, ${x.O - 1}] for ${x.layer.label}, got ${String(unit)}`);
  }
  // a finite c can still overflow a weight (1e30 · 1e10): scale, check in wasm, and put the exact
  // previous bits back if anything became non-finite
  const before = model.getWeights();
  scaleUnit(model, st, k, unit, c);
  const bad = model.kernels.first_nonfinite(model.paramBase, model.paramRegionFloats);
  if (bad >= 0) {
    model.setWeights(before);
    throw new ArgumentError(`rescaleHiddenUnit: c = ${c} would make a weight of ${x.layer.label} or the next weight layer non-finite ` +
      '(float32 overflow); weights left unchanged');
  }
}

export function scaleUnit(model: ECModel, st: ECStructure, k: number, unit: number, c: number): void {
  const kz = model.kernels;
  const x = st.layers[k];
  const y = st.layers[k + 1];
  kz.ec_scale_head(x.layer.paramPtr[0], x.O, x.I, x.T, unit, c);
  if (x.hasBias) kz.ec_scale_head(x.layer.paramPtr[1], x.O, 1, 1, unit, c);
  kz.ec_scale_tail(y.layer.paramPtr[0], y.O, y.I, y.T, unit, 1 / c);
}

// ---------------------------------------------------------------------------------------------

