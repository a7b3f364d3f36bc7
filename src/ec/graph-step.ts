// The whole-graph EC step (shared/docs/ec-opt-graphs.md sections 3-5, mode 'graph') on the kernels
// of assembly/ec_graph.ts: its buffers and descriptors, written once from the graph analysis of
// classes.ts, and the stages of one step (path values, BatchNorm scaling, path-space step with the
// inverse chain rule, trust region, ratios and floor, weight allocation), each one kernel call or a
// loop of them over the model's parameter tensors. Setup walks the structure once in TypeScript;
// a step only calls kernels (O(m + H), independent of the batch).
import type { OptimizerHost } from '../optim/host.js';
import { ECGraphDesc, ECLayerDesc } from '../core/abi.gen.js';
import { tailOf, type ECGraph, type ParamTensor } from './channels.js';

/** How the step scales BN-read basis paths: s = N_K^2 ('normalized', section 5) or 1 ('none'). */
export type BNScaling = 'normalized' | 'none';

/** The whole-graph step of one EC optimizer: allocated once, bound to its state, run every step. */
export class GraphStep {
  private readonly g: number;
  private readonly U: number;
  private readonly descs: number[];
  private readonly v2Descs: number[];
  private readonly tailBeta: number;
  private readonly itailBeta: number;
  private readonly tailIdx: number;
  private readonly nTail: number;
  private readonly nBn: number;
  private readonly ptr: Record<string, number> = {};
  private readonly mask: number;
  private readonly steps: number;
  /** The free skeleton edges (global edge numbers) in the kernels' order: by head unit, then edge. */
  readonly fsEdges: number[];

