// The EC optimizers (EC-SGD, EC-Momentum, EC-Adam): the O(m) step in basis-path space of the chain
// that structure.ts describes (path values, inverse chain rule, path-space step, trust region and
// skeleton floor, weight allocation) on the kernels of assembly/ec.ts. Formulas:
// shared/docs/ec-opt-spec.md. Paper: Meng et al., arXiv 1802.03713 (G-SGD, ICLR 2019).
import { sizeOf } from '../layers/layer.js';
import { Optimizer, type CommonOptions } from '../optim/optimizer.js';
import type { OptimizerHost } from '../optim/host.js';
import { ArgumentError, checkNumber, checkOptions } from '../core/errors.js';
import { Rule, ECHyper } from '../core/abi.gen.js';
import { ecStructure, graphStructure, isGraphModel, type ECStructure } from './structure.js';
import type { Layer } from '../layers/layer.js';
import { GraphStep, type BNScaling } from './graph-step.js';
import { ChainStep, preserveInit, type ChainContext } from './chain-step.js';
import { blockPlan, type BlockPlan, type BNRule } from './blocks.js';

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
  mode?: 'graph' | 'blocks';
  /**
   * Mode 'blocks' (the authors' per-block scheme): the chain step inside each block, the plain rule
   * of the same optimizer for everything else. Each block lists the Dense/Conv2D layers of one chain
   * (layers or layer indices). Default: one per residual branch of every Add ([conv1, conv2] of a
   * BasicBlock), or one per stage of a network without shortcuts; with bnRule 'none' the maximal
   * chains without BatchNorm.
   */
  blocks?: (Layer | number)[][];
  /**
   * Mode 'blocks': 'paper' (default) lets a block run through a BatchNorm and applies the authors'
   * heuristic (path gradients through a normalised unit times the norm of its incoming row); 'none'
   * keeps BatchNorm out of blocks.
   */
  bnRule?: BNRule;
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
  /** 'chain' (today's step), 'graph' (the whole-graph step) or 'blocks' (the chain step per block). */
  readonly mode: 'chain' | 'graph' | 'blocks';
  readonly bnRule: BNRule;
  readonly bnScaling: BNScaling;
  private graphStep: GraphStep | null = null;
  private bufs!: { hyper: number; norms: number };
  private chains: ChainStep[] = [];
  /** Mode 'blocks': the blocks' chain structures, the plain-rule tensors and the BN rule. */
  private blockPlan: BlockPlan | null = null;

  constructor(model: OptimizerHost, options: ECOptions | ECAdamOptions, lrDefault?: number) {
    options = checkOptions(options, new.target.name);
    super(model, options.lr ?? lrDefault);
    const name = new.target.name;
    const mode = options.mode ?? (isGraphModel(model) ? 'graph' : undefined);
    if (mode !== undefined && mode !== 'graph' && mode !== 'blocks') throw new ArgumentError(`${name}: mode must be 'graph' or 'blocks', got ${String(mode)}`);
    this.mode = mode ?? 'chain';
    const rule = options.bnRule ?? 'paper';
    if (rule !== 'paper' && rule !== 'none') throw new ArgumentError(`${name}: bnRule must be 'paper' or 'none', got ${String(rule)}`);
    this.bnRule = rule;
    if (this.mode === 'blocks') {
      this.blockPlan = blockPlan(model, options.blocks, rule, name);
      this.structure = { ...ecStructure(model, name), blocks: this.blockPlan.blocks };
    } else {
      if (options.blocks !== undefined) throw new ArgumentError(`${name}: blocks are an option of mode 'blocks'`);
      this.structure = this.mode === 'graph' ? graphStructure(model, name) : ecStructure(model, name);
    }
    if (this.mode === 'graph' && this.structure.refused.length) {
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
      this.bufs = { hyper: this.allocBlock(ECHyper.Count * 8, 'hyper'), norms: this.allocBlock(16, 'norms') };
      this.attach(stateCount, () => {
        if (this.initMode !== 'preserve') return;
        const before = this.model.getWeights();
        try {
          gs.preserve(this.kind);
        } catch (e) {
          this.model.setWeights(before);
          throw new ArgumentError((e as Error).message);
        }
      });
      gs.bind(this.state[0] ?? 0, this.state[1] ?? 0);
      if (this.initMode === 'unit-skeleton') gs.unitSkeleton();
      this.graphStep = gs;
      return;
    }
    const m = this.model;
    const masks = this.allocBlock(m.paramRegionFloats * 4, 'masks');
    // Adam keeps each step between the two passes instead of recomputing its sqrt and division
    const steps = this.algo === Rule.Adam ? this.allocBlock(m.paramRegionFloats * 4, 'steps') : 0;
    const ctx: ChainContext = {
      model: m, algo: this.algo, alloc: (bytes, what) => this.allocBlock(bytes, what),
      statePtr: (i, ptr) => this.statePtr(i, ptr), masks, steps,
    };
    this.chains = this.chainStructures().map((st) => new ChainStep(ctx, st));
    this.blockPlan?.allocate((bytes, what) => this.allocBlock(bytes, what));
    this.bufs = { hyper: this.allocBlock(ECHyper.Count * 8, 'hyper'), norms: this.allocBlock(16, 'norms') };
    this.attach(stateCount, () => {
      if (this.initMode !== 'preserve') return;
      const before = this.model.getWeights();
      try {
        for (const c of this.chains) preserveInit(this.model, c.st, this.kind);
      } catch (e) {
        this.model.setWeights(before);
        throw e;
      }
    });
    for (const c of this.chains) c.bind();
    if (this.initMode === 'unit-skeleton') for (const c of this.chains) c.unitSkeleton();
  }

  /** The chains the chain step runs on: the model (mode 'chain') or each block (mode 'blocks'). */
  protected chainStructures(): ECStructure[] {
    return this.blockPlan ? this.blockPlan.chains : [this.structure];
  }

  protected statePtr(i: number, paramPtr: number): number {
    const s = this.state[i];
    return s === undefined ? 0 : s + (paramPtr - this.model.paramBase);
  }

  protected abstract writeHyper(h: Float64Array): void;

  protected update(): void {
    const m = this.model;
    const k = m.kernels;
    const b = this.bufs;
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
    if (this.blockPlan) {
      // mode 'blocks': the chain step in each block (its own trust region), the plain rule elsewhere
      let scale = 1;
      this.blockPlan.scaleGradients(k);
      for (const c of this.chains) {
        norms[0] = 0; norms[1] = 0;
        const lrk = c.run(b.hyper, b.norms, this.lr, this.rho, this.skeletonFloor);
        if (this.lr > 0) scale = Math.min(scale, lrk / this.lr);
      }
      this.blockPlan.restoreGradients(k);
      this.lastStepScale = scale;
      for (const [w, g, n] of this.blockPlan.plain) this.plainUpdate(w, g, n);
      return;
    }
    const lrk = this.chains[0].run(b.hyper, b.norms, this.lr, this.rho, this.skeletonFloor);
    this.lastStepScale = this.lr > 0 ? lrk / this.lr : 1; // lr 0 is legal between steps: nothing was scaled
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
    if (this.mode === 'blocks') return { mode: 'blocks', blocks: this.blockPlan!.blocks.map((b) => b.slice()), bnRule: this.bnRule };
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

