// The EC optimizers (EC-SGD, EC-Momentum, EC-Adam): the O(m) step in basis-path space of the chain
// that structure.ts describes (path values, inverse chain rule, path-space step, trust region and
// skeleton floor, weight allocation) on the kernels of assembly/ec.ts. Formulas:
// shared/docs/ec-opt-spec.md. Paper: Meng et al., arXiv 1802.03713 (G-SGD, ICLR 2019).
import { sizeOf } from '../layers/layer.js';
import { Optimizer, type CommonOptions } from '../optim/optimizer.js';
import type { OptimizerHost } from '../optim/host.js';
import { ArgumentError, checkNumber, checkOptions } from '../core/errors.js';
import { Skeleton, Frozen, Rule, ECHyper } from '../core/abi.gen.js';
import { ecStructure, graphStructure, isGraphModel, modeOf, ruleOf, type ECStructure, type ECLayer } from './structure.js';
import { GraphStep, type BNScaling } from './graph-step.js';
import { preserveInit } from './preserve.js';

/** Options of `new ECSGD(model, options)` and `new ECMomentum(model, options)`. */
export interface ECOptions extends CommonOptions {
  /** Learning rate in path space (> 0). */
  lr: number;
  /** Heavy-ball momentum per basis path (default 0 for ECSGD, 0.9 for ECMomentum). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** L2 decay on the non-skeleton path values (spec section 7). */
  weightDecay?: number;
  /**
   * 'unit-skeleton' (default, as the authors): every skeleton weight is set to 1 when the optimizer
   * is created (changes the function). 'preserve': hidden units are rescaled so every frozen
   * skeleton weight has |w| = 1 (function unchanged; needs a smaller lr and the trust region).
   */
  init?: 'unit-skeleton' | 'preserve';
  /** Norm trust region: true (default, rho = 0.1), a number rho > 0, or false. */
  trustRegion?: boolean | number;
  /** Floor of the skeleton-path ratio R (default 0.1); false or 0 disables it. */
  skeletonFloor?: number | false;
  /**
   * 'graph': the exact whole-graph step (shared/docs/ec-opt-graphs.md), the default for a model with
   * an Add, Concat or BatchNorm. A model without them takes today's chain step unless 'graph' is
   * asked for (same function class, another gauge: different weights).
   */
  mode?: 'graph';
  /**
   * Whole-graph mode with BatchNorm: 'normalized' (default) scales the step of every basis path
   * that ends in a BatchNorm input by the squared norm of that class's incoming path values, which
   * makes the step equivariant under BatchNorm's own rescalings; 'none' takes the plain step there.
   */
  bnScaling?: BNScaling;
}

/** Options of `new ECAdam(model, options)`: Adam's moments kept per basis path. */
export interface ECAdamOptions extends Omit<ECOptions, 'lr' | 'momentum' | 'nesterov'> {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moments (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the root of the second moment (default 1e-8). */
  eps?: number;
}

/** Shared machinery of the EC optimizers: buffers, the O(m) step, weight allocation. */
abstract class ECOptimizer extends Optimizer {
  readonly structure: ECStructure;
  readonly rho: number;
  readonly skeletonFloor: number;
  readonly initMode: 'unit-skeleton' | 'preserve';
  weightDecay: number;
  protected abstract readonly algo: Rule;
  /** 'chain' (today's step) or 'graph' (the whole-graph step). */
  readonly mode: 'chain' | 'graph';
  readonly bnScaling: BNScaling;
  private graphStep: GraphStep | null = null;
  private bufs!: {
    ones: number; hyper: number; norms: number; dummy: number; masks: number; steps: number; rowNorms: number;
    /** The ECLayerDesc blocks (assembly/abi.ts) of each layer's weight tensor and bias vector, written once. */
    wDesc: number[]; bDesc: number[];
    beta: number[]; phi: number[]; rb: number[]; rp: number[]; adn: number[]; aup: number[]; rowS: number[]; colS: number[];
    ibeta: number[]; iphi: number[]; irb: number[]; irp: number[];
    skU: number[]; skV: number[]; skS: number[]; skR: number[]; skW: number[]; sk1: number[]; sk2: number[];
  };
  private needSums: boolean[] = [];

