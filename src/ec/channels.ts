// The channel graph of EC-Opt on graphs (shared/docs/ec-opt-graphs.md section 1), built once from a
// model's graph and its layers' EC roles: one node per channel of every tensor, plus the bias source
// and one source per BatchNorm channel; weight edges (every parameter scalar of Dense, Conv2D and an
// affine BatchNorm), identity edges (homogeneous layers, Add, Concat) and the sinks (the model's
// output channels and BatchNorm inputs); then (analyse, sections 2 and 3) the rescaling classes by
// union-find over identity edges, fixed/gauge/BN-read classes, the root of each gauge class and the
// frozen set T (the designated in-edge of every root), fwd chains (memoised per unit, shortest, ties
// to the smaller layer index then the earlier read point). Edges are numbered globally: the edge
// (o, i, t) of parameter tensor p is p.offset + (o * I + i) * T + t. Pure data, no memory.
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
    if (l.kind === 'ChannelPad') {
      refused.push(`${l.label} adds zero channels (the 'zero-pad' shortcut), which EC on graphs does not handle yet; use shortcut 'projection'`);
      return;
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

export type ClassKind = 'fixed' | 'gauge' | 'bn-read';

/** Classes, gauge, units and fwd chains of a channel graph. */
export interface ECGraph {
  cg: ChannelGraph;
  /** Per node: its class (numbered by first node). */
  classOf: number[];
  classKind: ClassKind[];
  /** Per class: root node (gauge classes), else -1; its T edge (designated in-edge of the root), else -1. */
  root: number[];
  tEdge: number[];
  /** Unit nodes in topological order, and per node its unit number (-1: not a unit). */
  units: number[];
  unitOf: number[];
  /** Per unit: the parameter tensor whose heads it is (weight or gamma). */
  inTensor: number[];
  /** Per unit: first edge of fwd(h) (-1: empty), the unit at its head (-1), and |fwd(h)|. */
  fwdEdge: number[];
  fwdHead: number[];
  fwdLen: number[];
  /** Per unit: the class where its fwd chain ends (where its basis paths end). */
  endClass: number[];
  /** Per edge: in T. */
  frozen: Uint8Array;
  /** Edges on some fwd chain and not in T ("free skeleton" edges, with an inverse chain rule term). */
  freeSkeleton: number[];
  hEff: number;
  hBn: number;
  refused: string[];
}

/** The edge (o, i, t) of tensor p. */
export const edgeIndex = (p: ParamTensor, o: number, i: number, t: number): number => p.offset + (o * p.I + i) * p.T + t;

/** Tail node of edge (o, i) of tensor p. */
export const tailOf = (p: ParamTensor, o: number, i: number): number => (p.kind === 'weight' ? p.tails[i] : p.tails[o]);

function find(parent: number[], x: number): number {
  while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; }
  return x;
}

