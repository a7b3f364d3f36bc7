// Float64 reference of the EC structure and the path-space calculus, written from
// shared/docs/ec-opt-spec.md independently of assembly/ec.ts: explicit edges and paths, basis
// paths built by following designated edges, the inverse chain rule as a generic linear solve,
// and a float64 forward pass of the whole network for finite differences.
import type { Sequential } from '../../src/index.js';
import { conv2d_forward_ref, type ConvShape } from './conv2d.js';
import { maxpool2d_forward_ref, avgpool2d_forward_ref, global_avgpool_forward_ref } from './pool2d.js';
import { xent_rows_ref } from './loss.js';

type Arr = ArrayLike<number>;

// ---------------------------------------------------------------- network forward (float64)

/** Logits of the model's architecture evaluated in float64 with the given weights (getWeights() order). */
export function refForward(model: Sequential, weights: Arr[], x: Arr, B: number): Float64Array {
  let a = Float64Array.from(x);
  let wi = 0;
  for (const l of model.layers) {
    const cfg = l.config() as Record<string, any>;
    const inS = l.inShape;
    const outS = l.outShape;
    const n = outS.reduce((p, q) => p * q, 1);
    switch (l.kind) {
      case 'Dense': {
        const W = weights[wi++];
        const bias = cfg.bias ? weights[wi++] : null;
        const I = cfg.inFeatures, O = cfg.outFeatures;
        const y = new Float64Array(B * O);
        for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) {
          let s = bias ? bias[o] : 0;
          for (let i = 0; i < I; i++) s += a[b * I + i] * W[o * I + i];
          y[b * O + o] = s;
        }
        a = y;
        break;
      }
      case 'Conv2D': {
        const c = l as any;
        const W = weights[wi++];
        const bias = c.bias ? weights[wi++] : null;
        const s: ConvShape = {
          C: inS[0], H: inS[1], W: inS[2], O: outS[0], KH: c.kernelH, KW: c.kernelW, sh: c.stride[0], sw: c.stride[1],
          pt: c.pad.top, pl: c.pad.left, dh: c.dilation[0], dw: c.dilation[1], Ho: outS[1], Wo: outS[2],
        };
        a = conv2d_forward_ref(a, W, bias, B, s);
        break;
      }
      case 'ReLU': a = a.map((v) => (v > 0 ? v : 0)); break;
      case 'Sigmoid': a = a.map((v) => 1 / (1 + Math.exp(-v))); break;
      case 'Tanh': a = a.map((v) => Math.tanh(v)); break;
      case 'LeakyReLU': a = a.map((v) => (v > 0 ? v : cfg.alpha * v)); break;
      case 'PReLU': {
        const slope = weights[wi++];
        const C = inS[0];
        const inner = n / C;
        a = a.map((v, j) => (v > 0 ? v : slope[Math.floor(j / inner) % C] * v));
        break;
      }
      case 'MaxPool2D':
      case 'AvgPool2D': {
        const p = l as any;
        const s = { C: inS[0], H: inS[1], W: inS[2], KH: p.kernelH, KW: p.kernelW, sh: p.stride[0], sw: p.stride[1], Ho: outS[1], Wo: outS[2] };
        a = l.kind === 'MaxPool2D' ? maxpool2d_forward_ref(a, B, s).y : avgpool2d_forward_ref(a, B, s);
        break;
      }
      case 'GlobalAvgPool2D': a = global_avgpool_forward_ref(a, B, inS[0], inS[1] * inS[2]); break;
      case 'Flatten': break;
      default: throw new Error(`refForward: unsupported layer ${l.kind}`);
    }
  }
  return a;
}

/** Mean softmax cross-entropy in float64. */
export function refLoss(model: Sequential, weights: Arr[], x: Arr, y: Arr, B: number): number {
  const logits = refForward(model, weights, x, B);
  const K = logits.length / B;
  const rows = xent_rows_ref(logits, y, B, K);
  let s = 0;
  for (const r of rows) s += r;
  return s / B;
}

/** dL/dw for every parameter by central differences of refLoss (float64). */
export function refGradFD(model: Sequential, weights: Float64Array[], x: Arr, y: Arr, B: number, h = 1e-6): Float64Array[] {
  return weights.map((w, k) => {
    const g = new Float64Array(w.length);
    for (let j = 0; j < w.length; j++) {
      const old = w[j];
      w[j] = old + h; const fp = refLoss(model, weights, x, y, B);
      w[j] = old - h; const fm = refLoss(model, weights, x, y, B);
      w[j] = old;
      g[j] = (fp - fm) / (2 * h);
    }
    void k;
    return g;
  });
}

// ---------------------------------------------------------------- the EC graph

export interface Edge {
  id: number;
  l: number;          // weight layer, 1-based
  o: number;          // head unit (layer l)
  i: number;          // tail unit (layer l-1); -1 for a bias
  t: number;          // tap
  param: number;      // index into getWeights()
  pos: number;        // index inside that array
}

