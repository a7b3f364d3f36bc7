// The channel graph of EC-Opt on graphs (shared/docs/ec-opt-graphs.md section 1), built once from a
// model's graph and its layers' EC roles: one node per channel of every tensor, plus the bias source
// and one source per BatchNorm channel; weight edges (every parameter scalar of Dense, Conv2D and an
// affine BatchNorm), identity edges (homogeneous layers, Add, Concat) and the sinks (the model's
// output channels and BatchNorm inputs). Pure data, no memory: classes.ts derives the rest.
//
// Grouping: a tensor of shape [C, H, W] has C channels of H*W positions; a vector keeps the grouping
// of what it came from (Flatten of [C, H, W] is C channels of H*W taps, as today's chain), else one
// channel per feature. Node ids follow the topological order: sources first, then tensor by tensor
// (execution order), channel by channel.
import type { Layer } from '../layers/layer.js';
import type { Graph } from '../graph/graph.js';

/** One parameter tensor seen as edges (O heads, I tails, T taps): weight, bias, BN gamma or beta. */
export interface ParamTensor {
  /** Node (layer index) and parameter index (layer.paramPtr[param]). */
  node: number;
  param: number;
  kind: 'weight' | 'bias' | 'gamma' | 'beta';
  O: number;
  I: number;
  T: number;
  /** The designated tap (centre tap of a conv, 0 otherwise). */
  dtap: number;
  /** Channel node of each head o (O entries). */
  heads: number[];
  /** Channel node of each tail i (I entries) for a weight; for bias/gamma/beta, the tail of head o. */
  tails: number[];
  /** Offset of the tensor's first edge in the model's edge numbering (sum of earlier sizes). */
  offset: number;
}

/** The channel graph of a model. */
export interface ChannelGraph {
  /** Number of nodes; node 0 is the bias source. */
  nodes: number;
  /** Per tensor: first node id, channels, positions per channel. */
  base: number[];
  nch: number[];
  pos: number[];
  /** Per node: source (bias, BN source, non-affine BN output), input channel, output channel, BN input. */
  isSource: boolean[];
  isInput: boolean[];
  isOutput: boolean[];
  isBnInput: boolean[];
  /** Per node: the weight layers (node indices) reading it. */
  readBy: number[][];
  /** Per node: is a unit (has incoming weight edges). */
  isUnit: boolean[];
  /** Identity edges [from, to]. */
  identity: [number, number][];
  params: ParamTensor[];
  /** m: number of weight edges. */
  m: number;
  /** Per node (layer index): its weight tensor (index into params), or -1. */
  weightOf: number[];
  /** Layers whose parameters are not edges (PReLU slopes): the plain rule. */
  plainParamLayers: number[];
  /** Why EC on the whole graph cannot work here (empty: nothing found at this level). */
  refused: string[];
}

interface WeightLike extends Layer { outChannels?: number; outFeatures?: number; kernelH?: number; kernelW?: number; bias: boolean; affine?: boolean; axis?: number }

