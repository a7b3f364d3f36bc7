// Model: a graph of layers trained on the CPU in wasm: its memory plan in the arena (parameters,
// mirrored gradients, batch buffers for the largest batch seen), forward, loss, backward, guarded
// steps, evaluation and predict. `new Model({ inputs, outputs })` is the functional API; Sequential
// is its chain case. Memory rules (docs/reliability.md): sizes in safe integers, checked before any
// allocation; blocks owned and generation-checked; a plan allocated whole or not at all.
import { getRuntime } from '../core/wasm.js';
import { ArgumentError, NonFiniteError, StateError, checkOptions, checkPositiveInt, describeValue } from '../core/errors.js';
import { sizeOf } from '../layers/layer.js';
import { checkDataset, type CheckedData, type TrainingData } from '../data/dataset.js';
import { inputNormalizer, predictArgs, type BatchPrep, type EvaluateOptions, type PredictOptions } from '../data/augment.js';
import type { Optimizer } from '../optim/optimizer.js';
import { guardedStep } from '../optim/guard.js';
import { fitModel, type FitOptions, type FitResult } from '../train/fit.js';
import { outputTensor, symbolicGraph, type Graph } from './graph.js';
import { batchLayout, planGraph, type BackwardSchedule } from './plan.js';
import { backwardGraph, forwardGraph } from './execute.js';
import { allocateBatch, type BatchBuffers } from './buffers.js';
import { checkInput, inferBatch, loadInputArray, loadShuffled, loadSamples, loadTargets, targetBatch, checkDatasetInWasm, type TargetKind } from './batch.js';
import { resolveLoss, type Evaluation, type Loss, type LossName } from './loss.js';
import { initParameters, initBuffers } from './init.js';
import { ModelWeights } from './weights.js';
import { summarize } from './summary.js';
import type { Codec, GraphSpec, LoadOptions, ModelSpec, SafetensorsOptions } from './codec.js';

import type { ModelOptions, TrainOptions } from './options.js';

const EVAL_CHUNK = 512;

/**
 * A network of layers trained on the CPU in wasm, built with the functional API:
 * `new Model({ inputs: x, outputs: y })` where `x = input(shape)` and `y` is the last layer's
 * `apply()`. Joins (`Add`, `Concat`) make residual and multi-branch networks. Owns its memory plan
 * in the runtime's arena; free it with `dispose()`.
 */
export class Model extends ModelWeights {
  /** Per-sample input shape, e.g. [784] or [1, 28, 28]. */
  readonly inputShape: number[];
  /** Per-sample output shape: [classes]. */
  readonly outputShape: number[];
  /** Seed of the weight initialization. */
  readonly seed: number;
  /** @internal The loss (options.loss): its kernels, targets and metric. */
  readonly objective: Loss;
  /** @internal The graph: nodes in topological order, shapes of every tensor. */
  readonly graph: Graph;
  /** @internal What 'Model' or 'Sequential' calls itself in messages. */
  static readonly modelKind: string = 'Model';
  private static nextId = 1;
  /** A number naming this model in messages ("Model #3"). */
  readonly id = Model.nextId++;
  private readonly schedule: BackwardSchedule;
  private capacity = 0;
  private buffers: BatchBuffers | null = null;
  private fitting = false;
  private freeAfterFit = false;

  /**
   * The functional API: the graph from `inputs` to `outputs` (one of each). Each layer belongs to
   * one model. @param graph internal: a graph already built (Sequential).
   */
  constructor(options: ModelOptions, graph?: Graph) {
    const kind = (new.target as typeof Model).modelKind;
    options = checkOptions(options, kind);
    const rt = getRuntime();
    rt.arena.checkOpen(kind);
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError(`${kind}: seed must be a non-negative integer, got ${describeValue(seed)}`);
    const objective = resolveLoss(options, kind);
    const g = graph ?? symbolicGraph(options.inputs, options.outputs, kind);
    const plan = planGraph(g, kind);
    const training = options.training ?? true;
    if (typeof training !== 'boolean') throw new ArgumentError(`${kind}: options.training must be a boolean, got ${describeValue(training)}`);
    super(rt, g.nodes.map((n) => n.layer), plan.layout, plan.buffers, kind, training); // allocates all or nothing
    this.graph = g;
    this.seed = seed;
    this.objective = objective;
    this.inputShape = g.shapes[0].slice();
    this.outputShape = plan.outputShape;
    this.schedule = plan.schedule;
    this.initParameters();
    initBuffers(this.kernels, this.layers);
  }