export interface ECGraph {
  L: number;
  widths: number[];
  taps: number[];     // per weight layer (index l-1)
  dtaps: number[];
  s: number;
  unimodal: boolean;
  edges: Edge[];
  skeleton: boolean[];
  frozen: boolean[];
  /** Edge id of (l, o, i, t). */
  edgeAt(l: number, o: number, i: number, t: number): number;
  back(l: number, u: number): number[];
  fwd(l: number, u: number): number[];
  /** Basis path (edge ids) of free edge e. */
  basisPath(e: number): number[];
  freeEdges: number[];
}

export function ecGraph(model: Sequential): ECGraph {
  const weightLayers: { O: number; I: number; T: number; dtap: number; w: number; b: number }[] = [];
  let wi = 0;
  let units = 0;
  for (const l of model.layers) {
    const c = l as any;
    if (l.kind === 'Dense') {
      const inF = c.inFeatures;
      const first = weightLayers.length === 0;
      const I = first || inF % units !== 0 ? inF : units;
      weightLayers.push({ O: c.outFeatures, I, T: inF / I, dtap: 0, w: wi, b: c.bias ? wi + 1 : -1 });
      units = c.outFeatures;
    } else if (l.kind === 'Conv2D') {
      weightLayers.push({ O: c.outChannels, I: c.inChannels, T: c.kernelH * c.kernelW, dtap: Math.floor(c.kernelH / 2) * c.kernelW + Math.floor(c.kernelW / 2), w: wi, b: c.bias ? wi + 1 : -1 });
      units = c.outChannels;
    }
    wi += l.params.length;
  }
  const L = weightLayers.length;
  const widths = [weightLayers[0].I, ...weightLayers.map((x) => x.O)];
  let s = 0;
  for (let l = 1; l < L; l++) if (s === 0 || widths[l] > widths[s]) s = l;
  let unimodal = true;
  for (let l = 2; l < L; l++) {
    if (l <= s && widths[l] < widths[l - 1]) unimodal = false;
    if (l > s && widths[l] > widths[l - 1]) unimodal = false;
  }
  const edges: Edge[] = [];
  const index = new Map<string, number>();
  weightLayers.forEach((x, k) => {
    const l = k + 1;
    for (let o = 0; o < x.O; o++) for (let i = 0; i < x.I; i++) for (let t = 0; t < x.T; t++) {
      const id = edges.length;
      edges.push({ id, l, o, i, t, param: x.w, pos: (o * x.I + i) * x.T + t });
      index.set(`${l},${o},${i},${t}`, id);
    }
    if (x.b >= 0) for (let o = 0; o < x.O; o++) edges.push({ id: edges.length, l, o, i: -1, t: 0, param: x.b, pos: o });
  });
  const desIn = (e: Edge) => e.i >= 0 && e.t === weightLayers[e.l - 1].dtap && e.i === e.o % weightLayers[e.l - 1].I;
  const desOut = (e: Edge) => e.i >= 0 && e.t === weightLayers[e.l - 1].dtap && e.o === e.i % weightLayers[e.l - 1].O;
  const skeleton = edges.map((e) => {
    if (L === 1) return false;
    if (e.l === 1) return desIn(e);
    if (e.l === L) return desOut(e);
    return widths[e.l - 1] <= widths[e.l] ? desIn(e) : desOut(e);
  });
  const frozen = edges.map((e, j) => {
    if (L === 1) return false;
    if (unimodal) return skeleton[j] && e.l !== s;
    return desIn(e) && e.l < L;
  });
  const edgeAt = (l: number, o: number, i: number, t: number) => {
    const id = index.get(`${l},${o},${i},${t}`);
    if (id === undefined) throw new Error(`no edge ${l},${o},${i},${t}`);
    return id;
  };
  const back = (l: number, u: number): number[] => {
    if (l === 0) return [];
    const x = weightLayers[l - 1];
    return [...back(l - 1, u % x.I), edgeAt(l, u, u % x.I, x.dtap)];
  };
  const fwd = (l: number, u: number): number[] => {
    if (l === L) return [];
    const x = weightLayers[l];
    return [edgeAt(l + 1, u % x.O, u, x.dtap), ...fwd(l + 1, u % x.O)];
  };
  const basisPath = (id: number) => {
    const e = edges[id];
    return e.i < 0 ? [id, ...fwd(e.l, e.o)] : [...back(e.l - 1, e.i), id, ...fwd(e.l, e.o)];
  };
  const freeEdges = edges.filter((_, j) => !frozen[j]).map((e) => e.id);
  return { L, widths, taps: weightLayers.map((x) => x.T), dtaps: weightLayers.map((x) => x.dtap), s, unimodal, edges, skeleton, frozen, edgeAt, back, fwd, basisPath, freeEdges };
}