/** Builds the channel graph; reasons to refuse are collected, not thrown. */
export function channelGraph(g: Graph): ChannelGraph {
  const refused: string[] = [];
  const nT = g.shapes.length;
  const nch: number[] = new Array(nT).fill(0);
  const pos: number[] = new Array(nT).fill(1);
  const group = (shape: number[]): [number, number] => (shape.length >= 2 ? [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)] : [shape[0], 1]);
  [nch[0], pos[0]] = group(g.shapes[0]);
  // sources: the bias node, then the BN sources (one per channel of every affine BatchNorm)
  let nodes = 1;
  const bnSrc: number[] = g.nodes.map(() => -1);
  g.nodes.forEach((n, i) => {
    const l = n.layer as WeightLike;
    if (l.ecRole === 'scale-cut' && l.affine !== false && l.params.length > 0) { bnSrc[i] = nodes; nodes += l.params[0].shape[0]; }
  });
  const sourceEnd = nodes;
  g.nodes.forEach((n, i) => {
    const t = i + 1;
    const l = n.layer as WeightLike;
    const inS = g.shapes[n.inputs[0]];
    const out = g.shapes[t];
    const t0 = n.inputs[0];
    if (l.kind === 'Dense' || l.kind === 'Conv2D') [nch[t], pos[t]] = group(out);
    else if (l.kind === 'Concat') {
      const axis = (l.axis ?? 0) < 0 ? inS.length + l.axis! : l.axis ?? 0;
      if (axis === 0) {
        nch[t] = n.inputs.reduce((a, s) => a + nch[s], 0);
        pos[t] = pos[t0];
        if (n.inputs.some((s) => pos[s] !== pos[t0])) refused.push(`${l.label} joins inputs whose channels have different sizes (${n.inputs.map((s) => pos[s]).join(', ')} positions)`);
      } else { nch[t] = nch[t0]; pos[t] = out.reduce((a, b) => a * b, 1) / nch[t]; }
    } else if (out.length === 1 && inS.length >= 2 && out[0] === inS[0]) { nch[t] = out[0]; pos[t] = 1; } // global pooling
    else if (out.length === 1 && out[0] === nch[t0] * pos[t0]) { nch[t] = nch[t0]; pos[t] = pos[t0]; } // Flatten, vector activations
    else [nch[t], pos[t]] = group(out);
  });
  const base: number[] = [];
  for (let t = 0; t < nT; t++) { base.push(nodes); nodes += nch[t]; }
  const isSource = new Array<boolean>(nodes).fill(false);
  for (let v = 0; v < sourceEnd; v++) isSource[v] = true;
  const isInput = new Array<boolean>(nodes).fill(false);
  const isOutput = new Array<boolean>(nodes).fill(false);
  const isBnInput = new Array<boolean>(nodes).fill(false);
  const isUnit = new Array<boolean>(nodes).fill(false);
  const readBy: number[][] = Array.from({ length: nodes }, () => []);
  for (let k = 0; k < nch[0]; k++) isInput[base[0] + k] = true;
  for (let k = 0; k < nch[nT - 1]; k++) isOutput[base[nT - 1] + k] = true;
  const identity: [number, number][] = [];
  const params: ParamTensor[] = [];
  const weightOf: number[] = g.nodes.map(() => -1);
  const plain: number[] = [];
  let m = 0;
  const range = (n: number) => Array.from({ length: n }, (_, k) => k);
  const push = (p: Omit<ParamTensor, 'offset'>) => { params.push({ ...p, offset: m }); m += p.O * p.I * p.T; return params.length - 1; };
  g.nodes.forEach((n, i) => {
    const t = i + 1;
    const l = n.layer as WeightLike;
    const t0 = n.inputs[0];
    const heads = range(nch[t]).map((k) => base[t] + k);
    if (l.ecRole === 'none') { refused.push(`${l.label} is not positively homogeneous (no rescaling symmetry through it)`); return; }
    if (l.ecRole === 'weight') {
      if (l.kind !== 'Dense' && l.kind !== 'Conv2D') { refused.push(`${l.label}: EC on graphs handles Dense and Conv2D weight layers only`); return; }
      const I = nch[t0];
      const T = l.kind === 'Conv2D' ? l.kernelH! * l.kernelW! : pos[t0];
      const dtap = l.kind === 'Conv2D' ? (l.kernelH! >> 1) * l.kernelW! + (l.kernelW! >> 1) : 0;
      const tails = range(I).map((k) => base[t0] + k);
      weightOf[i] = push({ node: i, param: 0, kind: 'weight', O: nch[t], I, T, dtap, heads, tails });
      if (l.bias) push({ node: i, param: 1, kind: 'bias', O: nch[t], I: 1, T: 1, dtap: 0, heads, tails: heads.map(() => 0) });
      for (const h of heads) isUnit[h] = true;
      for (const r of tails) readBy[r].push(i);
      return;
    }
    if (l.ecRole === 'scale-cut') {
      for (let k = 0; k < nch[t0]; k++) isBnInput[base[t0] + k] = true;
      if (bnSrc[i] < 0) { for (const h of heads) isSource[h] = true; return; }
      push({ node: i, param: 0, kind: 'gamma', O: nch[t], I: 1, T: 1, dtap: 0, heads, tails: range(nch[t]).map((k) => bnSrc[i] + k) });
      push({ node: i, param: 1, kind: 'beta', O: nch[t], I: 1, T: 1, dtap: 0, heads, tails: heads.map(() => 0) });
      for (const h of heads) isUnit[h] = true;
      return;
    }
    if (l.params.length > 0) {
      if (l.kind !== 'PReLU') { refused.push(`${l.label} has parameters but is not a weight layer`); return; }
      plain.push(i);
    }
    if (l.kind === 'Concat' && nch[t] !== nch[t0]) {
      let off = 0;
      for (const s of n.inputs) { for (let k = 0; k < nch[s]; k++) identity.push([base[s] + k, base[t] + off + k]); off += nch[s]; }
      return;
    }
    // Add, Concat along a spatial axis, activations, pools, Flatten, Dropout: channel k -> channel k
    for (const s of n.inputs) {
      if (nch[t] < nch[s]) { refused.push(`${l.label} maps ${nch[s]} channels to ${nch[t]}; EC on graphs needs it to keep every channel`); return; }
      for (let k = 0; k < nch[s]; k++) identity.push([base[s] + k, base[t] + k]);
    }
  });
  return { nodes, base, nch, pos, isSource, isInput, isOutput, isBnInput, readBy, isUnit, identity, params, m, weightOf, plainParamLayers: plain, refused };
}
