// The chain EC step (shared/docs/ec-opt-spec.md; kernels in assembly/ec.ts) on one chain of weight
// layers: a whole Sequential-like model (mode 'chain'), or one block of mode 'blocks'. Owns the
// chain's unit vectors, skeleton scratch and layer descriptors (written once), and runs the O(m)
// step: chain products, bulk pass, inverse chain rule, trust region, ratios, weight allocation;
// and the chain's 'preserve' initialisation (hidden units rescaled so frozen skeleton |w| = 1).
import type { OptimizerHost } from '../optim/host.js';
import { Skeleton, Frozen, Rule } from '../core/abi.gen.js';
import { ArgumentError } from '../core/errors.js';
import type { Arena } from '../core/arena.js';
import { modeOf, ruleOf, scaleUnit, type ECModel, type ECStructure, type ECLayer } from './structure.js';

/** What a chain step needs of its optimizer: memory, the state buffers and the shared regions. */
export interface ChainContext {
  model: OptimizerHost;
  algo: Rule;
  /** Allocates a block owned by the optimizer (bytes -> byte offset). */
  alloc: (bytes: number, what: string) => number;
  /** Byte offset of state buffer i at a parameter's offset (0: none). */
  statePtr: (i: number, paramPtr: number) => number;
  /** Masks and Adam's step buffer, shaped like the parameter region (steps 0 unless Adam). */
  masks: number;
  steps: number;
}

/** The EC step of one chain of weight layers. */
export class ChainStep {
  private readonly b: {
    ones: number; dummy: number; rowNorms: number;
    /** The ECLayerDesc blocks (assembly/abi.ts) of each layer's weight tensor and bias vector, written once. */
    wDesc: number[]; bDesc: number[];
    beta: number[]; phi: number[]; rb: number[]; rp: number[]; adn: number[]; aup: number[]; rowS: number[]; colS: number[];
    ibeta: number[]; iphi: number[]; irb: number[]; irp: number[];
    skU: number[]; skV: number[]; skS: number[]; skR: number[]; skW: number[]; sk1: number[]; sk2: number[];
  };
  private needSums: boolean[] = [];

  /** Allocates every buffer (before the optimizer attaches). */
  constructor(private readonly ctx: ChainContext, readonly st: ECStructure) {
    const k = ctx.model.kernels;
    const alloc = (floats: number, what: string) => ctx.alloc(Math.max(4, floats) * 4, what);
    const maxW = Math.max(...st.widths);
    const unitVec = (what: string) => st.widths.map((h) => alloc(h, what));
    const skVec = (what: string) => st.layers.map((x) => alloc(x.skeleton === 'in' ? x.O : x.I, what));
    this.b = {
      ones: alloc(maxW, 'ones'), dummy: alloc(4, 'dummy'), rowNorms: alloc(4 * maxW, 'row norms'),
      wDesc: st.layers.map(() => ctx.alloc(k.ec_layer_desc_bytes(), 'layer descriptor')),
      bDesc: st.layers.map((x) => (x.hasBias ? ctx.alloc(k.ec_layer_desc_bytes(), 'bias descriptor') : 0)),
      beta: unitVec('beta'), phi: unitVec('phi'), rb: unitVec('rb'), rp: unitVec('rp'),
      ibeta: unitVec('1/beta'), iphi: unitVec('1/phi'), irb: unitVec('1/rb'), irp: unitVec('1/rp'),
      adn: unitVec('A_dn'), aup: unitVec('A_up'), rowS: unitVec('rowS'), colS: unitVec('colS'),
      skU: skVec('u'), skV: skVec('v'), skS: skVec('step'), skR: skVec('R'), skW: skVec('saved skeleton weights'),
      sk1: skVec('saved skeleton state'), sk2: skVec('saved skeleton state'),
    };
  }

  /** Writes the masks and descriptors once the optimizer's state exists. */
  bind(): void {
    const st = this.st, k = this.ctx.model.kernels, L = st.layers.length;
    k.fill_f32(this.b.ones, Math.max(...st.widths), 1);
    const hasSkeleton = L > 1;
    // Which layers' ICR sums (row sums feed A_dn, column sums feed A_up) reach a free skeleton edge:
    // A_dn of layer l matters if a free skeleton edge lies above it, A_up of layer l if one lies at
    // or below it. Other layers skip the sums sweep (e.g. the big first layer of an MLP whose pivot
    // is layer 1).
    const free = st.layers.map((x) => x.frozen !== 'all' && hasSkeleton);
    this.needSums = st.layers.map((_, j) => {
      const l = j + 1;
      const rowsNeeded = l <= L - 1 && free.some((f, i) => f && i + 1 > l);
      const colsNeeded = l >= 2 && free.some((f, i) => f && i + 1 <= l - 1);
      return rowsNeeded || colsNeeded;
    });
    this.writeDescriptors();
    for (const x of st.layers) {
      const mptr = this.maskPtr(x.layer.paramPtr[0]);
      if (hasSkeleton) k.ec_make_mask(mptr, x.O, x.I, x.T, x.dtap, modeOf(x));
      else k.fill_f32(mptr, x.O * x.I * x.T, 1);
    }
  }