  /** Number of classes (the output size). */
  get classes(): number { return this.outputShape[0]; }

  /** The training objective (options.loss): 'cross-entropy', 'bce-with-logits', 'mse' or 'huber'. */
  get loss(): LossName { return this.objective.name; }

  /** What the loss trains on: class labels, or one float target per output. */
  private get targetKind(): TargetKind {
    return { values: this.objective.targets === 'values', width: this.classes, classes: this.classes };
  }

  /** Values per input sample (the product of inputShape). */
  get sampleSize(): number { return sizeOf(this.inputShape); }

  /** Re-initializes every parameter from `seed` (default: the model's seed), in wasm. */
  initParameters(seed = this.seed): void {
    this.checkAlive('initParameters');
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError(`initParameters: seed must be a non-negative integer, got ${describeValue(seed)}`);
    initParameters(this.kernels, this.layers, seed);
  }

  /** Plans and allocates the batch buffers for B samples (sizes checked first; new blocks before the old are released). */
  private ensureCapacity(B: number): void {
    if (this.buffers && B <= this.capacity) return;
    const plan = batchLayout(this.graph, this.schedule, this.kernels, B, this.arena.limitBytes, this.name, this.trainable, this.objective.targetWidth(this.classes));
    const buffers = allocateBatch(this.arena, this, plan, B, this.name);
    this.releaseBuffers();
    this.buffers = buffers;
    this.capacity = B;
  }

  private releaseBuffers(): void {
    if (!this.buffers) return;
    for (const b of this.buffers.blocks) this.arena.release(b);
    this.buffers = null;
    this.capacity = 0;
  }

  /**
   * Frees every buffer of the model and its optimizers. The model cannot be used afterwards. During
   * fit(), the fit ends after its current step (its promise rejects with a StateError) and the
   * memory is freed then.
   */
  dispose(): void {
    if (this.isDisposed) return;
    this.markDisposed();
    if (this.fitting) {
      this.freeAfterFit = true;
      return;
    }
    this.releaseBuffers();
    this.freeAll();
  }

  // ---- forward / backward ----

  private get outputBuffer(): number {
    return this.buffers!.act[outputTensor(this.graph)];
  }

  /** The output gradient's buffer (the loss kernels write it). */
  private get outputGradient(): number {
    return this.buffers!.grad[this.schedule.slotOf[outputTensor(this.graph)]];
  }

  /** Copies B samples into the input buffer and checks them for NaN/Inf (in wasm). */
  private loadInput(x: Float32Array, B: number, what: string, first = 0): void {
    loadInputArray(this.kernels, this.arena, this.buffers!.act[0], x, B, this.sampleSize, what, first);
  }

  /**
   * Logits for `batch` samples, shape (batch, classes). Without `batch` (or with undefined) it is
   * x.length / the sample size (the product of inputShape). `{ normalize }` (2nd or 3rd argument) as in fit.
   */
  predict(x: Float32Array, batch?: number | PredictOptions, options?: PredictOptions): Float32Array {
    return this.forwardChunks(x, batch, options, 'predict', null);
  }

