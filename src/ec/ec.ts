// EC-Opt: the equivalent-class (basis-path) structure of a ReLU-family Sequential network and the
// optimizers that work in that space (EC-SGD, EC-Momentum, EC-Adam), plus Path-SGD as a peer.
// Paper: Meng et al., "Optimizing Neural Networks in the Equivalent Class Space", arXiv 1802.03713
// (G-SGD, ICLR 2019). Formulas: shared/docs/ec-opt-spec.md; kernels: assembly/ec.ts.
//
// Units: a weight layer (Dense, Conv2D) maps I tail units to O head units with T parallel taps per
// edge: Dense after Dense has T = 1; Conv2D has T = kh*kw (units are channels); a Dense after
// Flatten of a (C, H, W) map has C tail units with H*W taps. The network's first layer reads the
// raw input: a Dense there has one input unit per feature, a Conv2D one per channel.
// Gauge (the H weights that never change): for unimodal hidden widths the paper's (every skeleton
// weight outside the pivot matrix W^s); otherwise the general one (the designated in-edge of every
// hidden unit). Both give the same basis paths for unimodal widths.
import type { Model as Sequential } from '../graph/model.js'; // renamed after the ABI branch merges
import type { Layer } from '../layers/layer.js';
import { sizeOf } from '../layers/layer.js';
import { Optimizer, type CommonOptions } from '../optim/optimizer.js';
import { ArgumentError, checkNumber, checkOptions } from '../core/errors.js';
import { Skeleton, Frozen, Rule, ECHyper } from '../core/abi.gen.js';

/** One weight layer of the EC chain (1-based position l in the spec's numbering). */
export interface ECLayer {
  /** Index of the Dense/Conv2D layer in model.layers. */
  layerIndex: number;
  layer: Layer;
  /** Head units (h_l), tail units (h_{l-1}), taps per edge, designated tap. */
  O: number;
  I: number;
  T: number;
  dtap: number;
  /** Skeleton edges are the designated in-edges ('in') or out-edges ('out') of this layer. */
  skeleton: 'in' | 'out';
  /** Which skeleton edges are frozen: 'none', 'all', or 'designated-in' (those that are a head's designated in-edge). */
  frozen: 'none' | 'all' | 'designated-in';
  hasBias: boolean;
}

/**
 * The equivalent-class (basis-path) structure of a ReLU-family network (`model.ecStructure()`,
 * `ecStructure(model)`): m weights, H hidden units, the m - H basis paths, the pivot layer and the
 * skeleton the EC optimizers use.
 */
export interface ECStructure {
  /** m: number of edges (weights and biases of the Dense/Conv2D layers). */
  weights: number;
  /** H: number of hidden units (neurons, channels). */
  hiddenUnits: number;
  /** m - H: dimension of the equivalent-class space (number of basis paths). */
  dimension: number;
  /** s in the spec's numbering (hidden layers 1..L-1): the widest hidden layer, first on ties; 0 when there is none. */
  pivotLayer: number;
  /** Index in model.layers of the pivot weight layer W^s (-1 when there is none). */
  pivotLayerIndex: number;
  /** Unit widths h_0 (inputs) .. h_L (outputs). */
  widths: number[];
  /** Hidden widths rise to the pivot and then fall (the paper's scheme applies). */
  unimodal: boolean;
  gauge: 'paper' | 'general';
  /** Number of skeleton weights (set to 1 by the 'unit-skeleton' init). */
  skeletonWeights: number;
  layers: ECLayer[];
  /** Indices of layers whose parameters are not path weights (PReLU slopes): updated by the plain rule. */
  plainParamLayers: number[];
}

const WEIGHT_KINDS = new Set(['Dense', 'Conv2D']);

interface WeightLike extends Layer {
  inFeatures?: number; outFeatures?: number; inChannels?: number; outChannels?: number;
  kernelH?: number; kernelW?: number; bias: boolean;
}