  /** 'unit-skeleton': every skeleton weight set to 1. */
  unitSkeleton(): void {
    const k = this.ctx.model.kernels;
    if (this.st.layers.length < 2) return;
    for (const x of this.st.layers) k.ec_set_skeleton(x.layer.paramPtr[0], x.O, x.I, x.T, x.dtap, modeOf(x), 1);
  }

  /**
   * Writes each layer's descriptors once (its weight tensor's and its bias vector's): the tensor,
   * gradient, mask, optimizer state, shape, skeleton mode and frozen rule, and the unit vectors
   * around it (tails l-1, heads l). The blocks they point into live as long as the optimizer.
   */
  private writeDescriptors(): void {
    const { model: m, statePtr, steps } = this.ctx;
    const k = m.kernels;
    const b = this.b;
    const sb = (p: number) => (steps ? steps + (p - m.paramBase) : 0);
    this.st.layers.forEach((x, i) => {
      const l = i + 1;
      const w = x.layer.paramPtr[0], dw = x.layer.gradPtr[0];
      k.ec_layer_desc(b.wDesc[i], w, dw, this.maskPtr(w), statePtr(0, w), statePtr(1, w), sb(w),
        x.O, x.I, x.T, x.dtap, modeOf(x), ruleOf(x), this.needSums[i] ? 1 : 0);
      k.ec_layer_units(b.wDesc[i], b.beta[l - 1], b.ibeta[l - 1], b.phi[l], b.iphi[l], b.irb[l - 1], b.irp[l],
        b.rowS[l], b.colS[l - 1], b.rowNorms);
      if (!x.hasBias) return;
      // a bias vector: one tail unit whose chain products are 1, every edge in the bulk
      const bias = x.layer.paramPtr[1], dbias = x.layer.gradPtr[1];
      k.ec_layer_desc(b.bDesc[i], bias, dbias, b.ones, statePtr(0, bias), statePtr(1, bias), sb(bias),
        x.O, 1, 1, 0, Skeleton.In, Frozen.None, 1);
      k.ec_layer_units(b.bDesc[i], b.ones, b.ones, b.phi[l], b.iphi[l], b.ones, b.irp[l], b.rowS[l], b.dummy, b.rowNorms);
    });
  }

  private maskPtr(paramPtr: number): number {
    return this.ctx.masks + (paramPtr - this.ctx.model.paramBase);
  }

