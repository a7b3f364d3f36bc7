// EC-Opt kernels: optimisation in the equivalent-class (basis-path) space of ReLU networks
// (Meng et al., arXiv 1802.03713 / G-SGD, ICLR 2019; formulas from shared/docs/ec-opt-spec.md).
//
// A weight layer l is viewed as a tensor (O, I, T): O head units (layer l), I tail units
// (layer l-1), T parallel taps per edge (1 for Dense, kh*kw for Conv2D, H*W for Dense after
// Flatten). Designated edges use tap `dtap`: designated in-edge of head b is (b, b mod I),
// designated out-edge of tail a is (a mod O, a). Skeleton edges per layer are either every
// designated in-edge (Skeleton.In, k indexes heads) or every designated out-edge (Skeleton.Out,
// k indexes tails). Every free edge f = (i -> o) owns one basis path back(i) f fwd(o) whose value is
// v = beta(i) * w_f * phi(o) (beta, phi: products down/up the designated chains).
//
// Non-skeleton free edges are handled in bulk (SIMD, mask = 1): dF/dv = dL/dw / pi with
// pi = beta*phi (division-free in w). Skeleton edges (mask = 0) are handled per edge, O(H):
// frozen ones never change; free ones get u = g - A_dn(tail) - A_up(head) (inverse chain rule),
// dF/dv = u / v. Weight allocation: w' = w R / (rb(tail) rp(head)), R = v'/v, rb/rp the ratio
// products along the chains. All loops have a fixed order: results are deterministic.

import { Skeleton, Frozen, Rule, ECHyper, ECLayerDesc } from './abi';
import { parallel_rows, pool_can_split } from './threads';
import { ecg_rows } from './ec_graph';
import { momentum_m, momentum_step, adam_m, adam_s, adam_step, momentum_m4, momentum_step4, adam_m4, adam_s4, adam_step4 } from './rules';

// Skeleton modes, frozen rules, update rules and the hyperparameter block (f64 slots, written by
// TypeScript, completed by ec_hyper_prepare): Skeleton, Frozen, Rule, ECHyper of assembly/abi.ts.

