// The rescaling classes, gauge and basis paths of a channel graph (shared/docs/ec-opt-graphs.md
// sections 2 and 3), computed once when an EC optimizer or ecStructure() looks at a model: classes by
// union-find over identity edges; fixed, gauge and BN-read classes; the root of each gauge class and
// the frozen set T (the designated in-edge of every root); fwd chains (memoised per unit, shortest,
// ties to the smaller layer index then the earlier read point). Edges are numbered globally: the
// edge (o, i, t) of parameter tensor p is p.offset + (o * I + i) * T + t.
import type { ChannelGraph, ParamTensor } from './channels.js';

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