/** Analyses a Sequential network; throws (naming the layer) when it is not a ReLU-family network. */
export function ecStructure(model: Sequential, who = 'ecStructure'): ECStructure {
  const layers: ECLayer[] = [];
  const plain: number[] = [];
  let units = 0;
  let first = true;
  for (const l of model.layers) {
    if (l.ecRole === 'join') {
      throw new ArgumentError(`${who}: ${l.label} joins branches of the graph; EC optimizers work on chains for now (EC-Opt on residual ` +
        'graphs comes in a later release): train this model with SGD, Momentum or Adam');
    }
    if (l.homogeneous === false) {
      throw new ArgumentError(`${who}: ${l.label} is not positively homogeneous, so the network has no rescaling symmetry to ` +
        'optimise in; EC optimizers need a ReLU-family network (Dense, Conv2D, ReLU, LeakyReLU, PReLU, pools, Flatten)');
    }
    if (WEIGHT_KINDS.has(l.kind)) {
      const w = l as WeightLike;
      let O: number, I: number, T: number, dtap: number;
      if (l.kind === 'Conv2D') {
        O = w.outChannels!; I = w.inChannels!; T = w.kernelH! * w.kernelW!;
        dtap = (w.kernelH! >> 1) * w.kernelW! + (w.kernelW! >> 1);
      } else {
        O = w.outFeatures!;
        const inF = w.inFeatures!;
        if (first || inF % units !== 0) { I = inF; T = 1; } else { I = units; T = inF / units; }
        dtap = 0;
      }
      layers.push({ layerIndex: l.index, layer: l, O, I, T, dtap, skeleton: 'in', frozen: 'none', hasBias: w.bias });
      units = O;
      first = false;
    } else if (l.params.length > 0) {
      if (l.kind !== 'PReLU') throw new ArgumentError(`${who}: ${l.label} has parameters but is not part of the EC chain`);
      plain.push(l.index);
    }
    // parameter-free layers (activations, pools, Flatten) keep the unit (neuron or channel) identity
  }
  if (layers.length === 0) throw new ArgumentError(`${who}: the network has no Dense or Conv2D layer`);
  const L = layers.length;
  const widths = [layers[0].I, ...layers.map((x) => x.O)];
  let s = 0;
  for (let l = 1; l <= L - 1; l++) if (s === 0 || widths[l] > widths[s]) s = l;
  let unimodal = true;
  for (let l = 2; l <= L - 1; l++) {
    if (l <= s && widths[l] < widths[l - 1]) unimodal = false;
    if (l > s && widths[l] > widths[l - 1]) unimodal = false;
  }
  const gauge: 'paper' | 'general' = unimodal ? 'paper' : 'general';
  let skel = 0;
  layers.forEach((x, k) => {
    const l = k + 1;
    x.skeleton = l === 1 ? 'in' : l === L ? 'out' : widths[l - 1] <= widths[l] ? 'in' : 'out';
    if (L === 1) { x.frozen = 'none'; return; }
    skel += x.skeleton === 'in' ? x.O : x.I;
    if (gauge === 'paper') x.frozen = l === s ? 'none' : 'all';
    else x.frozen = l === L ? 'none' : 'designated-in';
  });
  const m = layers.reduce((a, x) => a + x.O * x.I * x.T + (x.hasBias ? x.O : 0), 0);
  const H = widths.slice(1, L).reduce((a, b) => a + b, 0);
  return {
    weights: m, hiddenUnits: H, dimension: m - H, pivotLayer: s,
    pivotLayerIndex: s > 0 ? layers[s - 1].layerIndex : -1,
    widths, unimodal, gauge, skeletonWeights: skel, layers, plainParamLayers: plain,
  };
}

const modeOf = (x: ECLayer): Skeleton => (x.skeleton === 'in' ? Skeleton.In : Skeleton.Out);
const ruleOf = (x: ECLayer): Frozen => (x.frozen === 'none' ? Frozen.None : x.frozen === 'all' ? Frozen.All : Frozen.DesignatedIn);

/**
 * Applies the rescaling symmetry to one hidden unit: incoming weights (and bias) times c, outgoing
 * weights divided by c. `layerIndex` is the index in model.layers of the Dense/Conv2D layer that
 * produces the unit (or of a later activation/pool layer of the same units).
 */
