// Whole-graph EC-Opt kernels (shared/docs/ec-opt-graphs.md sections 3-5): the O(m + H) step on a
// DAG of weight layers, Add/Concat joins and BatchNorm, in the gauge T = {designated in-edge of the
// root of every gauge class}. Path value of the basis path Q(e) of an edge e = (i -> o):
// v = beta(tail) * w_e * phi(head), phi(h) = w_d * phi(head d) along the first edge d of fwd(h).
//
// Bulk edges (mask 1: neither in T nor a free skeleton edge) go through the row passes on the layer
// descriptors of ec.ts (Pass 3: sums of v^2 for BatchNorm scaling; 4: path-space step, state,
// norms, inverse chain rule row sums; 5: weight allocation), split over threads by rows with the
// same bits for any thread count. Per-unit and per-special-edge work is O(H) on the ECGraphDesc
// block: chain products, the inverse chain rule by forward substitution over units in topological
// order, the skeleton steps, ratios and the weight allocation of T (unchanged) and free skeleton
// edges. All loops have a fixed order.
import { ECLayerDesc, ECGraphDesc, ECHyper, Rule } from './abi';
import { parallel_rows } from './threads';
import { stepScalar, stepVec } from './ec';

// @ts-ignore: decorator
@inline function f32at(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setf32(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function i32at(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function f64at(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function hyp(h: usize, k: i32): f64 { return load<f64>(h + (<usize>k << 3)); }
// @ts-ignore: decorator
@inline function gp(g: usize, k: i32): usize { return <usize>load<u32>(g + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline function gi(g: usize, k: i32): i32 { return load<i32>(g + (<usize>k << 2)); }

/** Bytes of an ECGraphDesc block. */
export function ecg_desc_bytes(): i32 { return ECGraphDesc.Count << 2; }

/** Writes slot k of a descriptor block (ECGraphDesc, or the graph slots S, V2 of an ECLayerDesc). */
export function ecg_set(desc: usize, k: i32, v: i32): void { store<i32>(desc + (<usize>k << 2), v); }

/** dst[i] = src[idx[i]], or 1 where idx[i] < 0 (the beta of every tail of every weight tensor). */
export function ecg_gather(dst: usize, src: usize, idx: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const k = i32at(idx, i); setf32(dst, i, k < 0 ? <f32>1 : f32at(src, k)); }
}

/** Sets every skeleton weight (T and free skeleton edges) to `value` (the 'unit-skeleton' init). */
export function ecg_set_skeleton(g: usize, value: f32): void {
  const w = gp(g, ECGraphDesc.ParamBase);
  for (let k = 0; k < gi(g, ECGraphDesc.NT); k++) setf32(w, i32at(gp(g, ECGraphDesc.TOff), k), value);
  for (let f = 0; f < gi(g, ECGraphDesc.F); f++) setf32(w, i32at(gp(g, ECGraphDesc.FsOff), f), value);
}

/** mask (shaped like the parameter region) = 0 on T and free skeleton edges; the rest is left as is. */
export function ecg_mask(g: usize, mask: usize): void {
  for (let k = 0; k < gi(g, ECGraphDesc.NT); k++) setf32(mask, i32at(gp(g, ECGraphDesc.TOff), k), 0);
  for (let f = 0; f < gi(g, ECGraphDesc.F); f++) setf32(mask, i32at(gp(g, ECGraphDesc.FsOff), f), 0);
}

/** beta of every gauge class (root order): w(T edge) * beta(class of its tail); then phi, 1/phi per unit (reverse order). */
export function ecg_chains(g: usize): void {
  const w = gp(g, ECGraphDesc.ParamBase), betaC = gp(g, ECGraphDesc.BetaC), ct = gp(g, ECGraphDesc.CT), ctail = gp(g, ECGraphDesc.CTail);
  for (let c = 0; c < gi(g, ECGraphDesc.NC); c++) {
    const k = i32at(ctail, c);
    setf32(betaC, c, f32at(w, i32at(ct, c)) * (k < 0 ? <f32>1 : f32at(betaC, k)));
  }
  const phi = gp(g, ECGraphDesc.Phi), iphi = gp(g, ECGraphDesc.IPhi), off = gp(g, ECGraphDesc.FwdOff), head = gp(g, ECGraphDesc.FwdHead);
  for (let u = gi(g, ECGraphDesc.U) - 1; u >= 0; u--) {
    const j = i32at(off, u);
    const p = j < 0 ? <f32>1 : f32at(w, j) * f32at(phi, i32at(head, u));
    setf32(phi, u, p);
    setf32(iphi, u, <f32>1 / p);
  }
}

/**
 * BatchNorm-normalised scaling (section 5): N_K^2 = sum of RowV2 over the units of BN-read class K
 * (f64, unit order), then SU[u] = N^2 of the class where u's fwd chain ends (1 if not BN-read).
 */
export function ecg_bn_scale(g: usize): void {
  const n2 = gp(g, ECGraphDesc.N2), v2 = gp(g, ECGraphDesc.RowV2), bnOf = gp(g, ECGraphDesc.BnOf), endBn = gp(g, ECGraphDesc.EndBn), su = gp(g, ECGraphDesc.SU);
  const U = gi(g, ECGraphDesc.U);
  memory.fill(n2, 0, <usize>gi(g, ECGraphDesc.NBn) << 3);
  for (let u = 0; u < U; u++) {
    const k = i32at(bnOf, u);
    if (k >= 0) store<f64>(n2 + (<usize>k << 3), f64at(n2, k) + f64at(v2, u));
  }
  for (let u = 0; u < U; u++) { const k = i32at(endBn, u); setf32(su, u, k < 0 ? <f32>1 : <f32>f64at(n2, k)); }
}

/**
 * Inverse chain rule by forward substitution over units (section 4.2) and the path-space step of
 * the free skeleton edges: u = w dL/dw - Acc for the free edges into each unit, S(h) = RowG(h) +
 * their u, then Acc(d) += S(h), S(head d) += S(h) along the first fwd edge d. Each free edge then
 * takes q = s u / v, its optimizer state update and step (SkV = v, SkS = step); adds sum v^2/s and
 * sum step^2/s to norms (f64).
 */
export function ecg_icr(g: usize, h: usize, norms: usize): void {
  const w = gp(g, ECGraphDesc.ParamBase), dw = gp(g, ECGraphDesc.GradBase), s1 = gp(g, ECGraphDesc.S1), s2 = gp(g, ECGraphDesc.S2);
  const U = gi(g, ECGraphDesc.U), F = gi(g, ECGraphDesc.F);
  const S = gp(g, ECGraphDesc.Sum), rowG = gp(g, ECGraphDesc.RowG), acc = gp(g, ECGraphDesc.Acc), skU = gp(g, ECGraphDesc.SkU);
  const fsOff = gp(g, ECGraphDesc.FsOff), fsHead = gp(g, ECGraphDesc.FsHead), fsTail = gp(g, ECGraphDesc.FsTail), fsStart = gp(g, ECGraphDesc.FsStart);
  const off = gp(g, ECGraphDesc.FwdOff), head = gp(g, ECGraphDesc.FwdHead), fwdFs = gp(g, ECGraphDesc.FwdFs);
  memory.copy(S, rowG, <usize>U << 2);
  memory.fill(acc, 0, <usize>F << 2);
  for (let u = 0; u < U; u++) {
    let su = f32at(S, u);
    for (let f = i32at(fsStart, u); f < i32at(fsStart, u + 1); f++) {
      const j = i32at(fsOff, f);
      const x = f32at(w, j) * f32at(dw, j) - f32at(acc, f);
      setf32(skU, f, x);
      su += x;
    }
    setf32(S, u, su);
    if (i32at(off, u) < 0) continue;
    const fs = i32at(fwdFs, u);
    if (fs >= 0) setf32(acc, fs, f32at(acc, fs) + su);
    const hd = i32at(head, u);
    setf32(S, hd, f32at(S, hd) + su);
  }
  const phi = gp(g, ECGraphDesc.Phi), betaC = gp(g, ECGraphDesc.BetaC), sU = gp(g, ECGraphDesc.SU);
  const skV = gp(g, ECGraphDesc.SkV), skS = gp(g, ECGraphDesc.SkS);
  const kind = <i32>hyp(h, ECHyper.Kind);
  const mu = <f32>hyp(h, ECHyper.Mu), nest = hyp(h, ECHyper.Nesterov) != 0;
  const b1 = <f32>hyp(h, ECHyper.B1), b2 = <f32>hyp(h, ECHyper.B2), eps = <f32>hyp(h, ECHyper.Eps);
  const bc1 = <f32>hyp(h, ECHyper.BC1), isbc2 = <f32>hyp(h, ECHyper.ISBC2);
  let nv: f64 = 0, ns: f64 = 0;
  for (let f = 0; f < F; f++) {
    const j = i32at(fsOff, f), hu = i32at(fsHead, f), tc = i32at(fsTail, f);
    const v = (tc < 0 ? <f32>1 : f32at(betaC, tc)) * f32at(w, j) * f32at(phi, hu);
    const s = f32at(sU, hu);
    const st = stepScalar(kind, s * (f32at(skU, f) / v), s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, true);
    setf32(skV, f, v);
    setf32(skS, f, st);
    nv += <f64>v * <f64>v / <f64>s;
    ns += <f64>st * <f64>st / <f64>s;
  }
  store<f64>(norms, load<f64>(norms) + nv);
  store<f64>(norms + 8, load<f64>(norms + 8) + ns);
}

/**
 * Ratios (4.3, 4.6): R = 1 - lrk step / v of every free skeleton path, floored at rmin (rmin <= 0:
 * no floor); then per unit, in reverse order, Rho = R of the first free edge of its fwd chain (1 if
 * none) and IRho = 1 / Rho.
 */
export function ecg_ratio(g: usize, lrk: f32, rmin: f32): void {
  const skR = gp(g, ECGraphDesc.SkR), skV = gp(g, ECGraphDesc.SkV), skS = gp(g, ECGraphDesc.SkS);
  for (let f = 0; f < gi(g, ECGraphDesc.F); f++) {
    let R = <f32>1 - (lrk * f32at(skS, f)) / f32at(skV, f);
    if (rmin > 0 && R < rmin) R = rmin;
    setf32(skR, f, R);
  }
  const rho = gp(g, ECGraphDesc.Rho), irho = gp(g, ECGraphDesc.IRho), off = gp(g, ECGraphDesc.FwdOff);
  const head = gp(g, ECGraphDesc.FwdHead), fwdFs = gp(g, ECGraphDesc.FwdFs);
  for (let u = gi(g, ECGraphDesc.U) - 1; u >= 0; u--) {
    const fs = i32at(fwdFs, u);
    const r = i32at(off, u) < 0 ? <f32>1 : fs >= 0 ? f32at(skR, fs) : f32at(rho, i32at(head, u));
    setf32(rho, u, r);
    setf32(irho, u, <f32>1 / r);
  }
}

/** Saves the T and free skeleton weights before pass 5 overwrites their slots. */
export function ecg_save(g: usize): void {
  const w = gp(g, ECGraphDesc.ParamBase);
  for (let k = 0; k < gi(g, ECGraphDesc.NT); k++) setf32(gp(g, ECGraphDesc.TW), k, f32at(w, i32at(gp(g, ECGraphDesc.TOff), k)));
  for (let f = 0; f < gi(g, ECGraphDesc.F); f++) setf32(gp(g, ECGraphDesc.SkW), f, f32at(w, i32at(gp(g, ECGraphDesc.FsOff), f)));
}

/** After pass 5: T edges get their saved bits back; free skeleton edges w R / Rho(head) (4.4). */
export function ecg_apply(g: usize): void {
  const w = gp(g, ECGraphDesc.ParamBase);
  for (let k = 0; k < gi(g, ECGraphDesc.NT); k++) setf32(w, i32at(gp(g, ECGraphDesc.TOff), k), f32at(gp(g, ECGraphDesc.TW), k));
  const skW = gp(g, ECGraphDesc.SkW), skR = gp(g, ECGraphDesc.SkR), rho = gp(g, ECGraphDesc.Rho), fsHead = gp(g, ECGraphDesc.FsHead);
  for (let f = 0; f < gi(g, ECGraphDesc.F); f++) {
    setf32(w, i32at(gp(g, ECGraphDesc.FsOff), f), (f32at(skW, f) * f32at(skR, f)) / f32at(rho, i32at(fsHead, f)));
  }
}

// ---- row passes over one parameter tensor (an ECLayerDesc) ----

/** Pass 3: V2[o] += sum over the row of (w beta phi)^2 (BatchNorm scaling). */
export function ecg_pass_v2(desc: usize): void { rows(desc, 3, 0, 0); }

/**
 * Pass 4 on the bulk edges (mask 1): q = s (dL/dw / pi + wd v), pi = beta phi, v = w pi; the state
 * update and step (kept in SB for Adam); RowS[o] += sum of w dL/dw; sum v^2/s and step^2/s added
 * to norms (f64, row order).
 */
export function ecg_pass1(desc: usize, h: usize, norms: usize): void {
  rows(desc, 4, h, 0);
  const O = load<i32>(desc + (ECLayerDesc.O << 2));
  const rn = <usize>load<u32>(desc + (ECLayerDesc.RowNorms << 2));
  let nv: f64 = 0, ns: f64 = 0;
  for (let o = 0; o < O; o++) { nv += f64at(rn, 2 * o); ns += f64at(rn, 2 * o + 1); }
  store<f64>(norms, load<f64>(norms) + nv);
  store<f64>(norms + 8, load<f64>(norms + 8) + ns);
}

/** Pass 5, weight allocation of every edge: w' = (w - lrk step / pi) / Rho(head) (T and free skeleton edges are rewritten by ecg_apply). */
export function ecg_pass2(desc: usize, h: usize, lrk: f32): void { rows(desc, 5, h, lrk); }

function rows(desc: usize, pass: i32, h: usize, lrk: f32): void {
  store<u32>(desc + (ECLayerDesc.Pass << 2), <u32>pass);
  store<u32>(desc + (ECLayerDesc.Hyper << 2), <u32>h);
  store<f32>(desc + (ECLayerDesc.LRK << 2), lrk);
  const O = load<i32>(desc + (ECLayerDesc.O << 2));
  const n = <i64>O * <i64>load<i32>(desc + (ECLayerDesc.I << 2)) * <i64>load<i32>(desc + (ECLayerDesc.T << 2));
  if (!parallel_rows(desc, O, n)) ecg_rows(desc, 0, O);
}

/** Rows [o0, o1) of graph pass 3, 4 or 5 of descriptor a (called by ec_rows, on any thread). */
export function ecg_rows(a: usize, o0: i32, o1: i32): void {
  const pass = load<i32>(a + (ECLayerDesc.Pass << 2));
  if (pass == 3) { v2Rows(a, o0, o1); return; }
  // one copy for the three rules (the rule is a runtime branch per element): the graph passes
  // trade a little speed for code size
  stepRows(<i32>hyp(<usize>load<u32>(a + (ECLayerDesc.Hyper << 2)), ECHyper.Kind), pass, a, o0, o1);
}

// @ts-ignore: decorator
@inline function dp(d: usize, k: i32): usize { return <usize>load<u32>(d + (<usize>k << 2)); }

function v2Rows(a: usize, o0: i32, o1: i32): void {
  const w = dp(a, ECLayerDesc.W), beta = dp(a, ECLayerDesc.Beta), phi = dp(a, ECLayerDesc.Phi), v2 = dp(a, ECLayerDesc.V2);
  const I = load<i32>(a + (ECLayerDesc.I << 2)), T = load<i32>(a + (ECLayerDesc.T << 2));
  for (let o = o0; o < o1; o++) {
    const ph = f32at(phi, o);
    let s: f64 = 0;
    for (let i = 0; i < I; i++) {
      const pi = f32at(beta, i) * ph;
      for (let t = 0; t < T; t++) { const v = f32at(w, (o * I + i) * T + t) * pi; s += <f64>(v * v); }
    }
    store<f64>(v2 + (<usize>o << 3), f64at(v2, o) + s);
  }
}

function stepRows(kind: i32, pass: i32, a: usize, o0: i32, o1: i32): void {
  const w = dp(a, ECLayerDesc.W), dw = dp(a, ECLayerDesc.DW), mask = dp(a, ECLayerDesc.Mask);
  const s1 = dp(a, ECLayerDesc.S1), s2 = dp(a, ECLayerDesc.S2), sb = dp(a, ECLayerDesc.SB);
  const I = load<i32>(a + (ECLayerDesc.I << 2)), T = load<i32>(a + (ECLayerDesc.T << 2));
  const beta = dp(a, ECLayerDesc.Beta), ibeta = dp(a, ECLayerDesc.IBeta), phi = dp(a, ECLayerDesc.Phi), iphi = dp(a, ECLayerDesc.IPhi);
  const sHead = dp(a, ECLayerDesc.S), irho = dp(a, ECLayerDesc.IRP), rowG = dp(a, ECLayerDesc.RowS), rowNorms = dp(a, ECLayerDesc.RowNorms);
  const h = dp(a, ECLayerDesc.Hyper);
  const lrk = load<f32>(a + (ECLayerDesc.LRK << 2));
  const upd = pass == 4;
  const mu = <f32>hyp(h, ECHyper.Mu), nest = hyp(h, ECHyper.Nesterov) != 0;
  const b1 = <f32>hyp(h, ECHyper.B1), b2 = <f32>hyp(h, ECHyper.B2), eps = <f32>hyp(h, ECHyper.Eps);
  const wd = <f32>hyp(h, ECHyper.WD), bc1 = <f32>hyp(h, ECHyper.BC1), isbc2 = <f32>hyp(h, ECHyper.ISBC2);
  const muV = f32x4.splat(mu), b1V = f32x4.splat(b1), c1V = f32x4.splat(<f32>1 - b1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(<f32>1 - b2), epsV = f32x4.splat(eps);
  const wdV = f32x4.splat(wd), bc1V = f32x4.splat(bc1), isbc2V = f32x4.splat(isbc2), lrV = f32x4.splat(lrk);
  const zero = f32x4.splat(0);
  const IT = I * T;
  for (let o = o0; o < o1; o++) {
    const ph = f32at(phi, o), iph = f32at(iphi, o), s = f32at(sHead, o), ir = f32at(irho, o);
    const row = o * IT;
    let nv: f32 = 0, ns: f32 = 0, gs: f32 = 0;
    let i = 0;
    if (T == 1) {
      const phV = f32x4.splat(ph), iphV = f32x4.splat(iph), sV = f32x4.splat(s), irV = f32x4.splat(ir);
      let nvV = zero, nsV = zero, gV = zero;
      for (; i + 4 <= I; i += 4) {
        const off = <usize>(row + i) << 2;
        const ioff = <usize>i << 2;
        const mk = v128.load(mask + off);
        const lane = f32x4.ne(mk, zero);
        const wv = v128.load(w + off), g = v128.load(dw + off);
        const ipi = f32x4.mul(v128.load(ibeta + ioff), iphV);
        const v = f32x4.mul(wv, f32x4.mul(v128.load(beta + ioff), phV));
        let d = f32x4.mul(g, ipi);
        if (wd != 0) d = f32x4.add(d, f32x4.mul(wdV, v));
        d = f32x4.mul(d, sV);
        if (upd) {
          const st = v128.bitselect(stepVec(kind, d, s1, s2, off, lane, muV, nest, b1V, c1V, b2V, c2V, epsV, bc1V, isbc2V, true), zero, lane);
          if (kind == Rule.Adam) v128.store(sb + off, st);
          const vm = v128.bitselect(v, zero, lane);
          nvV = f32x4.add(nvV, f32x4.mul(vm, vm));
          nsV = f32x4.add(nsV, f32x4.mul(st, st));
          gV = f32x4.add(gV, f32x4.mul(f32x4.mul(wv, g), mk));
        } else {
          const st = kind == Rule.Adam ? v128.load(sb + off) : stepVec(kind, d, s1, s2, off, zero, muV, nest, b1V, c1V, b2V, c2V, epsV, bc1V, isbc2V, false);
          v128.store(w + off, f32x4.mul(f32x4.sub(wv, f32x4.mul(f32x4.mul(lrV, st), ipi)), irV));
        }
      }
      nv = (f32x4.extract_lane(nvV, 0) + f32x4.extract_lane(nvV, 1)) + (f32x4.extract_lane(nvV, 2) + f32x4.extract_lane(nvV, 3));
      ns = (f32x4.extract_lane(nsV, 0) + f32x4.extract_lane(nsV, 1)) + (f32x4.extract_lane(nsV, 2) + f32x4.extract_lane(nsV, 3));
      gs = (f32x4.extract_lane(gV, 0) + f32x4.extract_lane(gV, 1)) + (f32x4.extract_lane(gV, 2) + f32x4.extract_lane(gV, 3));
    }
    for (; i < I; i++) {
      const pi = f32at(beta, i) * ph, ipi = f32at(ibeta, i) * iph;
      for (let t = 0; t < T; t++) {
        const j = row + i * T + t;
        const wv = f32at(w, j);
        let d = f32at(dw, j) * ipi;
        if (wd != 0) d = d + wd * (wv * pi);
        d = d * s;
        if (upd) {
          if (f32at(mask, j) == 0) continue;
          const st = stepScalar(kind, d, s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, true);
          if (kind == Rule.Adam) setf32(sb, j, st);
          const v = wv * pi;
          nv += v * v;
          ns += st * st;
          gs += wv * f32at(dw, j);
        } else {
          const st = kind == Rule.Adam ? f32at(sb, j) : stepScalar(kind, d, s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, false);
          setf32(w, j, (wv - (lrk * st) * ipi) * ir);
        }
      }
    }
    if (upd) {
      store<f64>(rowNorms + (<usize>o << 4), <f64>nv / <f64>s);
      store<f64>(rowNorms + (<usize>o << 4) + 8, <f64>ns / <f64>s);
      setf32(rowG, o, f32at(rowG, o) + gs);
    }
  }
}
