// Classic optimizers over the model's single contiguous parameter region: one fused kernel call
// per step (llm.c style). State buffers mirror the parameter region's layout.
// The model calls step(); a step that would leave NaN/Inf in the weights or state is undone.
// Memory: every state block is allocated before the optimizer attaches (a failed constructor
// leaves nothing behind), owned by the model, and checked for liveness before each use.
import type { OptimizerHost } from './host.js';
import type { Block } from '../core/arena.js';
import type { Layer } from '../layers/layer.js';
import { checkNumber, checkOptions, ArgumentError, NonFiniteError, StateError, describeValue } from '../core/errors.js';
import { guardedStep } from './guard.js';
import { checkGroups, groupRanges, groupsAsData, type ParamGroup, type ParamGroupOptions, type GroupRange } from './groups.js';

export { type ParamGroup, type ParamGroupOptions } from './groups.js';

/** Options every optimizer takes. */
export interface CommonOptions {
  /**
   * Clip the gradients by their global L2 norm before every update (torch.nn.utils.clip_grad_norm_):
   * when the norm exceeds this, every gradient is multiplied by clipGradNorm / (norm + 1e-6). The
   * gradients are clipped in place (getGradients() shows the clipped values). Default: no clipping.
   */
  clipGradNorm?: number;
  /**
   * Parameter groups with their own learning rate and weight decay (torch.optim param groups), e.g.
   * `[{ layers: [bn1, bn2], weightDecay: 0 }]`. Layers in no group use the optimizer's options.
   * A schedule scales every group's lr by the same factor. SGD, Momentum and Adam.
   */
  groups?: ParamGroupOptions[];
}

/** An optimizer's state as plain arrays (`stateDict()` / `loadStateDict()`): kind, step count, options, state buffers. */
export interface OptimizerStateDict {
  kind: string;
  step: number;
  options: Record<string, unknown>;
  buffers: Float32Array[];
}

/**
 * The base of every optimizer: the learning rate, the step count `t`, state buffers shaped like the
 * model's parameter region, `stateDict`/`loadStateDict`, `setLearningRate` and `dispose`. Steps are
 * taken by `model.trainBatch` and `model.fit`.
 */
export abstract class Optimizer {
  abstract readonly kind: string;
  readonly model: OptimizerHost;
  /**
   * Learning rate; may be changed between steps (schedules). The constructors need lr > 0; between
   * steps 0 is allowed too (a step at lr 0 changes no weight, as cosineDecay() reaches at its end).
   */
  lr: number;
  /** Number of steps applied so far. */
  t = 0;
  /** Gradient-norm limit (the clipGradNorm option), or null for none. */
  clipGradNorm: number | null = null;
  /** The global L2 norm of the gradients before clipping, at the last update (NaN without clipGradNorm). */
  lastGradNorm = NaN;
  /** The learning rate at construction: schedules scale each group's lr by lr / initialLr. */
  protected readonly initialLr: number;
  private groups: ParamGroup[] = [];
  private ranges: GroupRange[] | null = null;
  /** State buffers (byte offsets), each as long as the model's parameter region. */
  protected state: number[] = [];
  /** Every block this optimizer allocated (state regions and workspaces), owned by its model. */
  protected blocks: Block[] = [];
  private disposed = false;
  private attached = false;

  constructor(model: OptimizerHost, lr: unknown) {
    if (!model || typeof (model as OptimizerHost).prepareAttach !== 'function') {
      throw new ArgumentError(`${new.target.name}: the first argument must be a model (Sequential or Model), got ${typeof model}`);
    }
    model.checkAlive(`new ${new.target.name}`);
    this.model = model;
    this.lr = checkNumber(lr, `${new.target.name}: lr`, 0, Infinity, true);
    this.initialLr = this.lr;
  }

  /** Reads the options every optimizer takes (clipGradNorm, groups); call before attach(). */
  protected takeCommonOptions(options: CommonOptions, who: string, groupsAllowed = true): void {
    if (options.clipGradNorm !== undefined) this.clipGradNorm = checkNumber(options.clipGradNorm, `${who}: clipGradNorm`, 0, Infinity, true);
    if (options.groups !== undefined) {
      if (!groupsAllowed) throw new ArgumentError(`${who}: groups are not supported by ${who} yet (parameter groups work with SGD, Momentum and Adam)`);
      this.groups = checkGroups(options.groups, this.model, who);
      this.ranges = groupRanges(this.groups, this.model);
    }
  }