  constructor(model: OptimizerHost, options: ECOptions | ECAdamOptions, lrDefault?: number) {
    options = checkOptions(options, new.target.name);
    super(model, options.lr ?? lrDefault);
    const name = new.target.name;
    const mode = options.mode ?? (isGraphModel(model) ? 'graph' : undefined);
    if (mode !== undefined && mode !== 'graph') throw new ArgumentError(`${name}: mode must be 'graph', got ${String(mode)}`);
    this.mode = mode === 'graph' ? 'graph' : 'chain';
    this.structure = this.mode === 'graph' ? graphStructure(model, name) : ecStructure(model, name);
    if (this.structure.refused.length) {
      throw new ArgumentError(`${name}: whole-graph EC cannot run on this model: ${this.structure.refused.join('; ')}`);
    }
    const bn = options.bnScaling ?? 'normalized';
    if (bn !== 'normalized' && bn !== 'none') throw new ArgumentError(`${name}: bnScaling must be 'normalized' or 'none', got ${String(bn)}`);
    this.bnScaling = bn;
    const tr = options.trustRegion ?? true;
    if (tr === false) this.rho = 0;
    else if (tr === true) this.rho = 0.1;
    else this.rho = checkNumber(tr, `${name}: trustRegion`, 0, Infinity, true);
    const fl = options.skeletonFloor ?? 0.1;
    this.skeletonFloor = fl === false ? 0 : checkNumber(fl, `${name}: skeletonFloor`, 0, 1, false, true);
    this.weightDecay = checkNumber(options.weightDecay ?? 0, `${name}: weightDecay`, 0, Infinity);
    const init = options.init ?? 'unit-skeleton';
    if (init !== 'unit-skeleton' && init !== 'preserve') throw new ArgumentError(`${name}: init must be 'unit-skeleton' or 'preserve', got ${String(init)}`);
    if (init === 'preserve' && this.mode === 'graph') throw new ArgumentError(`${name}: init 'preserve' is not available in mode 'graph' yet; use 'unit-skeleton'`);
    this.initMode = init;
    this.takeCommonOptions(options, name, false);
  }

  /**
   * Called by subclasses after validating their options: allocates every workspace, attaches (state
   * and the model's step backup), and only then changes weights (the 'preserve' or unit-skeleton
   * init), so a failure at any point frees everything and leaves the weights as they were.
   */
  protected setup(stateCount: number): void {
    try {
      this.allocateAndInit(stateCount);
    } catch (e) {
      this.releaseBlocks();
      throw e;
    }
  }