export const edgeValue = (g: ECGraph, w: Arr[], id: number) => w[g.edges[id].param][g.edges[id].pos];

export function pathValue(g: ECGraph, w: Arr[], path: number[]): number {
  let v = 1;
  for (const id of path) v *= edgeValue(g, w, id);
  return v;
}

/** Every input->output path and every bias->output path (edge-id lists), by explicit enumeration. */
export function allPaths(g: ECGraph): number[][] {
  const out: number[][] = [];
  const byLayer = new Map<number, Edge[]>(); // key: (layer, tail unit) of the outgoing edges
  for (const e of g.edges) {
    const key = e.l * 100000 + e.i + 1;
    if (!byLayer.has(key)) byLayer.set(key, []);
    byLayer.get(key)!.push(e);
  }
  const extend = (l: number, u: number, prefix: number[]) => {
    if (l === g.L) { out.push(prefix); return; }
    for (const e of byLayer.get((l + 1) * 100000 + u + 1) ?? []) extend(l + 1, e.o, [...prefix, e.id]);
  };
  for (let u = 0; u < g.widths[0]; u++) extend(0, u, []);
  for (const e of g.edges) if (e.i < 0) extend(e.l, e.o, [e.id]);
  return out;
}

// ---------------------------------------------------------------- dense linear algebra (float64)

export function rank(rows: number[][], cols: number): number {
  const a = rows.map((r) => r.slice());
  let rk = 0;
  for (let c = 0; c < cols && rk < a.length; c++) {
    let p = rk;
    for (let r = rk + 1; r < a.length; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (Math.abs(a[p][c]) < 1e-9) continue;
    [a[rk], a[p]] = [a[p], a[rk]];
    for (let r = 0; r < a.length; r++) {
      if (r === rk) continue;
      const f = a[r][c] / a[rk][c];
      if (f !== 0) for (let k = c; k < cols; k++) a[r][k] -= f * a[rk][k];
    }
    rk++;
  }
  return rk;
}

/** Solves A x = b (A square, row-major rows) by Gaussian elimination with partial pivoting. */
export function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const a = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (Math.abs(a[p][c]) < 1e-12) throw new Error('singular system');
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      if (f !== 0) for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((r, i) => r[n] / r[i]);
}

/** Incidence of the basis paths (rows, one per free edge) over the free edges (columns). */
export function basisIncidence(g: ECGraph): number[][] {
  const col = new Map<number, number>();
  g.freeEdges.forEach((id, j) => col.set(id, j));
  return g.freeEdges.map((f) => {
    const row = new Array(g.freeEdges.length).fill(0);
    for (const id of g.basisPath(f)) { const j = col.get(id); if (j !== undefined) row[j] += 1; }
    return row;
  });
}

/** Basis path values (one per free edge, freeEdges order). */
export function basisValues(g: ECGraph, w: Arr[]): number[] {
  return g.freeEdges.map((f) => pathValue(g, w, g.basisPath(f)));
}

/**
 * Inverse chain rule as a linear solve: for every free edge f, w_f dL/dw_f = sum over basis
 * paths p containing f of v_p dF/dv_p. Returns dF/dv (freeEdges order).
 */
export function icrSolve(g: ECGraph, w: Arr[], dLdw: Arr[]): number[] {
  const A = basisIncidence(g); // A[p][f]
  const n = g.freeEdges.length;
  const At = Array.from({ length: n }, (_, f) => A.map((row) => row[f]));
  const rhs = g.freeEdges.map((id) => edgeValue(g, w, id) * dLdw[g.edges[id].param][g.edges[id].pos]);
  const u = solve(At, rhs);
  const v = basisValues(g, w);
  // a zero weight (e.g. a bias at init) gives v = 0 and u = 0 on its own path: dF/dv is then the
  // limit dL/dw_f / (product of the other edges), exact for edges that lie on no other path
  return u.map((x, p) => {
    if (v[p] !== 0) return x / v[p];
    const f = g.freeEdges[p];
    return dLdw[g.edges[f].param][g.edges[f].pos] / pathValue(g, w, g.basisPath(f).filter((id) => id !== f));
  });
}

/** Weights with only basis value p multiplied by (1 + eps): log|w_free| moved by A^{-1} log(1 + eps) e_p. */
export function movePathValue(g: ECGraph, w: Float64Array[], p: number, eps: number): Float64Array[] {
  const A = basisIncidence(g);
  const rhs = new Array(g.freeEdges.length).fill(0);
  rhs[p] = Math.log1p(eps);
  const dlog = solve(A, rhs);
  const out = w.map((a) => a.slice());
  g.freeEdges.forEach((id, j) => { out[g.edges[id].param][g.edges[id].pos] *= Math.exp(dlog[j]); });
  return out;
}