  /**
   * Probabilities from the logits, computed in wasm, shape (batch, outputs): softmax over each
   * sample's outputs for loss 'cross-entropy', each output's sigmoid for 'bce-with-logits'
   * (refused for 'mse' and 'huber': use predict()). `batch` as for predict().
   */
  predictProba(x: Float32Array, batch?: number | PredictOptions, options?: PredictOptions): Float32Array {
    const toProbabilities = this.objective.probabilities;
    if (!toProbabilities) {
      throw new StateError(`predictProba: ${this.name} is trained with loss '${this.loss}', whose outputs are values, not probabilities; use predict()`);
    }
    return this.forwardChunks(x, batch, options, 'predictProba', toProbabilities);
  }

  /** The outputs for x in evaluation mode, chunk by chunk, each chunk passed through `post` in wasm when given. */
  private forwardChunks(x: Float32Array, batch: number | PredictOptions | undefined, options: PredictOptions | undefined, what: string,
    post: ((k: typeof this.kernels, p: number, b: number, K: number) => void) | null): Float32Array {
    this.checkAlive();
    [batch, options] = predictArgs(batch, options, what);
    const norm = inputNormalizer(options, this.inputShape, what);
    if (batch === undefined) batch = inferBatch(x, this.inputShape, this.sampleSize, what);
    const B = checkInput(x, batch, this.inputShape, this.sampleSize, what);
    const K = this.classes;
    const n = this.sampleSize;
    const out = new Float32Array(B * K);
    const chunk = Math.max(this.capacity, Math.min(B, EVAL_CHUNK));
    this.ensureCapacity(chunk);
    for (let s = 0; s < B; s += chunk) {
      const b = Math.min(chunk, B - s);
      this.loadInput(x.subarray(s * n, (s + b) * n), b, what, s);
      norm?.apply(this.kernels, this.buffers!.act[0], b, what, (r) => s + r);
      forwardGraph(this.kernels, this.graph, this.buffers!, b, this.evalMode);
      post?.(this.kernels, this.outputBuffer, b, K);
      out.set(this.arena.f32(this.outputBuffer, b * K), s * K);
    }
    return out;
  }

  /** Loads a checked batch of samples and targets (labels or floats, as the loss reads) into the buffers (planned for at least B). */
  private loadBatchArrays(x: Float32Array, y: unknown, what: string): number {
    this.checkTraining(`${what}()`);
    const B = checkInput(x, targetBatch(y, this.targetKind, what), this.inputShape, this.sampleSize, what);
    this.ensureCapacity(B);
    this.loadInput(x, B, what);
    loadTargets(this.kernels, this.arena, this.buffers!.labels, y as Float32Array, B, this.targetKind, what);
    return B;
  }

  /** Forward, the loss, then backward (always, or only when the loss is finite); the mean loss. */
  private forwardBackward(B: number, always: boolean, training: boolean): number {
    const buf = this.buffers!;
    const mode = { training, seed: this.seed, step: this.batches };
    forwardGraph(this.kernels, this.graph, buf, B, mode);
    if (training) this.batches++;
    const loss = this.objective.forwardBackward(this.kernels, this.outputGradient, this.outputBuffer, buf.labels, B, this.classes);
    if (always || Number.isFinite(loss)) backwardGraph(this.kernels, this.graph, this.schedule, buf, B, mode);
    return loss;
  }

  private get evalMode() { return { training: false, seed: this.seed, step: this.batches }; }

  /**
   * One training step on a batch: forward, the loss, backward, optimizer update. `y` holds the
   * batch's class labels (loss 'cross-entropy') or its float targets, batch × outputs (the other
   * losses). Returns the mean loss. Throws (leaving weights and optimizer state untouched) on bad input,
   * a non-finite loss or gradient, or an update that would make weights non-finite.
   */
  trainBatch(x: Float32Array, y: Uint8Array | Int32Array | Float32Array, optimizer: Optimizer, options: TrainOptions = {}): number {
    this.checkAlive();
    this.checkTraining('trainBatch()');
    if (!optimizer || (optimizer.model as unknown) !== this) {
      throw new ArgumentError('trainBatch: the optimizer must be created for this model (new SGD(model, ...))');
    }
    if (optimizer.isDisposed) throw new StateError(`trainBatch: the ${optimizer.kind} optimizer of ${this.name} has been disposed`);
    optimizer.checkHyperparameters();
    const B = this.loadBatchArrays(x, y, 'trainBatch');
    return this.stepLoaded(B, optimizer, options.guard ?? true);
  }