  private allocateAndInit(stateCount: number): void {
    if (this.mode === 'graph') {
      const gs = new GraphStep(this.model, this.structure.graph!, this.bnScaling, this.algo === Rule.Adam, (bytes, what) => this.allocBlock(bytes, what));
      this.bufs = { hyper: this.allocBlock(ECHyper.Count * 8, 'hyper'), norms: this.allocBlock(16, 'norms') } as typeof this.bufs;
      this.attach(stateCount);
      gs.bind(this.state[0] ?? 0, this.state[1] ?? 0);
      if (this.initMode === 'unit-skeleton') gs.unitSkeleton();
      this.graphStep = gs;
      return;
    }
    const st = this.structure;
    const k = this.model.kernels;
    const alloc = (floats: number, what: string) => this.allocBlock(Math.max(4, floats) * 4, what);
    const L = st.layers.length;
    const maxW = Math.max(...st.widths);
    const ones = alloc(maxW, 'ones');
    const unitVec = (what: string) => st.widths.map((h) => alloc(h, what));
    const skVec = (what: string) => st.layers.map((x) => alloc(x.skeleton === 'in' ? x.O : x.I, what));
    const masks = this.allocBlock(this.model.paramRegionFloats * 4, 'masks');
    // Adam keeps each step between the two passes instead of recomputing its sqrt and division
    const steps = this.algo === Rule.Adam ? this.allocBlock(this.model.paramRegionFloats * 4, 'steps') : 0;
    this.bufs = {
      ones, hyper: alloc(ECHyper.Count * 2, 'hyper'), norms: alloc(4, 'norms'), dummy: alloc(4, 'dummy'), masks, steps,
      rowNorms: alloc(4 * maxW, 'row norms'),
      wDesc: st.layers.map(() => this.allocBlock(k.ec_layer_desc_bytes(), 'layer descriptor')),
      bDesc: st.layers.map((x) => (x.hasBias ? this.allocBlock(k.ec_layer_desc_bytes(), 'bias descriptor') : 0)),
      beta: unitVec('beta'), phi: unitVec('phi'), rb: unitVec('rb'), rp: unitVec('rp'),
      ibeta: unitVec('1/beta'), iphi: unitVec('1/phi'), irb: unitVec('1/rb'), irp: unitVec('1/rp'),
      adn: unitVec('A_dn'), aup: unitVec('A_up'), rowS: unitVec('rowS'), colS: unitVec('colS'),
      skU: skVec('u'), skV: skVec('v'), skS: skVec('step'), skR: skVec('R'), skW: skVec('saved skeleton weights'),
      sk1: skVec('saved skeleton state'), sk2: skVec('saved skeleton state'),
    };
    this.attach(stateCount, () => {
      if (this.initMode !== 'preserve') return;
      const before = this.model.getWeights();
      try {
        preserveInit(this.model, this.structure, this.kind);
      } catch (e) {
        this.model.setWeights(before);
        throw e;
      }
    });
    k.fill_f32(ones, maxW, 1);
    const hasSkeleton = L > 1;
    // Which layers' ICR sums (row sums feed A_dn, column sums feed A_up) reach a free skeleton edge:
    // A_dn of layer l matters if a free skeleton edge lies above it, A_up of layer l if one lies at
    // or below it. Other layers skip the sums sweep (e.g. the big first layer of an MLP whose pivot
    // is layer 1).
    const free = st.layers.map((x) => x.frozen !== 'all' && hasSkeleton);
    this.needSums = st.layers.map((_, k) => {
      const l = k + 1;
      const rowsNeeded = l <= L - 1 && free.some((f, j) => f && j + 1 > l);
      const colsNeeded = l >= 2 && free.some((f, j) => f && j + 1 <= l - 1);
      return rowsNeeded || colsNeeded;
    });
    this.writeDescriptors();
    for (const x of st.layers) {
      const mptr = this.maskPtr(x.layer.paramPtr[0]);
      if (hasSkeleton) k.ec_make_mask(mptr, x.O, x.I, x.T, x.dtap, modeOf(x));
      else k.fill_f32(mptr, x.O * x.I * x.T, 1);
    }
    if (this.initMode === 'unit-skeleton' && hasSkeleton) {
      for (const x of st.layers) k.ec_set_skeleton(x.layer.paramPtr[0], x.O, x.I, x.T, x.dtap, modeOf(x), 1);
    }
  }

  /**
   * Writes each layer's descriptors once (its weight tensor's and its bias vector's): the tensor,
   * gradient, mask, optimizer state, shape, skeleton mode and frozen rule, and the unit vectors
   * around it (tails l-1, heads l). The blocks they point into live as long as the optimizer.
   */
  private writeDescriptors(): void {
    const m = this.model;
    const k = m.kernels;
    const st = this.structure;
    const b = this.bufs;
    const sb = (p: number) => (b.steps ? b.steps + (p - m.paramBase) : 0);
    st.layers.forEach((x, i) => {
      const l = i + 1;
      const w = x.layer.paramPtr[0], dw = x.layer.gradPtr[0];
      k.ec_layer_desc(b.wDesc[i], w, dw, this.maskPtr(w), this.statePtr(0, w), this.statePtr(1, w), sb(w),
        x.O, x.I, x.T, x.dtap, modeOf(x), ruleOf(x), this.needSums[i] ? 1 : 0);
      k.ec_layer_units(b.wDesc[i], b.beta[l - 1], b.ibeta[l - 1], b.phi[l], b.iphi[l], b.irb[l - 1], b.irp[l],
        b.rowS[l], b.colS[l - 1], b.rowNorms);
      if (!x.hasBias) return;
      // a bias vector: one tail unit whose chain products are 1, every edge in the bulk
      const bias = x.layer.paramPtr[1], dbias = x.layer.gradPtr[1];
      k.ec_layer_desc(b.bDesc[i], bias, dbias, b.ones, this.statePtr(0, bias), this.statePtr(1, bias), sb(bias),
        x.O, 1, 1, 0, Skeleton.In, Frozen.None, 1);
      k.ec_layer_units(b.bDesc[i], b.ones, b.ones, b.phi[l], b.iphi[l], b.ones, b.irp[l], b.rowS[l], b.dummy, b.rowNorms);
    });
  }

  private maskPtr(paramPtr: number): number {
    return this.bufs.masks + (paramPtr - this.model.paramBase);
  }

  protected statePtr(i: number, paramPtr: number): number {
    const s = this.state[i];
    return s === undefined ? 0 : s + (paramPtr - this.model.paramBase);
  }

  protected abstract writeHyper(h: Float64Array): void;