/** Analyses a channel graph (section 2 and 3 of the spec); reasons to refuse are collected. */
export function analyse(cg: ChannelGraph, label: (node: number) => string): ECGraph {
  const refused = cg.refused.slice();
  const N = cg.nodes;
  const parent = Array.from({ length: N }, (_, v) => v);
  for (const [a, b] of cg.identity) { const ra = find(parent, a), rb = find(parent, b); if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb); }
  const classOf: number[] = new Array(N);
  const rep = new Map<number, number>();
  for (let v = 0; v < N; v++) { const r = find(parent, v); if (!rep.has(r)) rep.set(r, rep.size); classOf[v] = rep.get(r)!; }
  const C = rep.size;
  const members: number[][] = Array.from({ length: C }, () => []);
  for (let v = 0; v < N; v++) members[classOf[v]].push(v);
  const succ: number[][] = Array.from({ length: N }, () => []);
  const pred: number[][] = Array.from({ length: N }, () => []);
  for (const [a, b] of cg.identity) { succ[a].push(b); pred[b].push(a); }
  const where = (v: number) => {
    const t = cg.base.findIndex((b, k) => v >= b && v < b + cg.nch[k]);
    return t < 0 ? `source ${v}` : `channel ${v - cg.base[t]} of ${t === 0 ? 'the input' : label(t - 1)}`;
  };

  const classKind: ClassKind[] = members.map((ms) => {
    if (ms.some((v) => cg.isSource[v] || cg.isInput[v] || cg.isOutput[v])) return 'fixed';
    if (ms.some((v) => cg.isBnInput[v])) return 'bn-read';
    return ms.some((v) => cg.isUnit[v]) ? 'gauge' : 'fixed';
  });
  members.forEach((ms, K) => {
    if (ms.some((v) => cg.isBnInput[v]) && ms.some((v) => cg.readBy[v].length > 0)) {
      refused.push(`the class of ${where(ms[0])} is read both by a BatchNorm and by a weight layer (whole-graph mode needs them apart)`);
    }
    void K;
  });
  // a fixed class's read points must be reached from a source or input through identity edges
  const fromSource = new Array<boolean>(N).fill(false);
  for (let v = 0; v < N; v++) fromSource[v] = cg.isSource[v] || cg.isInput[v] || pred[v].some((p) => fromSource[p]);
  for (let v = 0; v < N; v++) {
    if (classKind[classOf[v]] === 'fixed' && cg.readBy[v].length > 0 && !fromSource[v]) {
      refused.push(`${where(v)} is read by a weight layer but lies in a fixed class not fed by an input or source`);
    }
  }
  const reach = (h: number): number[] => {
    const seen = new Set<number>([h]);
    const stack = [h];
    while (stack.length) for (const s of succ[stack.pop()!]) if (!seen.has(s)) { seen.add(s); stack.push(s); }
    return [...seen].sort((a, b) => a - b);
  };

  // units and the tensor that produces each
  const units: number[] = [];
  const unitOf: number[] = new Array(N).fill(-1);
  const inTensorOfNode: number[] = new Array(N).fill(-1);
  cg.params.forEach((p, pi) => { if (p.kind === 'weight' || p.kind === 'gamma') for (const h of p.heads) inTensorOfNode[h] = pi; });
  for (let v = 0; v < N; v++) if (cg.isUnit[v]) { unitOf[v] = units.length; units.push(v); }
  const inTensor = units.map((h) => inTensorOfNode[h]);
  const designatedIn = (h: number): number => {
    const p = cg.params[inTensorOfNode[h]];
    const o = p.heads.indexOf(h);
    return p.kind === 'gamma' ? p.offset + o : edgeIndex(p, o, o % p.I, p.dtap);
  };

  // roots and T
  const root: number[] = new Array(C).fill(-1);
  const tEdge: number[] = new Array(C).fill(-1);
  const frozen = new Uint8Array(cg.m);
  let hEff = 0, hBn = 0;
  members.forEach((ms, K) => {
    if (classKind[K] === 'bn-read') hBn++;
    if (classKind[K] !== 'gauge') return;
    hEff++;
    const reads = ms.filter((v) => cg.readBy[v].length > 0);
    for (const u of ms) {
      if (!cg.isUnit[u]) continue;
      const r = new Set(reach(u));
      if (reads.every((v) => r.has(v))) { root[K] = u; break; }
    }
    if (root[K] < 0) { refused.push(`the class of ${where(ms[0])} has no root (no unit reaches all its read points through identity edges)`); return; }
    tEdge[K] = designatedIn(root[K]);
    frozen[tEdge[K]] = 1;
  });

  // fwd chains, memoised per unit in reverse topological order (heads lie in later tensors)
  const U = units.length;
  const fwdEdge: number[] = new Array(U).fill(-1);
  const fwdHead: number[] = new Array(U).fill(-1);
  const fwdLen: number[] = new Array(U).fill(0);
  const endClass: number[] = new Array(U).fill(-1);
  for (let u = U - 1; u >= 0; u--) {
    const h = units[u];
    const r = reach(h);
    if (r.some((v) => cg.isOutput[v] || cg.isBnInput[v])) { endClass[u] = classOf[h]; continue; }
    let best = -1, bestLen = Infinity, bestJ = Infinity, bestR = Infinity, bestHead = -1;
    for (const v of r) {
      for (const j of cg.readBy[v]) {
        const p = cg.params[cg.weightOf[j]];
        const k = p.tails.indexOf(v);
        const o = k % p.O;
        const hu = unitOf[p.heads[o]];
        const len = 1 + fwdLen[hu];
        if (len < bestLen || (len === bestLen && (j < bestJ || (j === bestJ && v < bestR)))) {
          best = edgeIndex(p, o, k, p.dtap); bestLen = len; bestJ = j; bestR = v; bestHead = hu;
        }
      }
    }
    if (best < 0) { refused.push(`${where(h)} is a unit on no path to an output (dead unit)`); continue; }
    fwdEdge[u] = best; fwdHead[u] = bestHead; fwdLen[u] = bestLen; endClass[u] = endClass[bestHead];
  }
  const fs = new Set<number>();
  for (let u = 0; u < U; u++) if (fwdEdge[u] >= 0 && !frozen[fwdEdge[u]]) fs.add(fwdEdge[u]);
  const freeSkeleton = [...fs].sort((a, b) => a - b);
  return { cg, classOf, classKind, root, tEdge, units, unitOf, inTensor, fwdEdge, fwdHead, fwdLen, endClass, frozen, freeSkeleton, hEff, hBn, refused };
}
