// Model: a graph of layers trained on the CPU in wasm. Owns the graph's memory plan in the arena
// (one contiguous parameter region, a mirrored gradient region, batch buffers planned for the
// largest batch seen) and runs forward, backward, guarded optimizer steps, evaluation and predict.
// `new Model({ inputs, outputs })` is the functional API; Sequential (sequential.ts) is its chain case.
//
// Memory rules (docs/reliability.md): every size is computed in safe-integer arithmetic and
// checked before anything is allocated; every block is owned by this model (Block records with a
// generation, checked at each entry point); a plan is allocated whole or not at all (new blocks
// first, old ones released only after success), so a failure leaves this model and every other
// one exactly as they were.
import { getRuntime } from '../core/wasm.js';
import { ArgumentError, NonFiniteError, ShapeError, StateError, checkOptions, checkPositiveInt, describeValue } from '../core/errors.js';
import { sizeOf } from '../layers/layer.js';
import { checkDataset, type Dataset, type DatasetImages } from '../data/dataset.js';
import { inputNormalizer, predictArgs, type BatchPrep, type EvaluateOptions, type PredictOptions } from '../data/augment.js';
import type { Optimizer } from '../optim/optimizer.js';
import { guardedStep } from '../optim/guard.js';
import { fitModel, type FitOptions, type FitResult } from '../train/fit.js';
import { outputTensor, symbolicGraph, type Graph } from './graph.js';
import { batchLayout, planGraph, type BackwardSchedule } from './plan.js';
import { backwardGraph, forwardGraph } from './execute.js';
import { allocateBatch, type BatchBuffers } from './buffers.js';
import { checkInput, checkLabels, inferBatch, lengthOf, loadShuffled, loadSamples, checkDatasetInWasm } from './batch.js';
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
    const g = graph ?? symbolicGraph(options.inputs, options.outputs, kind);
    const plan = planGraph(g, kind);
    const training = options.training ?? true;
    if (typeof training !== 'boolean') throw new ArgumentError(`${kind}: options.training must be a boolean, got ${describeValue(training)}`);
    super(rt, g.nodes.map((n) => n.layer), plan.layout, plan.buffers, kind, training); // allocates all or nothing
    this.graph = g;
    this.seed = seed;
    this.inputShape = g.shapes[0].slice();
    this.outputShape = plan.outputShape;
    this.schedule = plan.schedule;
    this.initParameters();
    initBuffers(this.kernels, this.layers);
  }

  /** Number of classes (the output size). */
  get classes(): number { return this.outputShape[0]; }

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
    const plan = batchLayout(this.graph, this.schedule, this.kernels, B, this.arena.limitBytes, this.name, this.trainable);
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
    const p = this.buffers!.act[0];
    const n = B * this.sampleSize;
    this.arena.f32(p, n).set(x.subarray(0, n));
    const bad = this.kernels.first_nonfinite(p, n);
    if (bad >= 0) {
      const at = first * this.sampleSize + bad;
      throw new ShapeError(`${what}: input sample ${first + Math.floor(bad / this.sampleSize)} has a non-finite value (${x[bad]}) at index ${at}`);
    }
  }

  private loadLabels(y: Uint8Array | Int32Array, B: number, what: string, first = 0): void {
    const p = this.buffers!.labels;
    this.arena.i32(p, B).set(y);
    const bad = this.kernels.first_bad_label(p, B, this.classes);
    if (bad >= 0) throw new ShapeError(`${what}: label ${y[bad]} at index ${first + bad} is not a class index in [0, ${this.classes})`);
  }

  /**
   * Logits for `batch` samples, shape (batch, classes). Without `batch` (or with undefined) it is
   * x.length / the sample size (the product of inputShape). `{ normalize }` (2nd or 3rd argument) as in fit.
   */
  predict(x: Float32Array, batch?: number | PredictOptions, options?: PredictOptions): Float32Array {
    this.checkAlive();
    [batch, options] = predictArgs(batch, options, 'predict');
    const norm = inputNormalizer(options, this.inputShape, 'predict');
    if (batch === undefined) batch = inferBatch(x, this.inputShape, this.sampleSize, 'predict');
    const B = checkInput(x, batch, this.inputShape, this.sampleSize, 'predict');
    const K = this.classes;
    const n = this.sampleSize;
    const out = new Float32Array(B * K);
    const chunk = Math.max(this.capacity, Math.min(B, EVAL_CHUNK));
    this.ensureCapacity(chunk);
    for (let s = 0; s < B; s += chunk) {
      const b = Math.min(chunk, B - s);
      this.loadInput(x.subarray(s * n, (s + b) * n), b, 'predict', s);
      norm?.apply(this.kernels, this.buffers!.act[0], b, 'predict', (r) => s + r);
      forwardGraph(this.kernels, this.graph, this.buffers!, b, this.evalMode);
      out.set(this.arena.f32(this.outputBuffer, b * K), s * K);
    }
    return out;
  }

  /** Class probabilities (softmax of the logits, computed in wasm), shape (batch, classes); `batch` as for predict(). */
  predictProba(x: Float32Array, batch?: number | PredictOptions, options?: PredictOptions): Float32Array {
    [batch, options] = predictArgs(batch, options, 'predictProba');
    if (batch === undefined) {
      this.checkAlive();
      batch = inferBatch(x, this.inputShape, this.sampleSize, 'predictProba');
    }
    const logits = this.predict(x, batch, options);
    const K = this.classes;
    const chunk = Math.min(this.capacity, batch);
    const p = this.outputBuffer;
    for (let s = 0; s < batch; s += chunk) {
      const b = Math.min(chunk, batch - s);
      this.arena.f32(p, b * K).set(logits.subarray(s * K, (s + b) * K));
      this.kernels.softmax_forward(p, p, b, K);
      logits.set(this.arena.f32(p, b * K), s * K);
    }
    return logits;
  }

  /** Loads a checked batch of samples and labels into the buffers (planned for at least B). */
  private loadBatchArrays(x: Float32Array, y: unknown, what: string): number {
    this.checkTraining(`${what}()`);
    const labels = checkLabels(y, lengthOf(y), what);
    const B = checkInput(x, labels.length, this.inputShape, this.sampleSize, what);
    this.ensureCapacity(B);
    this.loadInput(x, B, what);
    this.loadLabels(labels, B, what);
    return B;
  }

  /** Forward, softmax cross-entropy, then backward (always, or only when the loss is finite); the mean loss. */
  private forwardBackward(B: number, always: boolean, training: boolean): number {
    const buf = this.buffers!;
    const mode = { training, seed: this.seed, step: this.batches };
    forwardGraph(this.kernels, this.graph, buf, B, mode);
    if (training) this.batches++;
    const loss = this.kernels.softmax_xent_forward_backward(this.outputGradient, this.outputBuffer, buf.labels, B, this.classes);
    if (always || Number.isFinite(loss)) backwardGraph(this.kernels, this.graph, this.schedule, buf, B, mode);
    return loss;
  }

  private get evalMode() { return { training: false, seed: this.seed, step: this.batches }; }

  /**
   * One training step on a batch: forward, softmax cross-entropy, backward, optimizer update.
   * Returns the mean loss. Throws (leaving weights and optimizer state untouched) on bad input,
   * a non-finite loss or gradient, or an update that would make weights non-finite.
   */
  trainBatch(x: Float32Array, y: Uint8Array | Int32Array, optimizer: Optimizer, options: TrainOptions = {}): number {
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

  /** Forward and backward on a batch without updating: fills the gradients (see getGradients()); returns the mean loss. */
  computeGradients(x: Float32Array, y: Uint8Array | Int32Array): number {
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
        throw new NonFiniteError(`trainBatch: the loss is ${loss} (the logits overflowed); step refused, weights unchanged. ` +
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

  /** Mean loss and accuracy over a dataset (float32 or byte images; forward only, in chunks; `normalize` as in fit). */
  evaluate(data: Dataset<DatasetImages>, options: EvaluateOptions = {}): { loss: number; accuracy: number } {
    this.checkAlive();
    options = checkOptions(options, 'evaluate');
    const norm = inputNormalizer(options, this.inputShape, 'evaluate');
    const ds = checkDataset(data, 'evaluate', this.sampleSize);
    const chunk = Math.max(this.capacity, Math.min(ds.count, checkPositiveInt(options.batchSize ?? EVAL_CHUNK, 'evaluate: batchSize')));
    this.ensureCapacity(chunk);
    const buf = this.buffers!;
    const n = this.sampleSize;
    let loss = 0;
    let correct = 0;
    for (let s = 0; s < ds.count; s += chunk) {
      const b = Math.min(chunk, ds.count - s);
      loadSamples(this.kernels, this.arena, buf.act[0], ds, n, s, b, norm, 'evaluate');
      this.loadLabels(ds.labels.subarray(s, s + b), b, 'evaluate', s);
      forwardGraph(this.kernels, this.graph, buf, b, this.evalMode);
      loss += this.kernels.softmax_xent_eval(buf.misc, this.outputBuffer, buf.labels, b, this.classes);
      correct += this.arena.i32(buf.misc, 1)[0];
    }
    return { loss: loss / ds.count, accuracy: correct / ds.count };
  }

  // ---- fit (train/fit.ts drives the model through these) ----

  /**
   * Trains for `epochs` over the dataset with seeded shuffling (the same seed gives the same batches
   * in every engine). Yields to the event loop regularly. Returns the per-epoch logs.
   */
  fit(data: Dataset<DatasetImages>, options: FitOptions): Promise<FitResult> {
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
  prepareFit(ds: Dataset, validation: Dataset | undefined, B0: number): void {
    this.ensureCapacity(B0);
    this.checkSamples(ds, B0, 'fit');
    if (validation) this.checkSamples(validation, B0, 'fit: validation');
  }

  /** @internal Copies samples perm[s..s+B) (or s..s+B) into the batch buffers, checked in wasm. */
  loadBatch(ds: Dataset<DatasetImages>, perm: Int32Array | null, s: number, B: number, prep?: BatchPrep): void {
    loadShuffled(this.kernels, this.arena, this.buffers!.act[0], this.buffers!.labels, ds, this.sampleSize, perm, s, B, this.classes, prep);
  }

  /** Checks every image (finite) and label (a class index) of a dataset in wasm, chunk by chunk. */
  private checkSamples(ds: Dataset, B0: number, what: string): void {
    checkDatasetInWasm(this.kernels, this.arena, this.buffers!.act[0], this.buffers!.labels, ds, this.sampleSize, Math.min(B0, this.capacity), this.classes, what);
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