  /**
   * The parameter groups as they stand: each given group's layers, lr and weight decay, then the
   * default group (every other layer) with the optimizer's own; lr as scaled by the schedule.
   */
  get paramGroups(): { layers: Layer[]; lr: number; weightDecay: number }[] {
    const wd = (this as unknown as { weightDecay?: number }).weightDecay ?? 0;
    const grouped = new Set(this.groups.flatMap((g) => g.layers));
    return [
      ...this.groups.map((g) => ({ layers: g.layers.slice(), lr: this.groupLr(g), weightDecay: g.weightDecay ?? wd })),
      { layers: this.model.layers.filter((l) => !grouped.has(l)), lr: this.lr, weightDecay: wd },
    ];
  }

  private groupLr(g: ParamGroup): number {
    return g.lr === undefined ? this.lr : g.lr * (this.lr / this.initialLr);
  }

  /**
   * Runs `update(offsetBytes, count, lr, weightDecay)` over the parameter region: once over all of
   * it without groups (one fused call), else once per contiguous range of each group.
   */
  protected forEachRange(weightDecay: number, update: (offset: number, count: number, lr: number, wd: number) => void): void {
    if (!this.ranges) {
      update(0, this.model.paramRegionFloats, this.lr, weightDecay);
      return;
    }
    for (const r of this.ranges) {
      const g = r.group < 0 ? null : this.groups[r.group];
      update(r.start * 4, r.count, g ? this.groupLr(g) : this.lr, g?.weightDecay ?? weightDecay);
    }
  }

  /** Allocates a block for this optimizer (freed by dispose(), or by attach() failing). */
  protected allocBlock(bytes: number, what: string): number {
    const b = this.model.allocBlock(bytes, `${this.kind} ${what}`);
    this.blocks.push(b);
    return b.ptr;
  }

  /**
   * Allocates `count` state buffers shaped like the parameter region and attaches the optimizer
   * to its model (which sizes its step backup). Subclasses call it after validating their options
   * and allocating their workspaces, and before changing any weight; on failure everything this
   * optimizer allocated is freed and the model is left as it was. With `then`, the attachment is
   * committed only after `then` returned (it may change weights, and must undo that if it throws).
   */
  protected attach(count: number, then?: () => void): void {
    let prepared: Block | null = null;
    try {
      for (let i = 0; i < count; i++) this.state.push(this.allocBlock(this.model.paramRegionFloats * 4, 'state'));
      prepared = this.model.prepareAttach(count);
      then?.();
      this.model.commitAttach(this, prepared);
      this.attached = true;
    } catch (e) {
      this.model.abortAttach(prepared);
      this.releaseBlocks();
      throw e;
    }
  }

  /** Frees every block of this optimizer (constructor failure and dispose). */
  protected releaseBlocks(): void {
    for (const b of this.blocks) this.model.arena.release(b);
    this.blocks = [];
    this.state = [];
  }

  /**
   * @internal Throws StateError unless the optimizer can be used: not disposed, its model alive,
   * its blocks still allocated (same generation).
   */
  checkUsable(what: string): void {
    if (this.disposed) throw new StateError(`${this.kind} (of ${this.model.name}): cannot run ${what}: the optimizer has been disposed`);
    this.model.checkAlive(`${this.kind}.${what}`);
    if (!this.attached || this.blocks.some((b) => !this.model.arena.isLive(b))) {
      throw new StateError(`${this.kind} (of ${this.model.name}): cannot run ${what}: its state memory is no longer allocated`);
    }
  }

  /** True after dispose(): the optimizer can no longer step. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Re-validates the hyperparameters (public fields may have been changed since construction);
   * called by the model before every step, so a bad value never reaches the kernels.
   */
  checkHyperparameters(): void {
    checkNumber(this.lr, `${this.kind}: lr`, 0, Infinity);
    const o = this as unknown as Record<string, unknown>;
    if ('weightDecay' in o) checkNumber(o.weightDecay, `${this.kind}: weightDecay`, 0, Infinity);
    if ('momentum' in o) checkNumber(o.momentum, `${this.kind}: momentum`, 0, 1, false, true);
    if ('beta1' in o) checkNumber(o.beta1, `${this.kind}: betas[0]`, 0, 1, false, true);
    if ('beta2' in o) checkNumber(o.beta2, `${this.kind}: betas[1]`, 0, 1, false, true);
    if ('eps' in o) checkNumber(o.eps, `${this.kind}: eps`, 0, Infinity, true);
  }