  /** Forward and backward on a batch without updating: fills the gradients (see getGradients()); returns the mean loss. `y` as for trainBatch(). */
  computeGradients(x: Float32Array, y: Uint8Array | Int32Array | Float32Array): number {
    this.checkAlive();
    const B = this.loadBatchArrays(x, y, 'computeGradients');
    return this.forwardBackward(B, true, this.training);
  }

  /**
   * @internal Forward, loss, backward and one guarded step on the loaded batch (trainBatch in the
   * model's mode, fit in training mode). A refused step also puts back the running statistics the
   * forward updated, so the model is exactly as it was.
   */
  stepLoaded(B: number, optimizer: Optimizer, guard: boolean, training = this.training): number {
    const batches = this.batches;
    if (training && guard) this.saveBuffers();
    try {
      const loss = this.forwardBackward(B, false, training);
      if (!Number.isFinite(loss)) {
        throw new NonFiniteError(`trainBatch: the loss is ${loss} (the ${this.objective.probabilities ? 'logits' : 'outputs'} overflowed); step refused, weights unchanged. ` +
          'Either the inputs are far too large (scale them, e.g. to [0, 1]) or the weights have grown too large ' +
          '(lower the learning rate or restore an earlier checkpoint).');
      }
      const badGrad = this.kernels.first_nonfinite(this.gradBase, this.paramRegionFloats);
      if (badGrad >= 0) {
        throw new NonFiniteError(`trainBatch: a gradient of ${this.locate(badGrad)} is non-finite; step refused, weights unchanged. Lower the learning rate.`);
      }
      guardedStep(this, optimizer, guard);
      return loss;
    } catch (e) {
      if (training && guard) {
        this.restoreBuffers();
        this.batches = batches;
      }
      throw e;
    }
  }

  /**
   * The mean loss and the metric of the model's loss over a dataset: `accuracy` for 'cross-entropy'
   * and 'bce-with-logits', `mae` for 'mse' and 'huber' (float32 or byte images; forward only, in
   * evaluation mode, in chunks; `normalize` as in fit).
   */
  evaluate(data: TrainingData, options: EvaluateOptions = {}): Evaluation {
    this.checkAlive();
    options = checkOptions(options, 'evaluate');
    const norm = inputNormalizer(options, this.inputShape, 'evaluate');
    const ds = this.checkData(data, 'evaluate');
    const chunk = Math.max(this.capacity, Math.min(ds.count, checkPositiveInt(options.batchSize ?? EVAL_CHUNK, 'evaluate: batchSize')));
    this.ensureCapacity(chunk);
    const buf = this.buffers!;
    const n = this.sampleSize;
    const f = this.objective;
    let loss = 0;
    let metric = 0;
    for (let s = 0; s < ds.count; s += chunk) {
      const b = Math.min(chunk, ds.count - s);
      loadSamples(this.kernels, this.arena, buf.act[0], buf.labels, ds, n, s, b, this.targetKind, norm, 'evaluate');
      forwardGraph(this.kernels, this.graph, buf, b, this.evalMode);
      const [l, m] = f.evalChunk(this.kernels, this.arena, buf.misc, this.outputBuffer, buf.labels, b, this.classes);
      loss += l;
      metric += m;
    }
    return f.finish(loss, metric, ds.count, this.classes);
  }

  /** @internal Checks a dataset for this model: images of its sample size, and the labels or targets its loss reads. */
  checkData(data: unknown, what: string): CheckedData {
    return checkDataset(data, what, this.sampleSize, this.objective.targets === 'values' ? this.classes : undefined);
  }

  // ---- fit (train/fit.ts drives the model through these) ----