// @ts-ignore: decorator
@inline function f32at(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setf32(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function hyp(h: usize, k: i32): f64 { return load<f64>(h + (<usize>k << 3)); }

/** Completes the hyperparameter block for Adam step t (bias corrections). */
export function ec_hyper_prepare(h: usize, t: f64): void {
  const b1 = hyp(h, ECHyper.B1), b2 = hyp(h, ECHyper.B2);
  store<f64>(h + (ECHyper.BC1 << 3), 1.0 - Math.pow(b1, t));
  store<f64>(h + (ECHyper.ISBC2 << 3), 1.0 / Math.sqrt(1.0 - Math.pow(b2, t)));
}

// ---- chains ----

/** beta_l(b) = w[b, b mod I, dtap] * beta_{l-1}(b mod I), for b < O. */
export function ec_chain_beta(betaOut: usize, betaIn: usize, w: usize, O: i32, I: i32, T: i32, dtap: i32): void {
  for (let b = 0; b < O; b++) {
    const a = b % I;
    setf32(betaOut, b, f32at(w, (b * I + a) * T + dtap) * f32at(betaIn, a));
  }
}

/** phi_{l-1}(a) = w[a mod O, a, dtap] * phi_l(a mod O), for a < I. */
export function ec_chain_phi(phiIn: usize, phiOut: usize, w: usize, O: i32, I: i32, T: i32, dtap: i32): void {
  for (let a = 0; a < I; a++) {
    const o = a % O;
    setf32(phiIn, a, f32at(w, (o * I + a) * T + dtap) * f32at(phiOut, o));
  }
}

// ---- skeleton geometry ----

// @ts-ignore: decorator
@inline function skelCount(mode: i32, O: i32, I: i32): i32 { return mode == Skeleton.In ? O : I; }
// @ts-ignore: decorator
@inline function skelHead(mode: i32, k: i32, O: i32): i32 { return mode == Skeleton.In ? k : k % O; }
// @ts-ignore: decorator
@inline function skelTail(mode: i32, k: i32, I: i32): i32 { return mode == Skeleton.In ? k % I : k; }
// @ts-ignore: decorator
@inline function isFrozen(rule: i32, head: i32, tail: i32, I: i32): bool {
  if (rule == Frozen.None) return false;
  if (rule == Frozen.All) return true;
  return head % I == tail;
}

/** Sets every skeleton weight of the layer to `value` (the 'unit-skeleton' initialisation). */
export function ec_set_skeleton(w: usize, O: i32, I: i32, T: i32, dtap: i32, mode: i32, value: f32): void {
  const n = skelCount(mode, O, I);
  for (let k = 0; k < n; k++) {
    setf32(w, (skelHead(mode, k, O) * I + skelTail(mode, k, I)) * T + dtap, value);
  }
}

/** Mask (f32 1/0) of the layer's tensor: 1 for non-skeleton edges, 0 for skeleton edges. */
export function ec_make_mask(mask: usize, O: i32, I: i32, T: i32, dtap: i32, mode: i32): void {
  const n = O * I * T;
  const one = f32x4.splat(1);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(mask + (<usize>j << 2), one);
  for (; j < n; j++) setf32(mask, j, 1);
  const m = skelCount(mode, O, I);
  for (let k = 0; k < m; k++) setf32(mask, (skelHead(mode, k, O) * I + skelTail(mode, k, I)) * T + dtap, 0);
}

// ---- the layer descriptor ----

// Every kernel below that works on one layer reads it from an ECLayerDesc block (assembly/abi.ts),
// written once per weight tensor and bias vector when the optimizer is created.
// @ts-ignore: decorator
@inline function dp(d: usize, k: i32): usize { return <usize>load<u32>(d + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline function di(d: usize, k: i32): i32 { return load<i32>(d + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline function setD(d: usize, k: i32, v: usize): void { store<u32>(d + (<usize>k << 2), <u32>v); }

// The shape slots of descriptor d.
// @ts-ignore: decorator
@inline function dO(d: usize): i32 { return di(d, ECLayerDesc.O); }
// @ts-ignore: decorator
@inline function dI(d: usize): i32 { return di(d, ECLayerDesc.I); }
// @ts-ignore: decorator
@inline function dT(d: usize): i32 { return di(d, ECLayerDesc.T); }

/** Bytes of an ECLayerDesc block. */
export function ec_layer_desc_bytes(): i32 { return ECLayerDesc.Count << 2; }

/**
 * Writes the tensor part of a layer descriptor: w (O, I, T), its gradient dw and mask (O, I, T),
 * the optimizer state s1, s2 (0 = none) and Adam's step buffer sb at w's offset, the designated tap,
 * the Skeleton mode and Frozen rule, and whether pass 1 makes the inverse chain rule sums. A bias
 * vector is a layer with I = T = 1 and a mask of ones.
 */
export function ec_layer_desc(desc: usize, w: usize, dw: usize, mask: usize, s1: usize, s2: usize, sb: usize,
  O: i32, I: i32, T: i32, dtap: i32, mode: i32, rule: i32, sums: i32): void {
  setD(desc, ECLayerDesc.W, w); setD(desc, ECLayerDesc.DW, dw); setD(desc, ECLayerDesc.Mask, mask);
  setD(desc, ECLayerDesc.S1, s1); setD(desc, ECLayerDesc.S2, s2); setD(desc, ECLayerDesc.SB, sb);
  setD(desc, ECLayerDesc.O, <usize>O); setD(desc, ECLayerDesc.I, <usize>I); setD(desc, ECLayerDesc.T, <usize>T);
  setD(desc, ECLayerDesc.Dtap, <usize>dtap); setD(desc, ECLayerDesc.Mode, <usize>mode); setD(desc, ECLayerDesc.Rule, <usize>rule);
  setD(desc, ECLayerDesc.Sums, <usize>sums);
  setD(desc, ECLayerDesc.Hyper, 0); setD(desc, ECLayerDesc.Pass, 0); setD(desc, ECLayerDesc.Fused, 0); setD(desc, ECLayerDesc.LRK, 0);
}

/**
 * Writes the unit vectors of a layer descriptor: beta, 1/beta and 1/rb of the I tail units, phi,
 * 1/phi and 1/rp of the O head units, the inverse chain rule sums rowS (O) and colS (I), and the
 * 2*O f64 of row-norm scratch.
 */
export function ec_layer_units(desc: usize, beta: usize, ibeta: usize, phi: usize, iphi: usize, irb: usize, irp: usize,
  rowS: usize, colS: usize, rowNorms: usize): void {
  setD(desc, ECLayerDesc.Beta, beta); setD(desc, ECLayerDesc.IBeta, ibeta);
  setD(desc, ECLayerDesc.Phi, phi); setD(desc, ECLayerDesc.IPhi, iphi);
  setD(desc, ECLayerDesc.IRB, irb); setD(desc, ECLayerDesc.IRP, irp);
  setD(desc, ECLayerDesc.RowS, rowS); setD(desc, ECLayerDesc.ColS, colS); setD(desc, ECLayerDesc.RowNorms, rowNorms);
}

// ---- bulk passes over non-skeleton edges ----

// Per-element path-space step, shared by the SIMD lanes and the scalar tails (same operations,
// same order). d = dL/dw / pi + wd * w * pi.
// @ts-ignore: decorator
@inline export function stepScalar(kind: i32, d: f32, s1: usize, s2: usize, j: i32, mu: f32, nest: bool, b1: f32, b2: f32, eps: f32, bc1: f32, isbc2: f32, update: bool): f32 {
  if (kind == Rule.SGD) return d;
  if (kind == Rule.Momentum) {
    let m = f32at(s1, j);
    if (update) { m = momentum_m(m, d, mu); setf32(s1, j, m); }
    return momentum_step(m, d, mu, nest);
  }
  let m = f32at(s1, j);
  let s = f32at(s2, j);
  if (update) {
    m = adam_m(m, d, b1);
    s = adam_s(s, d, b2);
    setf32(s1, j, m);
    setf32(s2, j, s);
  }
  return adam_step(m, s, bc1, isbc2, eps);
}

// @ts-ignore: decorator
@inline export function stepVec(kind: i32, d: v128, s1: usize, s2: usize, off: usize, mask: v128, mu: v128, nest: bool, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, bc1: v128, isbc2: v128, update: bool): v128 {
  if (kind == Rule.SGD) return d;
  if (kind == Rule.Momentum) {
    let m = v128.load(s1 + off);
    if (update) {
      m = v128.bitselect(momentum_m4(m, d, mu), m, mask);
      v128.store(s1 + off, m);
    }
    return momentum_step4(m, d, mu, nest);
  }
  let m = v128.load(s1 + off);
  let s = v128.load(s2 + off);
  if (update) {
    m = v128.bitselect(adam_m4(m, d, b1, c1), m, mask);
    s = v128.bitselect(adam_s4(s, d, b2, c2), s, mask);
    v128.store(s1 + off, m);
    v128.store(s2 + off, s);
  }
  return adam_step4(m, s, bc1, isbc2, eps);
}

/** dst[i] = 1 / src[i] for i < n (reciprocals of chain products, so the bulk passes multiply). */
export function ec_recip(dst: usize, src: usize, n: i32): void {
  for (let i = 0; i < n; i++) setf32(dst, i, <f32>1 / f32at(src, i));
}

// The two bulk passes work row by row (one head unit o at a time) and rows are independent, so a
// thread pool splits them by rows (assembly/threads.ts, Job.ECRows, on the layer descriptor) with
// identical bits for any thread count: pass 1 writes each row's norm terms to RowNorms (f64
// pairs), summed in row order afterwards. A pass writes its job slots (Hyper, Pass, Fused, LRK)
// into the descriptor first.

/** rowS[o] += sum_i,t mask * w * dL/dw, colS[i] += the same over o and t: the inverse chain rule sums (non-skeleton edges). */
export function ec_sums(w: usize, dw: usize, mask: usize, O: i32, I: i32, T: i32, rowS: usize, colS: usize): void {
  for (let o = 0; o < O; o++) sumsRow(w, dw, mask, o, I, T, rowS, colS);
}

// The sums of one row o (rows must come in order for the column sums' fixed order).
// @ts-ignore: decorator
@inline function sumsRow(w: usize, dw: usize, mask: usize, o: i32, I: i32, T: i32, rowS: usize, colS: usize): void {
  const IT = I * T;
  {
    const row = o * IT;
    let rs: f32 = 0;
    if (T == 1) {
      let rsV = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= I; i += 4) {
        const off = <usize>(row + i) << 2;
        const ioff = <usize>i << 2;
        const g = f32x4.mul(f32x4.mul(v128.load(w + off), v128.load(dw + off)), v128.load(mask + off));
        rsV = f32x4.add(rsV, g);
        v128.store(colS + ioff, f32x4.add(v128.load(colS + ioff), g));
      }
      rs = (f32x4.extract_lane(rsV, 0) + f32x4.extract_lane(rsV, 1)) + (f32x4.extract_lane(rsV, 2) + f32x4.extract_lane(rsV, 3));
      for (; i < I; i++) {
        const j = row + i;
        if (f32at(mask, j) == 0) continue;
        const g = f32at(w, j) * f32at(dw, j);
        rs += g;
        setf32(colS, i, f32at(colS, i) + g);
      }
    } else {
      for (let i = 0; i < I; i++) {
        let cs: f32 = 0;
        for (let t = 0; t < T; t++) {
          const j = row + i * T + t;
          if (f32at(mask, j) != 0) cs += f32at(w, j) * f32at(dw, j);
        }
        rs += cs;
        setf32(colS, i, f32at(colS, i) + cs);
      }
    }
    setf32(rowS, o, f32at(rowS, o) + rs);
  }
}

/**
 * Pass 1 over the layer tensor w (O, I, T) of `desc` with gradient dw: when Sums, the masked
 * inverse chain rule sums (ec_sums); then for every edge the path-space gradient
 * dF/dv = dw / pi (+ wd * v), pi = beta * phi (applied as dw * (1/beta) * (1/phi)), the optimizer
 * state update and the step (kept in sb for Adam), and adds sum v^2 and sum step^2 to norms[0],
 * norms[1] (f64). Skeleton edges are corrected afterwards (ec_skeleton_unbulk). h: the
 * hyperparameter block (ECHyper).
 */
export function ec_pass1(desc: usize, h: usize, norms: usize): void {
  const O = di(desc, ECLayerDesc.O), I = di(desc, ECLayerDesc.I), T = di(desc, ECLayerDesc.T);
  const sums = di(desc, ECLayerDesc.Sums) != 0;
  const rowNorms = dp(desc, ECLayerDesc.RowNorms);
  const elements = <i64>O * <i64>I * <i64>T;
  const split = pool_can_split(O, elements);
  // on one thread the sums ride along row by row; on a pool they go first (their column sums
  // need the rows in order)
  if (sums && split) {
    ec_sums(dp(desc, ECLayerDesc.W), dp(desc, ECLayerDesc.DW), dp(desc, ECLayerDesc.Mask), O, I, T,
      dp(desc, ECLayerDesc.RowS), dp(desc, ECLayerDesc.ColS));
  }
  setD(desc, ECLayerDesc.Fused, sums && !split ? 1 : 0);
  setD(desc, ECLayerDesc.Hyper, h); setD(desc, ECLayerDesc.Pass, 1);
  if (!split || !parallel_rows(desc, O, elements)) ec_rows(desc, 0, O);
  let nv: f64 = 0, ns: f64 = 0;
  for (let o = 0; o < O; o++) {
    nv += load<f64>(rowNorms + (<usize>o << 4));
    ns += load<f64>(rowNorms + (<usize>o << 4) + 8);
  }
  store<f64>(norms, load<f64>(norms) + nv);
  store<f64>(norms + 8, load<f64>(norms + 8) + ns);
}

/**
 * Pass 2 (weight allocation of non-skeleton edges) on the layer of `desc`:
 * w' = (w - lrk * step / pi) / (rb(i) rp(o)), applied with the reciprocals
 * 1/pi = (1/beta)(1/phi), 1/(rb rp) = (1/rb)(1/rp); the step is recomputed from the (already
 * updated) optimizer state (read from sb for Adam). It writes every edge without reading a mask:
 * the skeleton edges were saved by ec_skeleton_save and are rewritten by ec_skeleton_apply.
 */
export function ec_pass2(desc: usize, h: usize, lrk: f32): void {
  const O = di(desc, ECLayerDesc.O);
  setD(desc, ECLayerDesc.Hyper, h); setD(desc, ECLayerDesc.Pass, 2);
  store<f32>(desc + (ECLayerDesc.LRK << 2), lrk);
  if (!parallel_rows(desc, O, <i64>O * <i64>di(desc, ECLayerDesc.I) * <i64>di(desc, ECLayerDesc.T))) ec_rows(desc, 0, O);
}

/** Rows [o0, o1) of the pass the job slots of layer descriptor `a` describe (called by one thread). */
export function ec_rows(a: usize, o0: i32, o1: i32): void {
  if (di(a, ECLayerDesc.Pass) >= 3) { ecg_rows(a, o0, o1); return; } // whole-graph passes (ec_graph.ts)
  const kind = <i32>hyp(dp(a, ECLayerDesc.Hyper), ECHyper.Kind);
  if (di(a, ECLayerDesc.Pass) == 1) {
    if (kind == Rule.SGD) pass1Rows(Rule.SGD, a, o0, o1);
    else if (kind == Rule.Momentum) pass1Rows(Rule.Momentum, a, o0, o1);
    else pass1Rows(Rule.Adam, a, o0, o1);
  } else {
    if (kind == Rule.SGD) pass2Rows(Rule.SGD, a, o0, o1);
    else if (kind == Rule.Momentum) pass2Rows(Rule.Momentum, a, o0, o1);
    else pass2Rows(Rule.Adam, a, o0, o1);
  }
}

// @ts-ignore: decorator
@inline function pass1Rows(kind: i32, a: usize, o0: i32, o1: i32): void {
  const w = dp(a, ECLayerDesc.W), dw = dp(a, ECLayerDesc.DW), s1 = dp(a, ECLayerDesc.S1), s2 = dp(a, ECLayerDesc.S2), sb = dp(a, ECLayerDesc.SB);
  const I = di(a, ECLayerDesc.I), T = di(a, ECLayerDesc.T);
  const betaIn = dp(a, ECLayerDesc.Beta), ibetaIn = dp(a, ECLayerDesc.IBeta), phiOut = dp(a, ECLayerDesc.Phi), iphiOut = dp(a, ECLayerDesc.IPhi);
  const h = dp(a, ECLayerDesc.Hyper), rowNorms = dp(a, ECLayerDesc.RowNorms);
  const fused = di(a, ECLayerDesc.Fused) != 0, mask = dp(a, ECLayerDesc.Mask), rowS = dp(a, ECLayerDesc.RowS), colS = dp(a, ECLayerDesc.ColS);
  const mu = <f32>hyp(h, ECHyper.Mu), nest = hyp(h, ECHyper.Nesterov) != 0;
  const b1 = <f32>hyp(h, ECHyper.B1), b2 = <f32>hyp(h, ECHyper.B2), eps = <f32>hyp(h, ECHyper.Eps);
  const wd = <f32>hyp(h, ECHyper.WD), bc1 = <f32>hyp(h, ECHyper.BC1), isbc2 = <f32>hyp(h, ECHyper.ISBC2);
  const muV = f32x4.splat(mu), b1V = f32x4.splat(b1), c1V = f32x4.splat(<f32>1 - b1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(<f32>1 - b2), epsV = f32x4.splat(eps);
  const wdV = f32x4.splat(wd), bc1V = f32x4.splat(bc1), isbc2V = f32x4.splat(isbc2);
  const zero = f32x4.splat(0);
  const allV = i32x4.splat(-1);
  const IT = I * T;
  for (let o = o0; o < o1; o++) {
    if (fused) sumsRow(w, dw, mask, o, I, T, rowS, colS);
    const ph = f32at(phiOut, o), iph = f32at(iphiOut, o);
    const row = o * IT;
    let nvr: f32 = 0, nsr: f32 = 0;
    if (T == 1) {
      const phV = f32x4.splat(ph), iphV = f32x4.splat(iph);
      let nvV = zero, nsV = zero;
      let i = 0;
      for (; i + 4 <= I; i += 4) {
        const off = <usize>(row + i) << 2;
        const ioff = <usize>i << 2;
        const v = f32x4.mul(v128.load(w + off), f32x4.mul(v128.load(betaIn + ioff), phV));
        let d = f32x4.mul(v128.load(dw + off), f32x4.mul(v128.load(ibetaIn + ioff), iphV));
        if (wd != 0) d = f32x4.add(d, f32x4.mul(wdV, v));
        const st = stepVec(kind, d, s1, s2, off, allV, muV, nest, b1V, c1V, b2V, c2V, epsV, bc1V, isbc2V, true);
        if (kind == Rule.Adam) v128.store(sb + off, st); // Adam: keep the step for pass 2 (saves its sqrt and division)
        nvV = f32x4.add(nvV, f32x4.mul(v, v));
        nsV = f32x4.add(nsV, f32x4.mul(st, st));
      }
      nvr = (f32x4.extract_lane(nvV, 0) + f32x4.extract_lane(nvV, 1)) + (f32x4.extract_lane(nvV, 2) + f32x4.extract_lane(nvV, 3));
      nsr = (f32x4.extract_lane(nsV, 0) + f32x4.extract_lane(nsV, 1)) + (f32x4.extract_lane(nsV, 2) + f32x4.extract_lane(nsV, 3));
      for (; i < I; i++) {
        const j = row + i;
        const v = f32at(w, j) * (f32at(betaIn, i) * ph);
        let d = f32at(dw, j) * (f32at(ibetaIn, i) * iph);
        if (wd != 0) d = d + wd * v;
        const st = stepScalar(kind, d, s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, true);
        if (kind == Rule.Adam) setf32(sb, j, st);
        nvr += v * v;
        nsr += st * st;
      }
    } else {
      for (let i = 0; i < I; i++) {
        const pi = f32at(betaIn, i) * ph;
        const ipi = f32at(ibetaIn, i) * iph;
        for (let t = 0; t < T; t++) {
          const j = row + i * T + t;
          const v = f32at(w, j) * pi;
          let d = f32at(dw, j) * ipi;
          if (wd != 0) d = d + wd * v;
          const st = stepScalar(kind, d, s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, true);
          if (kind == Rule.Adam) setf32(sb, j, st);
          nvr += v * v;
          nsr += st * st;
        }
      }
    }
    store<f64>(rowNorms + (<usize>o << 4), <f64>nvr);
    store<f64>(rowNorms + (<usize>o << 4) + 8, <f64>nsr);
  }
}

// @ts-ignore: decorator
@inline function pass2Rows(kind: i32, a: usize, o0: i32, o1: i32): void {
  const w = dp(a, ECLayerDesc.W), dw = dp(a, ECLayerDesc.DW), s1 = dp(a, ECLayerDesc.S1), s2 = dp(a, ECLayerDesc.S2), sb = dp(a, ECLayerDesc.SB);
  const I = di(a, ECLayerDesc.I), T = di(a, ECLayerDesc.T);
  const betaIn = dp(a, ECLayerDesc.Beta), ibetaIn = dp(a, ECLayerDesc.IBeta), phiOut = dp(a, ECLayerDesc.Phi), iphiOut = dp(a, ECLayerDesc.IPhi);
  const irbIn = dp(a, ECLayerDesc.IRB), irpOut = dp(a, ECLayerDesc.IRP), h = dp(a, ECLayerDesc.Hyper);
  const lrk = load<f32>(a + (ECLayerDesc.LRK << 2));
  const mu = <f32>hyp(h, ECHyper.Mu), nest = hyp(h, ECHyper.Nesterov) != 0;
  const b1 = <f32>hyp(h, ECHyper.B1), b2 = <f32>hyp(h, ECHyper.B2), eps = <f32>hyp(h, ECHyper.Eps);
  const wd = <f32>hyp(h, ECHyper.WD), bc1 = <f32>hyp(h, ECHyper.BC1), isbc2 = <f32>hyp(h, ECHyper.ISBC2);
  const muV = f32x4.splat(mu), b1V = f32x4.splat(b1), c1V = f32x4.splat(<f32>1 - b1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(<f32>1 - b2), epsV = f32x4.splat(eps);
  const wdV = f32x4.splat(wd), bc1V = f32x4.splat(bc1), isbc2V = f32x4.splat(isbc2);
  const lrV = f32x4.splat(lrk);
  const zero = f32x4.splat(0);
  const IT = I * T;
  for (let o = o0; o < o1; o++) {
    const ph = f32at(phiOut, o), iph = f32at(iphiOut, o);
    const irp = f32at(irpOut, o);
    const row = o * IT;
    if (T == 1) {
      const phV = f32x4.splat(ph), iphV = f32x4.splat(iph), irpV = f32x4.splat(irp);
      let i = 0;
      for (; i + 4 <= I; i += 4) {
        const off = <usize>(row + i) << 2;
        const ioff = <usize>i << 2;
        const wv = v128.load(w + off);
        const ipi = f32x4.mul(v128.load(ibetaIn + ioff), iphV);
        let d = f32x4.mul(v128.load(dw + off), ipi);
        if (wd != 0) d = f32x4.add(d, f32x4.mul(wdV, f32x4.mul(wv, f32x4.mul(v128.load(betaIn + ioff), phV))));
        const st = kind == Rule.Adam ? v128.load(sb + off) : stepVec(kind, d, s1, s2, off, zero, muV, nest, b1V, c1V, b2V, c2V, epsV, bc1V, isbc2V, false);
        const nw = f32x4.mul(f32x4.sub(wv, f32x4.mul(f32x4.mul(lrV, st), ipi)), f32x4.mul(v128.load(irbIn + ioff), irpV));
        v128.store(w + off, nw);
      }
      for (; i < I; i++) {
        const j = row + i;
        const wv = f32at(w, j);
        const ipi = f32at(ibetaIn, i) * iph;
        let d = f32at(dw, j) * ipi;
        if (wd != 0) d = d + wd * (wv * (f32at(betaIn, i) * ph));
        const st = kind == Rule.Adam ? f32at(sb, j) : stepScalar(kind, d, s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, false);
        setf32(w, j, (wv - (lrk * st) * ipi) * (f32at(irbIn, i) * irp));
      }
    } else {
      for (let i = 0; i < I; i++) {
        const pi = f32at(betaIn, i) * ph;
        const ipi = f32at(ibetaIn, i) * iph;
        const ichain = f32at(irbIn, i) * irp;
        for (let t = 0; t < T; t++) {
          const j = row + i * T + t;
          const wv = f32at(w, j);
          let d = f32at(dw, j) * ipi;
          if (wd != 0) d = d + wd * (wv * pi);
          const st = kind == Rule.Adam ? f32at(sb, j) : stepScalar(kind, d, s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, false);
          setf32(w, j, (wv - (lrk * st) * ipi) * ichain);
        }
      }
    }
  }
}

// ---- skeleton edges (O(H) per step) ----

/**
 * Inverse chain rule, bottom-up part, for the free skeleton edges of the layer of `desc`:
 * u = g - [designated out-edge of a hidden tail] A_dn(tail); the A_up(head) term is applied
 * later by ec_skeleton_step. Stores u in skU[k] and adds it to rowS[head] and colS[tail].
 * AdnIn: A_dn of the tail units (ignored when tailHidden = 0).
 */
export function ec_skeleton_u(desc: usize, skU: usize, tailHidden: i32, AdnIn: usize): void {
  const w = dp(desc, ECLayerDesc.W), dw = dp(desc, ECLayerDesc.DW), O = dO(desc), I = dI(desc), T = dT(desc);
  const dtap = di(desc, ECLayerDesc.Dtap), mode = di(desc, ECLayerDesc.Mode), rule = di(desc, ECLayerDesc.Rule);
  const rowS = dp(desc, ECLayerDesc.RowS), colS = dp(desc, ECLayerDesc.ColS);
  const n = skelCount(mode, O, I);
  for (let k = 0; k < n; k++) {
    const o = skelHead(mode, k, O), i = skelTail(mode, k, I);
    if (isFrozen(rule, o, i, I)) { setf32(skU, k, 0); continue; }
    const j = (o * I + i) * T + dtap;
    let u = f32at(w, j) * f32at(dw, j);
    if (tailHidden && i % O == o) u -= f32at(AdnIn, i);
    setf32(skU, k, u);
    setf32(rowS, o, f32at(rowS, o) + u);
    setf32(colS, i, f32at(colS, i) + u);
  }
}

/** Saves the optimizer state slots (s1, s2; 0 = none) of the layer's skeleton edges before pass 1. */
export function ec_skeleton_save_state(desc: usize, sk1: usize, sk2: usize): void {
  const s1 = dp(desc, ECLayerDesc.S1), s2 = dp(desc, ECLayerDesc.S2), O = dO(desc), I = dI(desc), T = dT(desc);
  const dtap = di(desc, ECLayerDesc.Dtap), mode = di(desc, ECLayerDesc.Mode);
  const n = skelCount(mode, O, I);
  for (let k = 0; k < n; k++) {
    const j = (skelHead(mode, k, O) * I + skelTail(mode, k, I)) * T + dtap;
    if (s1) setf32(sk1, k, f32at(s1, j));
    if (s2) setf32(sk2, k, f32at(s2, j));
  }
}

/**
 * Undoes pass 1 on the skeleton edges: restores their state slots from the saved copy and
 * subtracts from the norms the v^2 and step^2 pass 1 added for them (recomputed with the same
 * operations). Their real path-space step is ec_skeleton_step's.
 */
export function ec_skeleton_unbulk(desc: usize, sk1: usize, sk2: usize, h: usize, norms: usize): void {
  const w = dp(desc, ECLayerDesc.W), dw = dp(desc, ECLayerDesc.DW), s1 = dp(desc, ECLayerDesc.S1), s2 = dp(desc, ECLayerDesc.S2);
  const O = dO(desc), I = dI(desc), T = dT(desc), dtap = di(desc, ECLayerDesc.Dtap), mode = di(desc, ECLayerDesc.Mode);
  const betaIn = dp(desc, ECLayerDesc.Beta), ibetaIn = dp(desc, ECLayerDesc.IBeta);
  const phiOut = dp(desc, ECLayerDesc.Phi), iphiOut = dp(desc, ECLayerDesc.IPhi);
  const kind = <i32>hyp(h, ECHyper.Kind);
  const mu = <f32>hyp(h, ECHyper.Mu), nest = hyp(h, ECHyper.Nesterov) != 0;
  const b1 = <f32>hyp(h, ECHyper.B1), b2 = <f32>hyp(h, ECHyper.B2), eps = <f32>hyp(h, ECHyper.Eps);
  const wd = <f32>hyp(h, ECHyper.WD), bc1 = <f32>hyp(h, ECHyper.BC1), isbc2 = <f32>hyp(h, ECHyper.ISBC2);
  const n = skelCount(mode, O, I);
  let nv: f64 = 0, ns: f64 = 0;
  for (let k = 0; k < n; k++) {
    const o = skelHead(mode, k, O), i = skelTail(mode, k, I);
    const j = (o * I + i) * T + dtap;
    if (s1) setf32(s1, j, f32at(sk1, k));
    if (s2) setf32(s2, j, f32at(sk2, k));
    const wv = f32at(w, j);
    const v = wv * (f32at(betaIn, i) * f32at(phiOut, o));
    let d = f32at(dw, j) * (f32at(ibetaIn, i) * f32at(iphiOut, o));
    if (wd != 0) d = d + wd * v;
    // the bulk's step from the restored state, without storing it
    let st = d;
    if (kind == Rule.Momentum) { const m = momentum_m(f32at(s1, j), d, mu); st = momentum_step(m, d, mu, nest); }
    else if (kind == Rule.Adam) st = adam_step(adam_m(f32at(s1, j), d, b1), adam_s(f32at(s2, j), d, b2), bc1, isbc2, eps);
    nv += <f64>(v * v);
    ns += <f64>(st * st);
  }
  store<f64>(norms, load<f64>(norms) - nv);
  store<f64>(norms + 8, load<f64>(norms + 8) - ns);
}

/** A_dn(a) = rowS[a] + sum over tails c (c < Iprev, in order) with c mod O == a of AdnIn[c]. */
export function ec_accum_down(Adn: usize, rowS: usize, AdnIn: usize, O: i32, I: i32, tailHidden: i32): void {
  memory.copy(Adn, rowS, <usize>O << 2);
  if (!tailHidden) return;
  for (let c = 0; c < I; c++) {
    const a = c % O;
    setf32(Adn, a, f32at(Adn, a) + f32at(AdnIn, c));
  }
}

/** A_up(b) = colS[b] + sum over next-layer heads c (< Onext, in order) with c mod I == b of AupNext[c]. */
export function ec_accum_up(Aup: usize, colS: usize, AupNext: usize, I: i32, Onext: i32, nextHidden: i32): void {
  memory.copy(Aup, colS, <usize>I << 2);
  if (!nextHidden) return;
  for (let c = 0; c < Onext; c++) {
    const b = c % I;
    setf32(Aup, b, f32at(Aup, b) + f32at(AupNext, c));
  }
}

/**
 * Completes the inverse chain rule for the free skeleton edges (u -= A_up(head) when the edge
 * is the designated in-edge of a hidden head), then dF/dv = u / v, the optimizer state update
 * at the edge's own state slot, and the path-space step. Stores v in skV, step in skS; adds
 * sum v^2 and sum step^2 to norms.
 */
export function ec_skeleton_step(desc: usize, skU: usize, skV: usize, skS: usize, headHidden: i32, AupOut: usize,
  h: usize, norms: usize): void {
  const w = dp(desc, ECLayerDesc.W), s1 = dp(desc, ECLayerDesc.S1), s2 = dp(desc, ECLayerDesc.S2);
  const O = dO(desc), I = dI(desc), T = dT(desc);
  const dtap = di(desc, ECLayerDesc.Dtap), mode = di(desc, ECLayerDesc.Mode), rule = di(desc, ECLayerDesc.Rule);
  const betaIn = dp(desc, ECLayerDesc.Beta), phiOut = dp(desc, ECLayerDesc.Phi);
  const kind = <i32>hyp(h, ECHyper.Kind);
  const mu = <f32>hyp(h, ECHyper.Mu), nest = hyp(h, ECHyper.Nesterov) != 0;
  const b1 = <f32>hyp(h, ECHyper.B1), b2 = <f32>hyp(h, ECHyper.B2), eps = <f32>hyp(h, ECHyper.Eps);
  const bc1 = <f32>hyp(h, ECHyper.BC1), isbc2 = <f32>hyp(h, ECHyper.ISBC2);
  const n = skelCount(mode, O, I);
  let nv: f64 = 0, ns: f64 = 0;
  for (let k = 0; k < n; k++) {
    const o = skelHead(mode, k, O), i = skelTail(mode, k, I);
    if (isFrozen(rule, o, i, I)) { setf32(skV, k, 0); setf32(skS, k, 0); continue; }
    const j = (o * I + i) * T + dtap;
    let u = f32at(skU, k);
    if (headHidden && o % I == i) u -= f32at(AupOut, o);
    setf32(skU, k, u);
    const v = f32at(betaIn, i) * f32at(w, j) * f32at(phiOut, o);
    const st = stepScalar(kind, u / v, s1, s2, j, mu, nest, b1, b2, eps, bc1, isbc2, true);
    setf32(skV, k, v);
    setf32(skS, k, st);
    nv += <f64>v * <f64>v;
    ns += <f64>st * <f64>st;
  }
  store<f64>(norms, load<f64>(norms) + nv);
  store<f64>(norms + 8, load<f64>(norms + 8) + ns);
}

/**
 * Trust region (spec section 8a): the applied step is lr * kappa * step with
 * kappa = min(1, rho ||v|| / (lr ||step||)) over all basis paths; rho <= 0 disables it.
 * Returns lr * kappa.
 */
export function ec_trust_lr(norms: usize, lr: f64, rho: f64): f64 {
  if (rho <= 0) return lr;
  const nv = Math.sqrt(load<f64>(norms));
  const ns = lr * Math.sqrt(load<f64>(norms + 8));
  if (ns > rho * nv && ns > 0) return lr * (rho * nv / ns);
  return lr;
}

/** R = 1 - lrk * step / v for the free skeleton paths, floored at rmin (rmin <= 0: no floor). Stored in skR. */
export function ec_skeleton_ratio(desc: usize, skR: usize, skV: usize, skS: usize, lrk: f32, rmin: f32): void {
  const O = dO(desc), I = dI(desc), mode = di(desc, ECLayerDesc.Mode), rule = di(desc, ECLayerDesc.Rule);
  const n = skelCount(mode, O, I);
  for (let k = 0; k < n; k++) {
    const o = skelHead(mode, k, O), i = skelTail(mode, k, I);
    if (isFrozen(rule, o, i, I)) { setf32(skR, k, 1); continue; }
    let R = <f32>1 - (lrk * f32at(skS, k)) / f32at(skV, k);
    if (rmin > 0 && R < rmin) R = rmin;
    setf32(skR, k, R);
  }
}

// Skeleton index of edge (o, i) in a layer, or -1 when it is not a skeleton edge.
// @ts-ignore: decorator
@inline function skelIndex(mode: i32, o: i32, i: i32, O: i32, I: i32): i32 {
  if (mode == Skeleton.In) return i == o % I ? o : -1;
  return o == i % O ? i : -1;
}

/**
 * Ratio chain, top-down: rp(a) for the tails a < I of the layer: R of the designated out-edge
 * when it is a free skeleton edge (its tail's back chain is frozen in both gauges), else rp(head).
 */
export function ec_ratio_phi(rpIn: usize, rpOut: usize, skR: usize, O: i32, I: i32, mode: i32, rule: i32): void {
  for (let a = 0; a < I; a++) {
    const o = a % O;
    const k = skelIndex(mode, o, a, O, I);
    if (k >= 0 && !isFrozen(rule, o, a, I)) setf32(rpIn, a, f32at(skR, k));
    else setf32(rpIn, a, f32at(rpOut, o));
  }
}

/**
 * Ratio chain, bottom-up: rb(b) for the heads b < O: R / rp(b) of the designated in-edge when it
 * is a free skeleton edge, else rb(tail).
 */
export function ec_ratio_beta(rbOut: usize, rbIn: usize, rpOut: usize, skR: usize, O: i32, I: i32, mode: i32, rule: i32): void {
  for (let b = 0; b < O; b++) {
    const a = b % I;
    const k = skelIndex(mode, b, a, O, I);
    if (k >= 0 && !isFrozen(rule, b, a, I)) setf32(rbOut, b, f32at(skR, k) / f32at(rpOut, b));
    else setf32(rbOut, b, f32at(rbIn, a));
  }
}

/** skW[k] = the layer's skeleton weights, before pass 2 overwrites their slots. */
export function ec_skeleton_save(desc: usize, skW: usize): void {
  const w = dp(desc, ECLayerDesc.W), O = dO(desc), I = dI(desc), T = dT(desc);
  const dtap = di(desc, ECLayerDesc.Dtap), mode = di(desc, ECLayerDesc.Mode);
  const n = skelCount(mode, O, I);
  for (let k = 0; k < n; k++) setf32(skW, k, f32at(w, (skelHead(mode, k, O) * I + skelTail(mode, k, I)) * T + dtap));
}

/**
 * Skeleton edges after pass 2: frozen ones get their saved value back (bit-identical), free ones
 * the weight allocation w' = w R / (rb(tail) rp(head)) from their saved value.
 */
export function ec_skeleton_apply(desc: usize, skW: usize, skR: usize, rbIn: usize, rpOut: usize): void {
  const w = dp(desc, ECLayerDesc.W), O = dO(desc), I = dI(desc), T = dT(desc);
  const dtap = di(desc, ECLayerDesc.Dtap), mode = di(desc, ECLayerDesc.Mode), rule = di(desc, ECLayerDesc.Rule);
  const n = skelCount(mode, O, I);
  for (let k = 0; k < n; k++) {
    const o = skelHead(mode, k, O), i = skelTail(mode, k, I);
    const j = (o * I + i) * T + dtap;
    const old = f32at(skW, k);
    if (isFrozen(rule, o, i, I)) setf32(w, j, old);
    else setf32(w, j, (old * f32at(skR, k)) / (f32at(rbIn, i) * f32at(rpOut, o)));
  }
}

// ---- symmetry helpers ----

/** w[o, :, :] *= c (all inputs and taps of head unit o), for a tensor (O, I, T). */
export function ec_scale_head(w: usize, O: i32, I: i32, T: i32, o: i32, c: f32): void {
  const base = o * I * T;
  for (let j = 0; j < I * T; j++) setf32(w, base + j, f32at(w, base + j) * c);
}

/** w[:, i, :] *= c (all heads and taps of tail unit i), for a tensor (O, I, T). */
export function ec_scale_tail(w: usize, O: i32, I: i32, T: i32, i: i32, c: f32): void {
  for (let o = 0; o < O; o++) {
    const base = (o * I + i) * T;
    for (let t = 0; t < T; t++) setf32(w, base + t, f32at(w, base + t) * c);
  }
}

// ---- Path-SGD (Neyshabur et al. 2015) ----

/** gOut[o] = sum_{i,t} w[o,i,t]^2 gIn[i] (+ bias[o]^2 when bias != 0): forward pass of squared weights. */
export function path_gamma_forward(gOut: usize, gIn: usize, w: usize, bias: usize, O: i32, I: i32, T: i32): void {
  for (let o = 0; o < O; o++) {
    let s: f32 = 0;
    if (T == 1) {
      const row = w + (<usize>o * <usize>I << 2);
      let acc = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= I; i += 4) {
        const x = v128.load(row + (<usize>i << 2));
        acc = f32x4.add(acc, f32x4.mul(f32x4.mul(x, x), v128.load(gIn + (<usize>i << 2))));
      }
      s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      for (; i < I; i++) { const x = f32at(row, i); s += x * x * f32at(gIn, i); }
    } else {
      for (let i = 0; i < I; i++) {
        let r: f32 = 0;
        const base = (o * I + i) * T;
        for (let t = 0; t < T; t++) { const x = f32at(w, base + t); r += x * x; }
        s += r * f32at(gIn, i);
      }
    }
    if (bias) { const b = f32at(bias, o); s += b * b; }
    setf32(gOut, o, s);
  }
}

/** gIn[i] = sum_{o,t} w[o,i,t]^2 gOut[o]: the mirrored backward pass (rows added in order). */
export function path_gamma_backward(gIn: usize, gOut: usize, w: usize, O: i32, I: i32, T: i32): void {
  memory.fill(gIn, 0, <usize>I << 2);
  for (let o = 0; o < O; o++) {
    const go = f32at(gOut, o);
    if (T == 1) {
      const row = w + (<usize>o * <usize>I << 2);
      const gv = f32x4.splat(go);
      let i = 0;
      for (; i + 4 <= I; i += 4) {
        const x = v128.load(row + (<usize>i << 2));
        const p = gIn + (<usize>i << 2);
        v128.store(p, f32x4.add(v128.load(p), f32x4.mul(f32x4.mul(x, x), gv)));
      }
      for (; i < I; i++) { const x = f32at(row, i); setf32(gIn, i, f32at(gIn, i) + x * x * go); }
    } else {
      for (let i = 0; i < I; i++) {
        let r: f32 = 0;
        const base = (o * I + i) * T;
        for (let t = 0; t < T; t++) { const x = f32at(w, base + t); r += x * x; }
        setf32(gIn, i, f32at(gIn, i) + r * go);
      }
    }
  }
}

/**
 * Path-SGD update: w[o,i,t] -= lr * dw / (gIn[i] * gOut[o]), applied as
 * dw * (lr / gOut[o]) * (1 / gIn[i]) with igIn = 1 / gIn (ec_recip). For a bias call with
 * I = T = 1 and igIn -> 1.0.
 */
export function path_sgd_update(w: usize, dw: usize, O: i32, I: i32, T: i32, igIn: usize, gOut: usize, lr: f32): void {
  for (let o = 0; o < O; o++) {
    const c = lr / f32at(gOut, o);
    if (T == 1) {
      const row = <usize>o * <usize>I << 2;
      const cv = f32x4.splat(c);
      let i = 0;
      for (; i + 4 <= I; i += 4) {
        const off = row + (<usize>i << 2);
        const step = f32x4.mul(f32x4.mul(v128.load(dw + off), cv), v128.load(igIn + (<usize>i << 2)));
        v128.store(w + off, f32x4.sub(v128.load(w + off), step));
      }
      for (; i < I; i++) {
        const off = row + (<usize>i << 2);
        store<f32>(w + off, load<f32>(w + off) - (load<f32>(dw + off) * c) * f32at(igIn, i));
      }
    } else {
      for (let i = 0; i < I; i++) {
        const ci = c * f32at(igIn, i);
        const base = (o * I + i) * T;
        for (let t = 0; t < T; t++) setf32(w, base + t, f32at(w, base + t) - f32at(dw, base + t) * ci);
      }
    }
  }
}
