// Float64 reference of EC-Opt on graphs (shared/docs/ec-opt-graphs.md), written from the spec and
// independent of src/ec: explicit channel nodes and edges, classes by breadth-first search, basis
// paths as explicit edge lists, every source->sink path enumerated (tiny nets only), ranks over
// GF(p), the inverse chain rule as a generic triangular solve over explicit path membership, and
// weight allocation by back-substitution. It imports nothing from src/: a net is plain data.

/** One layer of a net as plain data: kind, input tensors, config, per-sample output shape. */
export interface RefLayer { kind: string; inputs: number[]; cfg: Record<string, any>; paramShapes: number[][] }
/** A net: per-tensor shapes ([0] the input, [i + 1] layer i's output) and its layers in order. */
export interface RefNet { shapes: number[][]; layers: RefLayer[] }

/** A weight edge: tail and head nodes, its parameter tensor (getWeights() order) and flat index. */
export interface RefEdge { tail: number; head: number; tensor: number; index: number; layer: number }

export interface RefGraph {
  N: number; edges: RefEdge[]; identity: [number, number][];
  source: boolean[]; sink: boolean[]; input: boolean[]; output: boolean[]; bnIn: boolean[];
  unit: boolean[]; cls: number[]; kind: ('fixed' | 'gauge' | 'bn-read')[];
  /** Per unit node: its designated in-edge (edge id). Per class: T edge or -1. */
  dIn: Map<number, number>; tOf: number[];
  /** Per (read node, reading layer): the designated out-edge. */
  dOut: Map<string, number>;
  readers: number[][];
  /** Edge id of (tensor, index). */
  at: (tensor: number, index: number) => number;
  frozen: boolean[];
  back: (r: number) => number[];
  fwd: (h: number) => number[];
  /** Basis path of every non-T edge (edge lists), keyed by edge id. */
  Q: Map<number, number[]>;
  hEff: number;
}