export function rescaleHiddenUnit(model: Sequential, layerIndex: number, unit: number, c: number): void {
  const st = ecStructure(model, 'rescaleHiddenUnit');
  if (!Number.isInteger(layerIndex) || layerIndex < 0 || layerIndex >= model.layers.length) {
    throw new ArgumentError(`rescaleHiddenUnit: layerIndex must be an integer in [0, ${model.layers.length - 1}], got ${String(layerIndex)}`);
  }
  checkNumber(c, 'rescaleHiddenUnit: c', 0, Infinity, true);
  const c32 = Math.fround(c), inv32 = Math.fround(1 / c);
  if (!(c32 > 0 && c32 < Infinity && inv32 > 0 && inv32 < Infinity)) {
    throw new ArgumentError(`rescaleHiddenUnit: c must be within the float32 range (c and 1/c between 1.2e-38 and 3.4e38), got ${c}`);
  }
  let k = -1;
  st.layers.forEach((x, i) => { if (x.layerIndex <= layerIndex) k = i; });
  if (k < 0) throw new ArgumentError(`rescaleHiddenUnit: no Dense/Conv2D layer at or before layer ${layerIndex}; input units cannot be rescaled`);
  if (k === st.layers.length - 1) {
    throw new ArgumentError(`rescaleHiddenUnit: layer ${st.layers[k].layerIndex} produces the network's outputs, which are not hidden units`);
  }
  const x = st.layers[k];
  if (!Number.isInteger(unit) || unit < 0 || unit >= x.O) {
    throw new ArgumentError(`rescaleHiddenUnit: unit must be an integer in [0, ${x.O - 1}] for ${x.layer.label}, got ${String(unit)}`);
  }
  // a finite c can still overflow a weight (1e30 · 1e10): scale, check in wasm, and put the exact
  // previous bits back if anything became non-finite
  const before = model.getWeights();
  scaleUnit(model, st, k, unit, c);
  const bad = model.kernels.first_nonfinite(model.paramBase, model.paramRegionFloats);
  if (bad >= 0) {
    model.setWeights(before);
    throw new ArgumentError(`rescaleHiddenUnit: c = ${c} would make a weight of ${x.layer.label} or the next weight layer non-finite ` +
      '(float32 overflow); weights left unchanged');
  }
}

function scaleUnit(model: Sequential, st: ECStructure, k: number, unit: number, c: number): void {
  const kz = model.kernels;
  const x = st.layers[k];
  const y = st.layers[k + 1];
  kz.ec_scale_head(x.layer.paramPtr[0], x.O, x.I, x.T, unit, c);
  if (x.hasBias) kz.ec_scale_head(x.layer.paramPtr[1], x.O, 1, 1, unit, c);
  kz.ec_scale_tail(y.layer.paramPtr[0], y.O, y.I, y.T, unit, 1 / c);
}