  protected update(): void {
    const m = this.model;
    const k = m.kernels;
    const st = this.structure;
    const b = this.bufs;
    const L = st.layers.length;
    const hasSkel = L > 1;
    const h = m.arena.f64(b.hyper, ECHyper.Count);
    h.fill(0);
    h[ECHyper.Kind] = this.algo;
    h[ECHyper.WD] = this.weightDecay;
    this.writeHyper(h);
    k.ec_hyper_prepare(b.hyper, this.t + 1);
    const norms = m.arena.f64(b.norms, 2);
    norms[0] = 0; norms[1] = 0;
    if (this.graphStep) {
      const gs = this.graphStep;
      gs.pathValues();
      gs.pathStep(b.hyper, b.norms);
      const lrg = k.ec_trust_lr(b.norms, this.lr, this.rho);
      this.lastStepScale = this.lr > 0 ? lrg / this.lr : 1;
      gs.allocate(b.hyper, lrg, this.skeletonFloor);
      this.plainParams();
      return;
    }
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
      k.ec_pass1(d, b.hyper, b.norms);
      if (x.hasBias) k.ec_pass1(b.bDesc[l - 1], b.hyper, b.norms);
      if (!hasSkel) continue;
      k.ec_skeleton_unbulk(d, b.sk1[l - 1], b.sk2[l - 1], b.hyper, b.norms);
      k.ec_skeleton_u(d, b.skU[l - 1], l >= 2 ? 1 : 0, b.adn[l - 1]);
      if (l <= L - 1) k.ec_accum_down(b.adn[l], b.rowS[l], b.adn[l - 1], x.O, x.I, l >= 2 ? 1 : 0);
    }
    let lrk = this.lr;
    if (hasSkel) {
      // 3. inverse chain rule, top-down part; skeleton path steps
      for (let l = L - 1; l >= 1; l--) {
        const y = st.layers[l];
        k.ec_accum_up(b.aup[l], b.colS[l], b.aup[l + 1], st.widths[l], y.O, l + 1 <= L - 1 ? 1 : 0);
      }
      for (let l = 1; l <= L; l++) {
        k.ec_skeleton_step(b.wDesc[l - 1], b.skU[l - 1], b.skV[l - 1], b.skS[l - 1], l <= L - 1 ? 1 : 0, b.aup[l], b.hyper, b.norms);
      }
    }
    // 4. trust region over all basis paths
    lrk = k.ec_trust_lr(b.norms, this.lr, this.rho);
    this.lastStepScale = this.lr > 0 ? lrk / this.lr : 1; // lr 0 is legal between steps: nothing was scaled
    // 5. ratios and ratio chains
    k.copy_bytes(b.rp[L], b.ones, st.widths[L] * 4);
    k.copy_bytes(b.rb[0], b.ones, st.widths[0] * 4);
    if (hasSkel) {
      for (let l = 1; l <= L; l++) k.ec_skeleton_ratio(b.wDesc[l - 1], b.skR[l - 1], b.skV[l - 1], b.skS[l - 1], lrk, this.skeletonFloor);
      for (let l = L; l >= 2; l--) { const x = st.layers[l - 1]; k.ec_ratio_phi(b.rp[l - 1], b.rp[l], b.skR[l - 1], x.O, x.I, modeOf(x), ruleOf(x)); }
      for (let l = 1; l <= L - 1; l++) { const x = st.layers[l - 1]; k.ec_ratio_beta(b.rb[l], b.rb[l - 1], b.rp[l], b.skR[l - 1], x.O, x.I, modeOf(x), ruleOf(x)); }
    }
    // 6. weight allocation
    st.widths.forEach((h, l) => { k.ec_recip(b.irb[l], b.rb[l], h); k.ec_recip(b.irp[l], b.rp[l], h); });
    for (let l = 1; l <= L; l++) {
      const d = b.wDesc[l - 1];
      if (hasSkel) k.ec_skeleton_save(d, b.skW[l - 1]);
      k.ec_pass2(d, b.hyper, lrk);
      if (st.layers[l - 1].hasBias) k.ec_pass2(b.bDesc[l - 1], b.hyper, lrk);
      if (hasSkel) k.ec_skeleton_apply(d, b.skW[l - 1], b.skR[l - 1], b.rb[l - 1], b.rp[l]);
    }
    // 7. parameters outside the EC chain (PReLU slopes): the plain rule of the same optimizer
    this.plainParams();
  }