  /**
   * Allocates every buffer (alloc: bytes -> byte offset, owned by the optimizer) and fills the
   * constant index arrays. `adam`: keep the step between the passes.
   */
  constructor(private readonly host: OptimizerHost, readonly eg: ECGraph, readonly bnScaling: BNScaling, adam: boolean,
    alloc: (bytes: number, what: string) => number) {
    const k = host.kernels;
    const a = host.arena;
    const cg = eg.cg;
    const U = (this.U = eg.units.length);
    const f32 = (n: number, what: string) => alloc(Math.max(4, n) * 4, what);
    const f64 = (n: number, what: string) => alloc(Math.max(2, n) * 8, what);
    const region = cg.params.map((p) => (this.layerOf(p).paramPtr[p.param] - host.paramBase) / 4);
    const tensorOf = (e: number) => { let lo = 0; while (lo + 1 < cg.params.length && cg.params[lo + 1].offset <= e) lo++; return lo; };
    const regionOf = (e: number) => { const p = tensorOf(e); return region[p] + e - cg.params[p].offset; };
    const headUnit = (e: number) => { const p = cg.params[tensorOf(e)]; return eg.unitOf[p.heads[Math.floor((e - p.offset) / (p.I * p.T))]]; };
    const tailNode = (e: number) => { const p = cg.params[tensorOf(e)]; const l = e - p.offset; return tailOf(p, Math.floor(l / (p.I * p.T)), Math.floor(l / p.T) % p.I); };
    // gauge classes in root order (their beta), BN-read classes numbered
    const gauge = eg.root.map((r, c) => [r, c]).filter(([r]) => r >= 0).sort((x, y) => x[0] - y[0]).map(([, c]) => c);
    const gIndex = new Map(gauge.map((c, i) => [c, i]));
    const betaIdx = (node: number) => gIndex.get(eg.classOf[node]) ?? -1;
    const bnIndex = new Map<number, number>();
    eg.classKind.forEach((kd, c) => { if (kd === 'bn-read') bnIndex.set(c, bnIndex.size); });
    this.nBn = bnIndex.size;
    const fs = eg.freeSkeleton.slice().sort((x, y) => headUnit(x) - headUnit(y) || x - y);
    this.fsEdges = fs;
    const fsOf = new Map(fs.map((e, f) => [e, f]));
    const fsStart = new Array(U + 1).fill(0);
    for (const e of fs) fsStart[headUnit(e) + 1]++;
    for (let u = 0; u < U; u++) fsStart[u + 1] += fsStart[u];
    const tEdges = gauge.map((c) => eg.tEdge[c]);
    const ints = (vals: number[], what: string) => { const p = f32(vals.length, what); a.i32(p, vals.length).set(vals); return p; };
    const P = this.ptr;
    P.phi = f32(U, 'phi'); P.iphi = f32(U, '1/phi'); P.su = f32(U, 's'); P.rho = f32(U, 'rho'); P.irho = f32(U, '1/rho');
    P.sum = f32(U, 'ICR sums'); P.rowG = f32(U, 'row sums'); P.rowV2 = f64(U, 'row v^2');
    P.fwdOff = ints(eg.fwdEdge.map((e) => (e < 0 ? -1 : regionOf(e))), 'fwd edges');
    P.fwdHead = ints(eg.fwdHead, 'fwd heads');
    P.fwdFs = ints(eg.fwdEdge.map((e) => (e < 0 ? -1 : fsOf.get(e) ?? -1)), 'fwd free edges');
    const bnOf = (c: number) => (bnScaling === 'normalized' ? bnIndex.get(c) ?? -1 : -1);
    P.endBn = ints(eg.endClass.map(bnOf), 'end classes');
    P.bnOf = ints(eg.units.map((h) => bnOf(eg.classOf[h])), 'BN classes');
    P.n2 = f64(this.nBn, 'N^2');
    const F = fs.length;
    P.fsOff = ints(fs.map(regionOf), 'free edges'); P.fsHead = ints(fs.map(headUnit), 'free edge heads');
    P.fsTail = ints(fs.map((e) => betaIdx(tailNode(e))), 'free edge tails'); P.fsStart = ints(fsStart, 'free edges by unit');
    for (const s of ['acc', 'skU', 'skV', 'skS', 'skR', 'skW']) P[s] = f32(F, s);
    P.betaC = f32(gauge.length, 'beta');
    P.ct = ints(tEdges.map(regionOf), 'T edges'); P.ctail = ints(tEdges.map((e) => betaIdx(tailNode(e))), 'T tails');
    P.tOff = ints(tEdges.map(regionOf), 'T edges'); P.tw = f32(tEdges.length, 'saved T weights');
    this.g = alloc(k.ecg_desc_bytes(), 'graph descriptor');
    const set = (slot: number, v: number) => k.ecg_set(this.g, slot, v);
    set(ECGraphDesc.ParamBase, host.paramBase); set(ECGraphDesc.GradBase, host.gradBase); set(ECGraphDesc.U, U);
    set(ECGraphDesc.Phi, P.phi); set(ECGraphDesc.IPhi, P.iphi); set(ECGraphDesc.SU, P.su); set(ECGraphDesc.Rho, P.rho); set(ECGraphDesc.IRho, P.irho);
    set(ECGraphDesc.Sum, P.sum); set(ECGraphDesc.RowG, P.rowG); set(ECGraphDesc.RowV2, P.rowV2);
    set(ECGraphDesc.FwdOff, P.fwdOff); set(ECGraphDesc.FwdHead, P.fwdHead); set(ECGraphDesc.FwdFs, P.fwdFs);
    set(ECGraphDesc.EndBn, P.endBn); set(ECGraphDesc.BnOf, P.bnOf); set(ECGraphDesc.NBn, this.nBn); set(ECGraphDesc.N2, P.n2);
    set(ECGraphDesc.F, F); set(ECGraphDesc.FsOff, P.fsOff); set(ECGraphDesc.FsHead, P.fsHead); set(ECGraphDesc.FsTail, P.fsTail);
    set(ECGraphDesc.FsStart, P.fsStart); set(ECGraphDesc.Acc, P.acc); set(ECGraphDesc.SkU, P.skU); set(ECGraphDesc.SkV, P.skV);
    set(ECGraphDesc.SkS, P.skS); set(ECGraphDesc.SkR, P.skR); set(ECGraphDesc.SkW, P.skW);
    set(ECGraphDesc.NC, gauge.length); set(ECGraphDesc.BetaC, P.betaC); set(ECGraphDesc.CT, P.ct); set(ECGraphDesc.CTail, P.ctail);
    set(ECGraphDesc.NT, tEdges.length); set(ECGraphDesc.TOff, P.tOff); set(ECGraphDesc.TW, P.tw);
    k.fill_f32(P.su, U, 1);
    // the tails' beta of every weight tensor side by side; bias, gamma and beta tensors read a 1
    const weights = cg.params.filter((p) => p.kind === 'weight');
    this.nTail = weights.reduce((s, p) => s + p.I, 0) + 1;
    this.tailIdx = ints([...weights.flatMap((p) => p.tails.map(betaIdx)), -1], 'tail classes');
    this.tailBeta = f32(this.nTail, 'tail beta');
    this.itailBeta = f32(this.nTail, 'tail 1/beta');
    this.mask = alloc(host.paramRegionFloats * 4, 'mask');
    this.steps = adam ? alloc(host.paramRegionFloats * 4, 'steps') : 0;
    P.rowNorms = f64(2 * Math.max(...cg.params.map((p) => p.O)), 'row norms');
    this.descs = cg.params.map(() => alloc(k.ec_layer_desc_bytes(), 'tensor descriptor'));
    const bnHeads = (p: ParamTensor) => p.heads.some((h) => eg.classKind[eg.classOf[h]] === 'bn-read');
    this.v2Descs = bnScaling === 'normalized' ? this.descs.filter((_, i) => bnHeads(cg.params[i])) : [];
  }

  private layerOf(p: ParamTensor) { return this.host.layers[p.node]; }

