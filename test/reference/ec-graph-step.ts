// Float64 reference of the whole-graph EC step (shared/docs/ec-opt-graphs.md sections 4-5) on the
// explicit graph of ec-graph.ts: path values as explicit products, the inverse chain rule as a
// triangular solve over explicit path membership (not the closed form), BatchNorm scaling, the
// SGD / momentum / Adam rules per basis path, trust region, skeleton floor, and weight allocation
// by back-substitution. Imports nothing from src/.
import type { RefGraph } from './ec-graph.js';

export interface RefStepOptions {
  lr: number;
  rule?: 'sgd' | 'momentum' | 'adam';
  momentum?: number;
  nesterov?: boolean;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Trust region rho (0: none) and skeleton floor (0: none). */
  rho?: number;
  floor?: number;
  bnScaling?: 'normalized' | 'none';
}

/** Per-edge optimizer state (indexed by edge id) and the step count. */
export interface RefState { m: Float64Array; s: Float64Array; t: number }

export const refState = (G: RefGraph): RefState => ({ m: new Float64Array(G.edges.length), s: new Float64Array(G.edges.length), t: 0 });

/** Flat edge weights (edge id order) from per-tensor arrays, and back. */
export const edgeWeights = (G: RefGraph, ws: ArrayLike<number>[]): Float64Array => Float64Array.from(G.edges, (e) => ws[e.tensor][e.index]);
export function toTensors(G: RefGraph, w: ArrayLike<number>, like: ArrayLike<number>[]): Float64Array[] {
  const out = like.map((x) => Float64Array.from(x));
  G.edges.forEach((e, id) => { out[e.tensor][e.index] = w[id]; });
  return out;
}

/** Basis path ids in head order (node id of the head), and per edge the basis paths through it. */
function order(G: RefGraph): { ids: number[]; through: number[][] } {
  const ids = [...G.Q.keys()].sort((a, b) => G.edges[a].head - G.edges[b].head || a - b);
  const through: number[][] = G.edges.map(() => []);
  for (const [f, p] of G.Q) for (const x of p) through[x].push(f);
  return { ids, through };
}

export const pathValue = (p: number[], w: ArrayLike<number>): number => p.reduce((a, e) => a * w[e], 1);

/**
 * Inverse chain rule: u (keyed by basis edge) with g_e = sum over basis paths through e of u_p on
 * every non-T edge, solved in head order (a basis path through e other than Q(e) enters e on its
 * fwd chain, so its own edge's head comes first). g_e = w_e dL/dw_e.
 */
export function refICR(G: RefGraph, g: ArrayLike<number>): Map<number, number> {
  const { ids, through } = order(G);
  const u = new Map<number, number>();
  for (const e of ids) {
    let r = g[e];
    for (const f of through[e]) if (f !== e) { if (!u.has(f)) throw new Error('reference: ICR order'); r -= u.get(f)!; }
    u.set(e, r);
  }
  return u;
}

/** s of every basis path: N_K^2 when it ends in BN-read class K (normalised), else 1. */
export function refScale(G: RefGraph, w: ArrayLike<number>, mode: 'normalized' | 'none'): Map<number, number> {
  const n2 = new Map<number, number>();
  const endCls = (p: number[]) => G.cls[G.edges[p[p.length - 1]].head];
  for (const [e, p] of G.Q) { const K = G.cls[G.edges[e].head]; if (G.kind[K] === 'bn-read') n2.set(K, (n2.get(K) ?? 0) + pathValue(p, w) ** 2); }
  const s = new Map<number, number>();
  for (const [e, p] of G.Q) { const K = endCls(p); s.set(e, mode === 'normalized' && G.kind[K] === 'bn-read' ? n2.get(K)! : 1); }
  return s;
}

/** Weight allocation by back-substitution: new weights whose basis path values are vNew (T unchanged). */
export function refWA(G: RefGraph, w: ArrayLike<number>, vNew: Map<number, number>): Float64Array {
  const { ids } = order(G);
  const out = Float64Array.from(w);
  for (const e of ids.slice().reverse()) {
    const others = G.Q.get(e)!.filter((x) => x !== e).reduce((a, x) => a * out[x], 1);
    out[e] = vNew.get(e)! / others;
  }
  return out;
}

/** Skeleton edges: T and every edge on a back or fwd chain. */
export function refSkeleton(G: RefGraph): Set<number> {
  const sk = new Set<number>();
  G.edges.forEach((_, e) => { if (G.frozen[e]) sk.add(e); });
  for (const [e, p] of G.Q) for (const x of p) if (x !== e) sk.add(x);
  return sk;
}

export interface RefStepResult { w: Float64Array; u: Map<number, number>; v: Map<number, number>; s: Map<number, number>; q: Map<number, number>; lrk: number }

/** One whole-graph EC step from flat weights w and gradients dL/dw (edge id order); updates state. */
export function refStep(G: RefGraph, w: ArrayLike<number>, grad: ArrayLike<number>, o: RefStepOptions, state: RefState): RefStepResult {
  const g = Float64Array.from(w, (x, e) => x * grad[e]);
  const u = refICR(G, g);
  const v = new Map([...G.Q].map(([e, p]) => [e, pathValue(p, w)]));
  const s = refScale(G, w, o.bnScaling ?? 'normalized');
  const sk = refSkeleton(G);
  const rule = o.rule ?? 'sgd';
  const mu = o.momentum ?? 0, [b1, b2] = o.betas ?? [0.9, 0.999], eps = o.eps ?? 1e-8, wd = o.weightDecay ?? 0;
  state.t++;
  const q = new Map<number, number>(), st = new Map<number, number>();
  let nv = 0, ns = 0;
  for (const [e] of G.Q) {
    const vv = v.get(e)!;
    const d = s.get(e)! * (u.get(e)! / vv + (sk.has(e) ? 0 : wd * vv));
    q.set(e, d);
    let step = d;
    if (rule === 'momentum') { state.m[e] = mu * state.m[e] + d; step = o.nesterov ? d + mu * state.m[e] : state.m[e]; }
    if (rule === 'adam') {
      state.m[e] = b1 * state.m[e] + (1 - b1) * d;
      state.s[e] = b2 * state.s[e] + (1 - b2) * d * d;
      step = (state.m[e] / (1 - b1 ** state.t)) / (Math.sqrt(state.s[e]) / Math.sqrt(1 - b2 ** state.t) + eps);
    }
    st.set(e, step);
    nv += (vv * vv) / s.get(e)!;
    ns += (step * step) / s.get(e)!;
  }
  let lrk = o.lr;
  const rho = o.rho ?? 0;
  if (rho > 0 && o.lr * Math.sqrt(ns) > rho * Math.sqrt(nv)) lrk = (rho * Math.sqrt(nv)) / Math.sqrt(ns);
  const freeSk = new Set([...G.Q.keys()].filter((e) => sk.has(e)));
  const vNew = new Map<number, number>();
  for (const [e] of G.Q) {
    let R = 1 - (lrk * st.get(e)!) / v.get(e)!;
    if ((o.floor ?? 0) > 0 && freeSk.has(e) && R < o.floor!) R = o.floor!;
    vNew.set(e, v.get(e)! * R);
  }
  return { w: refWA(G, w, vNew), u, v, s, q, lrk };
}