  private plainParams(): void {
    for (const li of this.structure.plainParamLayers) {
      const layer = this.model.layers[li];
      layer.params.forEach((p, j) => this.plainUpdate(layer.paramPtr[j], layer.gradPtr[j], sizeOf(p.shape)));
    }
  }

  /** The whole-graph step's stages (tests; null in chain mode). @internal */
  get stages(): GraphStep | null { return this.graphStep; }

  /** Options of the EC step (mode, bnScaling) as plain data for options(). */
  protected ecOptions(): Record<string, unknown> {
    return this.mode === 'graph' ? { mode: 'graph', bnScaling: this.bnScaling } : {};
  }

  /** lr multiplier applied by the trust region in the last step (1 = untouched). */
  lastStepScale = 1;

  protected abstract plainUpdate(w: number, g: number, n: number): void;

}

/**
 * EC-SGD (G-SGD): SGD on the m - H basis-path values, with optional heavy-ball momentum per path,
 * then weight allocation back to the weights. Rescaling-equivariant.
 */
export class ECSGD extends ECOptimizer {
  readonly kind: string = 'ECSGD';
  protected readonly algo: Rule;
  momentum: number;
  nesterov: boolean;
  constructor(model: OptimizerHost, options: ECOptions, defaultMomentum = 0) {
    super(model, options);
    options = options as ECOptions;
    const name = new.target.name;
    this.momentum = checkNumber(options.momentum ?? defaultMomentum, `${name}: momentum`, 0, 1, false, true);
    this.nesterov = !!options.nesterov;
    this.algo = this.momentum > 0 || this.nesterov ? Rule.Momentum : Rule.SGD;
    this.setup(this.algo === Rule.Momentum ? 1 : 0);
  }
  protected writeHyper(h: Float64Array): void {
    h[ECHyper.Mu] = this.momentum;
    h[ECHyper.Nesterov] = this.nesterov ? 1 : 0;
  }
  protected plainUpdate(w: number, g: number, n: number): void {
    const k = this.model.kernels;
    if (this.algo === Rule.SGD) k.sgd_update(w, g, n, this.lr, this.weightDecay);
    else k.momentum_update(w, this.statePtr(0, w), g, n, this.lr, this.momentum, this.weightDecay, this.nesterov ? 1 : 0);
  }
  options(): Record<string, unknown> {
    return { lr: this.lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay, init: this.initMode, trustRegion: this.rho || false, skeletonFloor: this.skeletonFloor || false, ...this.ecOptions(), ...this.commonOptions() };
  }
}

/** EC-SGD with heavy-ball momentum per basis path (momentum defaults to 0.9). */
export class ECMomentum extends ECSGD {
  override readonly kind: string = 'ECMomentum';
  constructor(model: OptimizerHost, options: ECOptions) {
    super(model, options, 0.9);
  }
}

/** EC-Adam: Adam moments per basis path on dF/dv (bias-corrected), then weight allocation. */
export class ECAdam extends ECOptimizer {
  readonly kind = 'ECAdam';
  protected readonly algo = Rule.Adam;
  beta1: number;
  beta2: number;
  eps: number;
  constructor(model: OptimizerHost, options: ECAdamOptions = {}) {
    options = checkOptions(options, 'ECAdam');
    super(model, options, 0.001);
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new ArgumentError(`ECAdam: betas must be a pair [beta1, beta2], got ${String(betas)}`);
    this.beta1 = checkNumber(betas[0], 'ECAdam: betas[0]', 0, 1, false, true);
    this.beta2 = checkNumber(betas[1], 'ECAdam: betas[1]', 0, 1, false, true);
    this.eps = checkNumber(options.eps ?? 1e-8, 'ECAdam: eps', 0, Infinity, true);
    this.setup(2);
  }
  protected writeHyper(h: Float64Array): void {
    h[ECHyper.B1] = this.beta1;
    h[ECHyper.B2] = this.beta2;
    h[ECHyper.Eps] = this.eps;
  }
  protected plainUpdate(w: number, g: number, n: number): void {
    this.model.kernels.adam_update(w, this.statePtr(0, w), this.statePtr(1, w), g, n, this.lr, this.beta1, this.beta2, this.eps, this.weightDecay, 0, this.t + 1);
  }
  options(): Record<string, unknown> {
    return { lr: this.lr, betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay, init: this.initMode, trustRegion: this.rho || false, skeletonFloor: this.skeletonFloor || false, ...this.ecOptions(), ...this.commonOptions() };
  }
}