  /** Byte offsets of all state buffers (for backup/restore and serialization). */
  stateBuffers(): readonly number[] {
    return this.state;
  }

  /**
   * Applies one update to the model's parameters from its gradients (unguarded). Called by the
   * model's guarded step; use step() or trainBatch().
   *
   * @internal
   */
  apply(): void {
    this.checkUsable('apply');
    if (this.clipGradNorm !== null) {
      const m = this.model;
      this.lastGradNorm = m.kernels.clip_grad_norm(m.gradBase, m.paramRegionFloats, this.clipGradNorm);
    }
    this.update();
  }

  /**
   * One guarded update from the model's current gradients (torch-style: `model.computeGradients(x,
   * y); optimizer.step()` is `model.trainBatch(x, y, optimizer)`). Refused, with weights and state
   * unchanged, when a gradient or the result would be non-finite. No zeroGrad(): backward
   * overwrites the gradients.
   */
  step(options: { guard?: boolean } = {}): void {
    this.checkUsable('step');
    this.checkHyperparameters();
    const m = this.model;
    m.checkTraining('step()');
    const bad = m.kernels.first_nonfinite(m.gradBase, m.paramRegionFloats);
    if (bad >= 0) throw new NonFiniteError(`${this.kind}.step: a gradient of ${m.locate(bad)} is non-finite; step refused, weights unchanged`);
    guardedStep(m, this, options.guard ?? true);
  }

  /** The update itself (the kernels on the parameter region); apply() checks liveness first. */
  protected abstract update(): void;

  /**
   * Validates a new learning rate and sets it: a finite number >= 0. 0 is legal (the next step
   * changes no weight; Momentum/Adam state and the step count still advance, as in PyTorch); -0 is
   * stored as 0. Negative, NaN and Infinity are refused with an ArgumentError, lr left unchanged.
   */
  setLearningRate(lr: number): void {
    this.lr = checkNumber(lr, `${this.kind}: lr`, 0, Infinity) + 0; // + 0 turns -0 into 0
  }

  abstract options(): Record<string, unknown>;

  /** The common options as data (only those set: checkpoints of plain runs stay as they were). */
  protected commonOptions(): Record<string, unknown> {
    return {
      ...(this.clipGradNorm !== null ? { clipGradNorm: this.clipGradNorm } : {}),
      ...(this.groups.length ? { groups: groupsAsData(this.groups, this.model) } : {}),
    };
  }

  /** Copies of the optimizer state, to save and resume training bit-identically. */
  stateDict(): OptimizerStateDict {
    this.checkUsable('stateDict');
    const n = this.model.paramRegionFloats;
    return {
      kind: this.kind,
      step: this.t,
      options: this.options(),
      buffers: this.state.map((p) => this.model.arena.f32(p, n).slice()),
    };
  }

  /**
   * Replaces the state and step count with a stateDict()'s. Everything is checked before anything
   * is written: the kind, the step (a non-negative safe integer), the buffer count and lengths,
   * and every value finite (a NaN/Inf state would make every later step be refused).
   */
  loadStateDict(sd: OptimizerStateDict): void {
    this.checkUsable('loadStateDict');
    if (!sd || typeof sd !== 'object') throw new ArgumentError(`${this.kind}.loadStateDict: expected a state dict { kind, step, buffers }, got ${describeValue(sd)}`);
    if (sd.kind !== this.kind) throw new ArgumentError(`${this.kind}.loadStateDict: state is for ${String(sd.kind)}`);
    const n = this.model.paramRegionFloats;
    if (!Number.isSafeInteger(sd.step) || sd.step < 0) throw new ArgumentError(`${this.kind}.loadStateDict: step must be a non-negative safe integer, got ${describeValue(sd.step)}`);
    if (!Array.isArray(sd.buffers) || sd.buffers.length !== this.state.length || sd.buffers.some((b) => !(b instanceof Float32Array) || b.length !== n)) {
      throw new ArgumentError(`${this.kind}.loadStateDict: expected ${this.state.length} Float32Array buffers of length ${n}`);
    }
    sd.buffers.forEach((b, i) => {
      const bad = b.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ArgumentError(`${this.kind}.loadStateDict: buffer ${i} has a non-finite value (${b[bad]}) at index ${bad}; state left unchanged`);
    });
    sd.buffers.forEach((b, i) => this.model.arena.f32(this.state[i], n).set(b));
    this.t = sd.step;
  }