  /**
   * Trains for `epochs` over the dataset with seeded shuffling (the same seed gives the same batches
   * in every engine). Yields to the event loop regularly. Returns the per-epoch logs.
   */
  fit(data: TrainingData, options: FitOptions): Promise<FitResult> {
    this.checkTraining('fit()');
    return fitModel(this, data, options);
  }

  /** @internal A fit() is running on this model. */
  get isFitting(): boolean { return this.fitting; }

  /** @internal */
  beginFit(): void { this.fitting = true; }

  /** @internal Ends a fit; frees the model if dispose() was called meanwhile. */
  endFit(): void {
    this.fitting = false;
    if (this.freeAfterFit) {
      this.freeAfterFit = false;
      this.releaseBuffers();
      this.freeAll();
    }
  }

  /** @internal Plans buffers for batches of B0 and checks every sample and label of both datasets in wasm. */
  prepareFit(ds: CheckedData, validation: CheckedData | undefined, B0: number): void {
    this.ensureCapacity(B0);
    for (const [d, what] of [[ds, 'fit'], [validation, 'fit: validation']] as const) {
      if (d) checkDatasetInWasm(this.kernels, this.arena, this.buffers!.act[0], this.buffers!.labels, d, this.sampleSize, Math.min(B0, this.capacity), this.targetKind, what);
    }
  }

  /** @internal Copies samples perm[s..s+B) (or s..s+B) into the batch buffers, checked in wasm. */
  loadBatch(ds: CheckedData, perm: Int32Array | null, s: number, B: number, prep?: BatchPrep): void {
    loadShuffled(this.kernels, this.arena, this.buffers!.act[0], this.buffers!.labels, ds, this.sampleSize, perm, s, B, this.targetKind, prep);
  }

  /** One line per layer with its inputs, output shape and parameter count. */
  summary(): string {
    return summarize(this.kindName, this.graph, (i) => this.nodeName(i), this.parameterCount);
  }

  // ---- files (io/spec.ts and io/safetensors.ts install these when the package loads) ----

  /** @internal The implementations behind toSpec/fromSpec/toSafetensors/fromSafetensors. */
  static readonly serialization: Codec<Model> = {};

  /**
   * The architecture as data: `{ format: 'ecopt.graph', version: 1, inputShape, seed, nodes, output }`
   * for a Model (a Sequential writes `ecopt.sequential` v1).
   */
  toSpec(): ModelSpec | GraphSpec {
    this.checkAlive();
    return codec('toSpec')(this);
  }

  /**
   * The model a spec (object or JSON text) describes, weights initialized from its seed: a
   * Sequential for `ecopt.sequential`, a Model for `ecopt.graph`. `{ training: false }` loads for
   * inference only (no gradient memory, no optimizer). Throws FormatError naming the bad field.
   */
  static fromSpec(spec: ModelSpec | GraphSpec | string, options: LoadOptions = {}): Model {
    return codec('fromSpec')(spec, options);
  }

  /**
   * The weights as a safetensors file (names `0.weight` or the layers' names, PyTorch layouts), the
   * spec in its metadata; with `{ optimizer }` also the optimizer's state, for loadOptimizerState().
   */
  toSafetensors(options: SafetensorsOptions = {}): Uint8Array {
    this.checkAlive();
    return codec('toSafetensors')(this, options);
  }

  /**
   * The model saved by toSafetensors(). `spec` replaces the file's spec (needed for files written
   * elsewhere). Every tensor is checked (F32, complete, shapes, finite); errors are FormatError.
   */
  static fromSafetensors(bytes: Uint8Array, spec?: ModelSpec | GraphSpec | string, options: LoadOptions = {}): Model {
    return codec('fromSafetensors')(bytes, spec, options);
  }
}

function codec<K extends keyof Codec<Model>>(name: K): NonNullable<Codec<Model>[K]> {
  const f = Model.serialization[name];
  if (!f) throw new Error(`Model.${name}: serialization is not loaded; import ecopt from its entry point (src/index.ts)`);
  return f;
}