  /**
   * One step on the chain: hyper is the prepared ECHyper block, norms two f64 set to 0 by the
   * caller. Returns the lr the trust region applied.
   */
  run(hyper: number, norms: number, lr: number, rho: number, floor: number): number {
    const k = this.ctx.model.kernels;
    const st = this.st;
    const b = this.b;
    const L = st.layers.length;
    const hasSkel = L > 1;
    const W = (x: ECLayer) => x.layer.paramPtr[0];

    // 1. chain products beta (down the designated in-chains) and phi (up the out-chains)
    k.copy_bytes(b.beta[0], b.ones, st.widths[0] * 4);
    for (let l = 1; l <= L - 1; l++) { const x = st.layers[l - 1]; k.ec_chain_beta(b.beta[l], b.beta[l - 1], W(x), x.O, x.I, x.T, x.dtap); }
    k.copy_bytes(b.phi[L], b.ones, st.widths[L] * 4);
    for (let l = L; l >= 2; l--) { const x = st.layers[l - 1]; k.ec_chain_phi(b.phi[l - 1], b.phi[l], W(x), x.O, x.I, x.T, x.dtap); }
    st.widths.forEach((h, l) => { k.ec_recip(b.ibeta[l], b.beta[l], h); k.ec_recip(b.iphi[l], b.phi[l], h); });

    // 2. bulk pass over non-skeleton edges + inverse chain rule for the skeleton, bottom-up
    for (let l = 1; l <= L; l++) {
      const x = st.layers[l - 1];
      k.fill_f32(b.rowS[l], x.O, 0);
      k.fill_f32(b.colS[l - 1], x.I, 0);
      const d = b.wDesc[l - 1];
      if (hasSkel) k.ec_skeleton_save_state(d, b.sk1[l - 1], b.sk2[l - 1]);
      k.ec_pass1(d, hyper, norms);
      if (x.hasBias) k.ec_pass1(b.bDesc[l - 1], hyper, norms);
      if (!hasSkel) continue;
      k.ec_skeleton_unbulk(d, b.sk1[l - 1], b.sk2[l - 1], hyper, norms);
      k.ec_skeleton_u(d, b.skU[l - 1], l >= 2 ? 1 : 0, b.adn[l - 1]);
      if (l <= L - 1) k.ec_accum_down(b.adn[l], b.rowS[l], b.adn[l - 1], x.O, x.I, l >= 2 ? 1 : 0);
    }
    if (hasSkel) {
      // 3. inverse chain rule, top-down part; skeleton path steps
      for (let l = L - 1; l >= 1; l--) {
        const y = st.layers[l];
        k.ec_accum_up(b.aup[l], b.colS[l], b.aup[l + 1], st.widths[l], y.O, l + 1 <= L - 1 ? 1 : 0);
      }
      for (let l = 1; l <= L; l++) {
        k.ec_skeleton_step(b.wDesc[l - 1], b.skU[l - 1], b.skV[l - 1], b.skS[l - 1], l <= L - 1 ? 1 : 0, b.aup[l], hyper, norms);
      }
    }
    // 4. trust region over all basis paths
    const lrk = k.ec_trust_lr(norms, lr, rho);
    // 5. ratios and ratio chains
    k.copy_bytes(b.rp[L], b.ones, st.widths[L] * 4);
    k.copy_bytes(b.rb[0], b.ones, st.widths[0] * 4);
    if (hasSkel) {
      for (let l = 1; l <= L; l++) k.ec_skeleton_ratio(b.wDesc[l - 1], b.skR[l - 1], b.skV[l - 1], b.skS[l - 1], lrk, floor);
      for (let l = L; l >= 2; l--) { const x = st.layers[l - 1]; k.ec_ratio_phi(b.rp[l - 1], b.rp[l], b.skR[l - 1], x.O, x.I, modeOf(x), ruleOf(x)); }
      for (let l = 1; l <= L - 1; l++) { const x = st.layers[l - 1]; k.ec_ratio_beta(b.rb[l], b.rb[l - 1], b.rp[l], b.skR[l - 1], x.O, x.I, modeOf(x), ruleOf(x)); }
    }
    // 6. weight allocation
    st.widths.forEach((h, l) => { k.ec_recip(b.irb[l], b.rb[l], h); k.ec_recip(b.irp[l], b.rp[l], h); });
    for (let l = 1; l <= L; l++) {
      const d = b.wDesc[l - 1];
      if (hasSkel) k.ec_skeleton_save(d, b.skW[l - 1]);
      k.ec_pass2(d, hyper, lrk);
      if (st.layers[l - 1].hasBias) k.ec_pass2(b.bDesc[l - 1], hyper, lrk);
      if (hasSkel) k.ec_skeleton_apply(d, b.skW[l - 1], b.skR[l - 1], b.rb[l - 1], b.rp[l]);
    }
    return lrk;
  }
}

/** 'preserve' (chain mode): rescales hidden units so every frozen skeleton weight has |w| = 1; the function is unchanged. */
export function preserveInit(model: ECModel & { arena: Arena }, st: ECStructure, who: string): void {
  const L = st.layers.length;
  if (L < 2) return;
  const f32 = (p: number, j: number) => model.arena.f32(p, j + 1)[j];
  const scaleBy = (k: number, unit: number, frozenW: number, inEdge: boolean, where: string) => {
    if (frozenW === 0 || !Number.isFinite(frozenW)) {
      throw new ArgumentError(`${who}: init 'preserve' cannot normalise ${where}: its frozen skeleton weight is ${frozenW}`);
    }
    const c = inEdge ? 1 / Math.abs(frozenW) : Math.abs(frozenW);
    scaleUnit(model, st, k, unit, c);
  };
  const inEdgeW = (x: ECLayer, b: number) => f32(x.layer.paramPtr[0], (b * x.I + (b % x.I)) * x.T + x.dtap);
  const outEdgeW = (y: ECLayer, a: number) => f32(y.layer.paramPtr[0], ((a % y.O) * y.I + a) * y.T + y.dtap);
  if (st.gauge === 'general') {
    for (let l = 1; l <= L - 1; l++) {
      const x = st.layers[l - 1];
      for (let b = 0; b < x.O; b++) scaleBy(l - 1, b, inEdgeW(x, b), true, `unit ${b} of ${x.layer.label}`);
    }
    return;
  }
  const s = st.pivotLayer;
  for (let l = 1; l < s; l++) {
    const x = st.layers[l - 1];
    for (let b = 0; b < x.O; b++) scaleBy(l - 1, b, inEdgeW(x, b), true, `unit ${b} of ${x.layer.label}`);
  }
  for (let l = L - 1; l >= s; l--) {
    const x = st.layers[l - 1];
    const y = st.layers[l];
    for (let a = 0; a < x.O; a++) scaleBy(l - 1, a, outEdgeW(y, a), false, `unit ${a} of ${x.layer.label}`);
  }
}