  /** Frees the state buffers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseBlocks();
    this.model.detachOptimizer(this);
  }
}

/** Options of `new SGD(model, options)`. */
export interface SGDOptions extends CommonOptions {
  lr: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/** Plain SGD: w -= lr * (g + weightDecay * w). */
export class SGD extends Optimizer {
  readonly kind = 'SGD';
  weightDecay: number;
  constructor(model: OptimizerHost, options: SGDOptions) {
    super(model, options?.lr);
    this.weightDecay = checkNumber(options.weightDecay ?? 0, 'SGD: weightDecay', 0, Infinity);
    this.takeCommonOptions(options, 'SGD');
    this.attach(0);
  }
  protected update(): void {
    const m = this.model;
    this.forEachRange(this.weightDecay, (o, n, lr, wd) => m.kernels.sgd_update(m.paramBase + o, m.gradBase + o, n, lr, wd));
  }
  options(): Record<string, unknown> { return { lr: this.lr, weightDecay: this.weightDecay, ...this.commonOptions() }; }
}

/** Options of `new Momentum(model, options)`. */
export interface MomentumOptions extends CommonOptions {
  lr: number;
  /** Heavy-ball coefficient in [0, 1) (default 0.9). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  weightDecay?: number;
}

/** Heavy-ball momentum as torch.optim.SGD: v = mu v + g; w -= lr * v (or Nesterov: lr * (g + mu v)). */
export class Momentum extends Optimizer {
  readonly kind = 'Momentum';
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  constructor(model: OptimizerHost, options: MomentumOptions) {
    super(model, options?.lr);
    this.momentum = checkNumber(options.momentum ?? 0.9, 'Momentum: momentum', 0, 1, false, true);
    this.nesterov = !!options.nesterov;
    this.weightDecay = checkNumber(options.weightDecay ?? 0, 'Momentum: weightDecay', 0, Infinity);
    this.takeCommonOptions(options, 'Momentum');
    this.attach(1);
  }
  protected update(): void {
    const m = this.model;
    this.forEachRange(this.weightDecay, (o, n, lr, wd) =>
      m.kernels.momentum_update(m.paramBase + o, this.state[0] + o, m.gradBase + o, n, lr, this.momentum, wd, this.nesterov ? 1 : 0));
  }
  options(): Record<string, unknown> {
    return { lr: this.lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay, ...this.commonOptions() };
  }
}

/** Options of `new Adam(model, options)`. */
export interface AdamOptions extends CommonOptions {
  lr?: number;
  /** (beta1, beta2), each in [0, 1) (default [0.9, 0.999]). */
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Decoupled weight decay (AdamW) instead of L2 in the gradient (default false). */
  decoupled?: boolean;
}

/** Adam (Kingma & Ba 2015) as torch.optim.Adam; AdamW with `decoupled: true`. */
export class Adam extends Optimizer {
  readonly kind = 'Adam';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  constructor(model: OptimizerHost, options: AdamOptions = {}) {
    options = checkOptions(options, 'Adam');
    super(model, options.lr ?? 0.001);
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new ArgumentError(`Adam: betas must be a pair [beta1, beta2], got ${String(betas)}`);
    this.beta1 = checkNumber(betas[0], 'Adam: betas[0]', 0, 1, false, true);
    this.beta2 = checkNumber(betas[1], 'Adam: betas[1]', 0, 1, false, true);
    this.eps = checkNumber(options.eps ?? 1e-8, 'Adam: eps', 0, Infinity, true);
    this.weightDecay = checkNumber(options.weightDecay ?? 0, 'Adam: weightDecay', 0, Infinity);
    this.decoupled = !!options.decoupled;
    this.takeCommonOptions(options, 'Adam');
    this.attach(2);
  }
  protected update(): void {
    const m = this.model;
    this.forEachRange(this.weightDecay, (o, n, lr, wd) => m.kernels.adam_update(m.paramBase + o, this.state[0] + o, this.state[1] + o, m.gradBase + o, n,
      lr, this.beta1, this.beta2, this.eps, wd, this.decoupled ? 1 : 0, this.t + 1));
  }
  options(): Record<string, unknown> {
    return { lr: this.lr, betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled, ...this.commonOptions() };
  }
}