const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Builds the channel graph, classes, gauge and basis paths of a net. */
export function refGraph(net: RefNet): RefGraph {
  const nT = net.shapes.length;
  const grp: [number, number][] = [];
  const group = (s: number[]): [number, number] => [s[0], s.slice(1).reduce((a, b) => a * b, 1)];
  grp.push(group(net.shapes[0]));
  net.layers.forEach((l, i) => {
    const out = net.shapes[i + 1];
    const src = grp[l.inputs[0]];
    const inS = net.shapes[l.inputs[0]];
    if (l.kind === 'Concat' && (l.cfg.axis ?? 0) === 0) grp.push([l.inputs.reduce((a, t) => a + grp[t][0], 0), src[1]]);
    else if (['Dense', 'Conv2D'].includes(l.kind) || out.length >= 2) grp.push(group(out));
    else if (inS.length >= 2 && out[0] === inS[0]) grp.push([out[0], 1]);
    else grp.push([src[0], src[1]]);
  });
  // node ids: bias source 0, BN sources, then channels tensor by tensor
  let N = 1;
  const bnSrc = net.layers.map((l) => (l.kind.startsWith('BatchNorm') && l.paramShapes.length ? (N += l.paramShapes[0][0]) - l.paramShapes[0][0] : -1));
  const srcEnd = N;
  const ch = range(nT).map((t) => { const b = N; N += grp[t][0]; return b; });
  const source = range(N).map((v) => v < srcEnd);
  const input = range(N).map((v) => v >= ch[0] && v < ch[0] + grp[0][0]);
  const output = range(N).map((v) => v >= ch[nT - 1] && v < ch[nT - 1] + grp[nT - 1][0]);
  const bnIn = range(N).map(() => false);
  const unit = range(N).map(() => false);
  const edges: RefEdge[] = [];
  const identity: [number, number][] = [];
  const dIn = new Map<number, number>();
  const dOut = new Map<string, number>();
  const readers: number[][] = range(N).map(() => []);
  const key = new Map<string, number>();
  const add = (e: RefEdge) => { key.set(`${e.tensor}:${e.index}`, edges.length); edges.push(e); return edges.length - 1; };
  let tensor = 0;
  net.layers.forEach((l, li) => {
    const t = li + 1;
    const x = l.inputs[0];
    if (l.kind === 'Dense' || l.kind === 'Conv2D') {
      const O = grp[t][0], C = grp[x][0];
      const taps = l.kind === 'Conv2D' ? l.cfg.kernel[0] * l.cfg.kernel[1] : grp[x][1];
      const dtap = l.kind === 'Conv2D' ? (l.cfg.kernel[0] >> 1) * l.cfg.kernel[1] + (l.cfg.kernel[1] >> 1) : 0;
      for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let a = 0; a < taps; a++) {
        const id = add({ tail: ch[x] + c, head: ch[t] + o, tensor, index: (o * C + c) * taps + a, layer: li });
        if (a === dtap && c === o % C) dIn.set(ch[t] + o, id);
        if (a === dtap && o === c % O) dOut.set(`${ch[x] + c}:${li}`, id);
      }
      for (let c = 0; c < C; c++) readers[ch[x] + c].push(li);
      for (let o = 0; o < O; o++) unit[ch[t] + o] = true;
      tensor++;
      if (l.paramShapes.length > 1) { for (let o = 0; o < O; o++) add({ tail: 0, head: ch[t] + o, tensor, index: o, layer: li }); tensor++; }
    } else if (l.kind.startsWith('BatchNorm')) {
      for (let k = 0; k < grp[x][0]; k++) bnIn[ch[x] + k] = true;
      if (l.paramShapes.length) {
        for (let k = 0; k < grp[t][0]; k++) { dIn.set(ch[t] + k, add({ tail: bnSrc[li] + k, head: ch[t] + k, tensor, index: k, layer: li })); unit[ch[t] + k] = true; }
        for (let k = 0; k < grp[t][0]; k++) add({ tail: 0, head: ch[t] + k, tensor: tensor + 1, index: k, layer: li });
        tensor += 2;
      } else for (let k = 0; k < grp[t][0]; k++) source[ch[t] + k] = true;
    } else {
      tensor += l.paramShapes.length; // PReLU slopes: not edges
      if (l.kind === 'Concat' && (l.cfg.axis ?? 0) === 0) {
        let off = 0;
        for (const s of l.inputs) { for (let k = 0; k < grp[s][0]; k++) identity.push([ch[s] + k, ch[t] + off + k]); off += grp[s][0]; }
      } else for (const s of l.inputs) for (let k = 0; k < grp[s][0]; k++) identity.push([ch[s] + k, ch[t] + k]);
    }
  });
  const sink = range(N).map((v) => output[v] || bnIn[v]);
  // classes: connected components of the identity edges (breadth-first)
  const nb: number[][] = range(N).map(() => []);
  const succ: number[][] = range(N).map(() => []);
  for (const [a, b] of identity) { nb[a].push(b); nb[b].push(a); succ[a].push(b); }
  const cls = range(N).map(() => -1);
  let C = 0;
  for (let v = 0; v < N; v++) {
    if (cls[v] >= 0) continue;
    const q = [v]; cls[v] = C;
    while (q.length) for (const w of nb[q.shift()!]) if (cls[w] < 0) { cls[w] = C; q.push(w); }
    C++;
  }
  const members = range(C).map((k) => range(N).filter((v) => cls[v] === k));
  const kind = members.map((ms) => (ms.some((v) => source[v] || input[v] || output[v]) ? 'fixed' as const
    : ms.some((v) => bnIn[v]) ? 'bn-read' as const : ms.some((v) => unit[v]) ? 'gauge' as const : 'fixed' as const));
  const reach = (h: number) => { const s = new Set([h]); const q = [h]; while (q.length) for (const w of succ[q.pop()!]) if (!s.has(w)) { s.add(w); q.push(w); } return s; };
  const tOf = members.map((ms, K) => {
    if (kind[K] !== 'gauge') return -1;
    const reads = ms.filter((v) => readers[v].length > 0);
    const root = ms.find((u) => unit[u] && reads.every((r) => reach(u).has(r)));
    if (root === undefined) throw new Error(`reference: class ${K} has no root`);
    return dIn.get(root)!;
  });
  const frozen = edges.map((_, e) => tOf.includes(e));
  const back = (r: number): number[] => {
    if (source[r] || kind[cls[r]] !== 'gauge') return [];
    const d = tOf[cls[r]];
    return [...back(edges[d].tail), d];
  };
  const memo = new Map<number, number[]>();
  const fwd = (h: number): number[] => {
    if (memo.has(h)) return memo.get(h)!;
    const rs = [...reach(h)].sort((a, b) => a - b);
    let best: number[] | null = null, bestJ = 0, bestR = 0;
    if (!rs.some((v) => sink[v])) {
      for (const r of rs) for (const j of readers[r]) {
        const d = dOut.get(`${r}:${j}`)!;
        const path = [d, ...fwd(edges[d].head)];
        if (!best || path.length < best.length || (path.length === best.length && (j < bestJ || (j === bestJ && r < bestR)))) { best = path; bestJ = j; bestR = r; }
      }
      if (!best) throw new Error(`reference: unit ${h} is dead`);
    }
    memo.set(h, best ?? []);
    return best ?? [];
  };
  const Q = new Map<number, number[]>();
  edges.forEach((e, id) => { if (!frozen[id]) Q.set(id, [...back(e.tail), id, ...fwd(e.head)]); });
  return {
    N, edges, identity, source, sink, input, output, bnIn, unit, cls, kind, dIn, tOf, dOut, readers, frozen, back, fwd, Q,
    at: (t, i) => key.get(`${t}:${i}`)!, hEff: kind.filter((k) => k === 'gauge').length,
  };
}