  /** Writes the tensor descriptors once the optimizer state exists (s1, s2: state regions or 0). */
  bind(s1: number, s2: number): void {
    const h = this.host, k = h.kernels, cg = this.eg.cg, P = this.ptr;
    const at = (base: number, ptr: number) => (base ? base + (ptr - h.paramBase) : 0);
    k.ecg_set(this.g, ECGraphDesc.S1, s1);
    k.ecg_set(this.g, ECGraphDesc.S2, s2);
    k.fill_f32(this.mask, h.paramRegionFloats, 1);
    k.ecg_mask(this.g, this.mask);
    let tail = 0;
    cg.params.forEach((p, i) => {
      const layer = this.layerOf(p);
      const w = layer.paramPtr[p.param], dw = layer.gradPtr[p.param], d = this.descs[i];
      k.ec_layer_desc(d, w, dw, at(this.mask, w), at(s1, w), at(s2, w), at(this.steps, w), p.O, p.I, p.T, p.dtap, 0, 0, 0);
      const tb = p.kind === 'weight' ? tail : this.nTail - 1;
      if (p.kind === 'weight') tail += p.I;
      const u0 = this.eg.unitOf[p.heads[0]];
      k.ec_layer_units(d, this.tailBeta + 4 * tb, this.itailBeta + 4 * tb, P.phi + 4 * u0, P.iphi + 4 * u0, 0, P.irho + 4 * u0,
        P.rowG + 4 * u0, 0, P.rowNorms);
      k.ecg_set(d, ECLayerDesc.S, P.su + 4 * u0);
      k.ecg_set(d, ECLayerDesc.V2, P.rowV2 + 8 * u0);
    });
  }

  /**
   * 'preserve': rescales the gauge classes, in root order, so that every T weight has |w| = 1 (the
   * function is unchanged: the scaling is the graph's own symmetry). Throws on a T weight of 0.
   */
  preserve(who: string): void {
    const eg = this.eg, cg = eg.cg, k = this.host.kernels, a = this.host.arena;
    const order = eg.root.map((r, c) => [r, c]).filter(([r]) => r >= 0).sort((x, y) => x[0] - y[0]).map(([, c]) => c);
    const at = (e: number) => { const p = [...cg.params].reverse().find((q) => q.offset <= e)!; return this.layerOf(p).paramPtr[p.param] + 4 * (e - p.offset); };
    for (const K of order) {
      const wT = a.f32(at(eg.tEdge[K]), 1)[0];
      if (!(wT !== 0 && Number.isFinite(wT))) throw new Error(`${who}: init 'preserve' cannot normalise a class whose frozen weight is ${wT}`);
      const c = 1 / Math.abs(wT);
      cg.params.forEach((p) => {
        const l = this.layerOf(p);
        p.heads.forEach((h, o) => { if (eg.classOf[h] === K) k.ec_scale_head(l.paramPtr[p.param], p.O, p.I, p.T, o, c); });
        if (p.kind === 'weight') p.tails.forEach((t, i) => { if (eg.classOf[t] === K) k.ec_scale_tail(l.paramPtr[p.param], p.O, p.I, p.T, i, 1 / c); });
      });
    }
  }

  /** 'unit-skeleton': every skeleton weight (T and free skeleton edges) set to 1. */
  unitSkeleton(): void { this.host.kernels.ecg_set_skeleton(this.g, 1); }

  /** Stage 1: path-value chains (beta per gauge class and per tail, phi per unit) and, with BatchNorm scaling, s per unit. */
  pathValues(): void {
    const k = this.host.kernels;
    k.ecg_chains(this.g);
    k.ecg_gather(this.tailBeta, this.ptr.betaC, this.tailIdx, this.nTail);
    k.ec_recip(this.itailBeta, this.tailBeta, this.nTail);
    if (this.v2Descs.length === 0 || this.nBn === 0) return;
    k.fill_f32(this.ptr.rowV2, 2 * this.U, 0);
    for (const d of this.v2Descs) k.ecg_pass_v2(d);
    k.ecg_bn_scale(this.g);
  }

  /** Stages 2-3: path-space step of every basis path (bulk passes, then the inverse chain rule and the free skeleton paths); norms (f64 pair) accumulate sum v^2/s, step^2/s. */
  pathStep(hyper: number, norms: number): void {
    const k = this.host.kernels;
    k.fill_f32(this.ptr.rowG, this.U, 0);
    for (const d of this.descs) k.ecg_pass1(d, hyper, norms);
    k.ecg_icr(this.g, hyper, norms);
  }

  /** Stages 4-5: ratios with the skeleton floor (rmin), then weight allocation at the trust region's lr (lrk). */
  allocate(hyper: number, lrk: number, rmin: number): void {
    const k = this.host.kernels;
    k.ecg_ratio(this.g, lrk, rmin);
    k.ecg_save(this.g);
    for (const d of this.descs) k.ecg_pass2(d, hyper, lrk);
    k.ecg_apply(this.g);
  }

  /** Reads a per-unit or per-free-edge vector (tests of the stages): 'phi', 'su', 'rho', 'sum', 'skU', 'skV', 'skS', 'skR', 'betaC'. */
  read(name: string, n?: number): Float32Array {
    const len = n ?? (name.startsWith('sk') ? this.eg.freeSkeleton.length : name === 'betaC' ? this.eg.hEff : this.U);
    return this.host.arena.f32(this.ptr[name], len).slice();
  }
}