// ---------------------------------------------------------------------------------------------

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
  private bufs!: {
    ones: number; hyper: number; norms: number; dummy: number; masks: number; steps: number; rowNorms: number;
    /** The ECLayerDesc blocks (assembly/abi.ts) of each layer's weight tensor and bias vector, written once. */
    wDesc: number[]; bDesc: number[];
    beta: number[]; phi: number[]; rb: number[]; rp: number[]; adn: number[]; aup: number[]; rowS: number[]; colS: number[];
    ibeta: number[]; iphi: number[]; irb: number[]; irp: number[];
    skU: number[]; skV: number[]; skS: number[]; skR: number[]; skW: number[]; sk1: number[]; sk2: number[];
  };
  private needSums: boolean[] = [];

  constructor(model: Sequential, options: ECOptions | ECAdamOptions, lrDefault?: number) {
    options = checkOptions(options, new.target.name);
    super(model, options.lr ?? lrDefault);
    const name = new.target.name;
    this.structure = ecStructure(model, name);
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
        this.preserveInit();
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

  /** 'preserve': rescale hidden units so every frozen skeleton weight has |w| = 1. */
  private preserveInit(): void {
    const st = this.structure;
    const L = st.layers.length;
    if (L < 2) return;
    const f32 = (p: number, j: number) => this.model.arena.f32(p, j + 1)[j];
    const scaleBy = (k: number, unit: number, frozenW: number, inEdge: boolean, where: string) => {
      if (frozenW === 0 || !Number.isFinite(frozenW)) {
        throw new ArgumentError(`${this.kind}: init 'preserve' cannot normalise ${where}: its frozen skeleton weight is ${frozenW}`);
      }
      const c = inEdge ? 1 / Math.abs(frozenW) : Math.abs(frozenW);
      scaleUnit(this.model, st, k, unit, c);
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
    for (const li of st.plainParamLayers) {
      const layer = m.layers[li];
      layer.params.forEach((p, j) => this.plainUpdate(layer.paramPtr[j], layer.gradPtr[j], sizeOf(p.shape)));
    }
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
  constructor(model: Sequential, options: ECOptions, defaultMomentum = 0) {
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
    return { lr: this.lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay, init: this.initMode, trustRegion: this.rho || false, skeletonFloor: this.skeletonFloor || false, ...this.commonOptions() };
  }
}

/** EC-SGD with heavy-ball momentum per basis path (momentum defaults to 0.9). */
export class ECMomentum extends ECSGD {
  override readonly kind: string = 'ECMomentum';
  constructor(model: Sequential, options: ECOptions) {
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
  constructor(model: Sequential, options: ECAdamOptions = {}) {
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
    return { lr: this.lr, betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay, init: this.initMode, trustRegion: this.rho || false, skeletonFloor: this.skeletonFloor || false, ...this.commonOptions() };
  }
}

/**
 * Path-SGD (Neyshabur, Salakhutdinov & Srebro 2015): w_e -= lr * dL/dw_e / gamma_e with
 * gamma_e = gamma_in(tail) * gamma_out(head), exact from a forward and a backward pass of squared
 * weights (on the unit graph; biases enter gamma_in). Rescaling-equivariant, basis-free.
 */
export class PathSGD extends Optimizer {
  readonly kind = 'PathSGD';
  readonly structure: ECStructure;
  private gin: number[] = [];
  private igin: number[] = [];
  private gout: number[] = [];
  private ones = 0;
  constructor(model: Sequential, options: { lr: number } & CommonOptions) {
    super(model, options?.lr);
    this.takeCommonOptions(options ?? {}, 'PathSGD', false);
    this.structure = ecStructure(model, 'PathSGD');
    const maxW = Math.max(...this.structure.widths);
    try {
      this.ones = this.allocBlock(maxW * 4, 'ones');
      this.gin = this.structure.widths.map((h) => this.allocBlock(h * 4, 'gamma_in'));
      this.igin = this.structure.widths.map((h) => this.allocBlock(h * 4, '1/gamma_in'));
      this.gout = this.structure.widths.map((h) => this.allocBlock(h * 4, 'gamma_out'));
    } catch (e) {
      this.releaseBlocks();
      throw e;
    }
    this.attach(0);
    model.kernels.fill_f32(this.ones, maxW, 1);
  }
  protected update(): void {
    const k = this.model.kernels;
    const st = this.structure;
    const L = st.layers.length;
    k.copy_bytes(this.gin[0], this.ones, st.widths[0] * 4);
    for (let l = 1; l <= L; l++) {
      const x = st.layers[l - 1];
      k.path_gamma_forward(this.gin[l], this.gin[l - 1], x.layer.paramPtr[0], x.hasBias ? x.layer.paramPtr[1] : 0, x.O, x.I, x.T);
    }
    k.copy_bytes(this.gout[L], this.ones, st.widths[L] * 4);
    for (let l = L; l >= 2; l--) {
      const x = st.layers[l - 1];
      k.path_gamma_backward(this.gout[l - 1], this.gout[l], x.layer.paramPtr[0], x.O, x.I, x.T);
    }
    st.widths.forEach((h, l) => k.ec_recip(this.igin[l], this.gin[l], h));
    for (let l = 1; l <= L; l++) {
      const x = st.layers[l - 1];
      k.path_sgd_update(x.layer.paramPtr[0], x.layer.gradPtr[0], x.O, x.I, x.T, this.igin[l - 1], this.gout[l], this.lr);
      if (x.hasBias) k.path_sgd_update(x.layer.paramPtr[1], x.layer.gradPtr[1], x.O, 1, 1, this.ones, this.gout[l], this.lr);
    }
    for (const li of st.plainParamLayers) {
      const layer = this.model.layers[li];
      layer.params.forEach((p, j) => k.sgd_update(layer.paramPtr[j], layer.gradPtr[j], sizeOf(p.shape), this.lr, 0));
    }
  }
  options(): Record<string, unknown> {
    return { lr: this.lr, ...this.commonOptions() };
  }
  override dispose(): void {
    super.dispose();
    this.gin = []; this.igin = []; this.gout = [];
  }
}