/** Every source -> sink path as a list of weight-edge ids (identity edges are implied). */
export function refPaths(G: RefGraph, limit = 200000): number[][] {
  const out: [number, number, boolean][][] = range(G.N).map(() => []);
  G.edges.forEach((e, id) => out[e.tail].push([e.head, id, true]));
  for (const [a, b] of G.identity) out[a].push([b, -1, false]);
  const paths: number[][] = [];
  const walk = (v: number, acc: number[]) => {
    if (G.sink[v]) { paths.push(acc.slice()); if (paths.length > limit) throw new Error('reference: too many paths'); }
    for (const [w, id, isW] of out[v]) { if (isW) acc.push(id); walk(w, acc); if (isW) acc.pop(); }
  };
  for (let v = 0; v < G.N; v++) if (G.source[v] || G.input[v]) walk(v, []);
  return paths;
}

/** Checks that an edge list is a path: each head reaches the next tail through identity edges. */
export function refIsPath(G: RefGraph, p: number[]): boolean {
  const succ: number[][] = range(G.N).map(() => []);
  for (const [a, b] of G.identity) succ[a].push(b);
  const reaches = (a: number, b: number) => { const q = [a]; const s = new Set([a]); while (q.length) { const v = q.pop()!; if (v === b) return true; for (const w of succ[v]) if (!s.has(w)) { s.add(w); q.push(w); } } return false; };
  const first = G.edges[p[0]].tail;
  if (!(G.source[first] || [...range(G.N)].some((v) => (G.source[v] || G.input[v]) && reaches(v, first)))) return false;
  for (let k = 1; k < p.length; k++) if (!reaches(G.edges[p[k - 1]].head, G.edges[p[k]].tail)) return false;
  const last = G.edges[p[p.length - 1]].head;
  return range(G.N).some((v) => G.sink[v] && reaches(last, v));
}

/** Rank over GF(67108859) of 0/1 vectors given as lists of edge ids (each at most once per path). */
export function refRank(rows: number[][], m: number): number {
  const P = 67108859;
  const piv = new Map<number, Float64Array>();
  const inv = (a: number) => { let r = 1, b = a % P, e = P - 2; while (e > 0) { if (e & 1) r = (r * b) % P; b = (b * b) % P; e = Math.floor(e / 2); } return r; };
  const mulmod = (a: number, b: number) => Number((BigInt(a) * BigInt(b)) % BigInt(P));
  for (const row of rows) {
    const v = new Float64Array(m);
    for (const e of row) v[e] = (v[e] + 1) % P;
    for (let c = 0; c < m; c++) {
      if (v[c] === 0) continue;
      const pr = piv.get(c);
      if (!pr) { const s = inv(v[c]); for (let k = c; k < m; k++) v[k] = mulmod(v[k], s); piv.set(c, v); break; }
      const f = v[c];
      for (let k = c; k < m; k++) if (pr[k] !== 0) v[k] = (v[k] - mulmod(f, pr[k]) + P) % P;
    }
  }
  return piv.size;
}
