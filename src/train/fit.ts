// fit(): the training loop over a dataset (seeded shuffling, learning-rate schedules, callbacks,
// early stopping, validation, abort signals, yields to the event loop), apart from the model: it
// drives any model through the FitHost interface (load a batch, take a guarded step, evaluate).
import type { Kernels } from '../core/wasm.js';
import type { Arena, Block } from '../core/arena.js';
import type { CheckedData, TrainingData } from '../data/dataset.js';
import { checkAugment, checkNormalize, type AugmentOptions, type BatchPrep, type EvaluateOptions, type NormalizeOptions } from '../data/augment.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LRSchedule } from './schedules.js';
import { bufferBytes } from '../core/sizes.js';
import { ArgumentError, StateError, describeValue, checkPositiveInt } from '../core/errors.js';

/** What `fit` passes to `onProgress` after every batch (epochs and batches counted from 1). */
export interface ProgressEvent {
  epoch: number;          // 1-based
  epochs: number;
  batch: number;          // 1-based within the epoch
  batches: number;
  /** Mean training loss over the epoch so far. */
  loss: number;
  /** Training throughput: samples over time spent in training steps (callbacks excluded). */
  samplesPerSec: number;
  elapsedSec: number;
  etaSec: number;
}

/**
 * One epoch's results, as fit()'s history and onEpochEnd receive them. `epoch` is 1-based (the first
 * epoch is 1), like ProgressEvent.epoch, BatchEndEvent.epoch and FitResult.stoppedEpoch/bestEpoch;
 * the learning-rate schedules' ScheduleContext.epoch counts from 0 (it is the schedule's clock).
 */
export interface EpochLog {
  /** 1-based: 1 for the first epoch of this fit() call. */
  epoch: number;
  /** Mean training loss over the epoch's samples. */
  loss: number;
  seconds: number;
  samplesPerSec: number;
  valLoss?: number;
  /** The validation accuracy (losses 'cross-entropy' and 'bce-with-logits'; see evaluate()). */
  valAccuracy?: number;
  /** The validation mean absolute error (losses 'mse' and 'huber'). */
  valMae?: number;
}

/** What `fit` passes to `onBatchEnd` after every batch (epochs and batches counted from 1). */
export interface BatchEndEvent {
  epoch: number;   // 1-based
  batch: number;   // 1-based within the epoch
  loss: number;    // this batch's mean loss
  lr: number;      // learning rate used for this batch
}

/** `fit({ earlyStopping })`: stop when the monitored quantity has not improved for `patience` epochs. */
export interface EarlyStoppingOptions {
  /** 'valLoss' (default when validation data is given), 'loss', 'valAccuracy' (classification losses) or 'valMae' ('mse', 'huber'). */
  monitor?: 'loss' | 'valLoss' | 'valAccuracy' | 'valMae';
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping or finishing (default false). */
  restoreBestWeights?: boolean;
}

/** What `fit` resolves to: the per-epoch logs and, if training stopped early, when and why. */
export interface FitResult {
  history: EpochLog[];
  /** Epoch (1-based) after which early stopping or a callback ended training, if it did. */
  stoppedEpoch?: number;
  /** Best epoch of the monitored quantity when early stopping was used. */
  bestEpoch?: number;
}

/** Options of `fit(data, options)`; only `optimizer` is required. */
export interface FitOptions {
  optimizer: Optimizer;
  epochs?: number;
  batchSize?: number;
  /** Seed of the per-epoch shuffling (default 0). */
  seed?: number;
  shuffle?: boolean;
  /** Called after every batch. */
  onProgress?: (e: ProgressEvent) => void;
  /** Called after every epoch with its log; return false to stop training early. */
  onEpochEnd?: (log: EpochLog) => void | boolean;
  /** Called after every batch; return false to stop training after this batch. */
  onBatchEnd?: (e: BatchEndEvent) => void | boolean;
  /** Learning rate for every batch (stepDecay, exponentialDecay, cosineDecay or your own function). */
  lrSchedule?: LRSchedule;
  /** Stop when the monitored quantity has not improved for `patience` epochs. */
  earlyStopping?: EarlyStoppingOptions;
  /** Evaluated after every epoch when given (normalized with `normalize`, never augmented). */
  validation?: TrainingData;
  /**
   * Random crop with zero padding and horizontal flip of every training sample, in wasm, seeded by
   * (seed, epoch, sample index): the same seed replays bit for bit. Needs inputs [C, H, W].
   */
  augment?: AugmentOptions;
  /** Per-channel `(x - mean) / std` of every batch (after augmentation) and of the validation data. */
  normalize?: NormalizeOptions;
  /** Yield to the event loop at least this often, in ms (default 50), so pages stay responsive. */
  yieldEveryMs?: number;
  /**
   * Stops training after the current batch when aborted (e.g. a Stop button). A signal that is
   * already aborted when fit() is called takes no step (the result has an empty history and
   * stoppedEpoch 0).
   */
  signal?: AbortSignal;
}

/**
 * What fit() needs of a model (a Model implements it).
 *
 * @internal
 */
export interface FitHost {
  readonly name: string;
  readonly kernels: Kernels;
  readonly arena: Arena;
  readonly sampleSize: number;
  readonly isDisposed: boolean;
  readonly isFitting: boolean;
  checkAlive(what?: string): void;
  allocBlock(bytes: number, what: string): Block;
  /** Plans buffers for batches of B0 and checks every sample and label of both datasets in wasm. */
  prepareFit(ds: CheckedData, validation: CheckedData | undefined, B0: number): void;
  /** Marks a fit in progress (a second one is refused; dispose() waits for the current step). */
  beginFit(): void;
  /** Ends it; frees the model if dispose() was called meanwhile. */
  endFit(): void;
  /** Copies samples perm[s..s+B) (or s..s+B) into the batch buffers, checked, then augmented and normalized, in wasm. */
  loadBatch(ds: CheckedData, perm: Int32Array | null, s: number, B: number, prep?: BatchPrep): void;
  /** Forward, loss, backward and one guarded optimizer step on the loaded batch; the mean loss. */
  stepLoaded(B: number, opt: Optimizer, guard: boolean, training: boolean): number;
  readonly inputShape: readonly number[];
  evaluate(data: TrainingData, options?: EvaluateOptions): { loss: number; accuracy?: number; mae?: number };
  /** Checks a dataset against the model: sample size, and the labels or float targets its loss reads. */
  checkData(data: unknown, what: string): CheckedData;
  /** The model's loss, for the metrics it reports. */
  readonly loss: string;
  getWeights(): Float32Array[];
  setWeights(ws: Float32Array[]): void;
}

function splitSeed(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Trains `host` for `epochs` over the dataset with seeded shuffling (the same seed gives the same
 * batches in every engine), yielding to the event loop regularly. The implementation of `model.fit`.
 *
 * @internal
 */
export async function fitModel(host: FitHost, data: TrainingData, options: FitOptions): Promise<FitResult> {
  host.checkAlive('fit');
  if (host.isFitting) throw new StateError(`${host.name}: fit() is already running on this model; wait for it (or abort it) before starting another`);
  const ds = host.checkData(data, 'fit');
  const opt = options?.optimizer;
  if (!opt || (opt.model as unknown) !== host) throw new ArgumentError('fit: options.optimizer must be an optimizer created for this model');
  if (opt.isDisposed) throw new StateError(`fit: the ${opt.kind} optimizer of ${host.name} has been disposed`);
  opt.checkHyperparameters();
  for (const name of ['onProgress', 'onEpochEnd', 'onBatchEnd', 'lrSchedule'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new ArgumentError(`fit: options.${name} must be a function, got ${describeValue(options[name])}`);
    }
  }
  if (options.earlyStopping !== undefined && (options.earlyStopping === null || typeof options.earlyStopping !== 'object')) {
    throw new ArgumentError(`fit: options.earlyStopping must be an object { monitor, patience, minDelta, restoreBestWeights }`);
  }
  const epochs = checkPositiveInt(options.epochs ?? 1, 'fit: epochs');
  const batchSize = checkPositiveInt(options.batchSize ?? 32, 'fit: batchSize');
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new ArgumentError(`fit: seed must be a non-negative integer, got ${describeValue(seed)}`);
  const validation = options.validation ? host.checkData(options.validation, 'fit: validation') : undefined;
  if (options.lrSchedule !== undefined && typeof options.lrSchedule !== 'function') {
    throw new ArgumentError('fit: lrSchedule must be a function (ctx) => lr, e.g. exponentialDecay({ rate: 0.01 })');
  }
  const es = options.earlyStopping;
  const monitor = es ? (es.monitor ?? (options.validation ? 'valLoss' : 'loss')) : 'loss';
  if (es) {
    const regression = host.loss === 'mse' || host.loss === 'huber';
    const metric = regression ? 'valMae' : 'valAccuracy';
    if (!['loss', 'valLoss', metric].includes(monitor)) {
      const wrong = monitor === 'valAccuracy' || monitor === 'valMae' ? ` (the model's loss '${host.loss}' reports ${metric})` : '';
      throw new ArgumentError(`fit: earlyStopping.monitor must be 'loss', 'valLoss' or '${metric}', got ${String(es.monitor)}${wrong}`);
    }
    if (monitor !== 'loss' && !options.validation) throw new ArgumentError(`fit: earlyStopping.monitor '${monitor}' needs options.validation`);
    if (es.patience !== undefined && (!Number.isInteger(es.patience) || es.patience < 0)) throw new ArgumentError(`fit: earlyStopping.patience must be a non-negative integer, got ${describeValue(es.patience)}`);
    if (es.minDelta !== undefined && !(es.minDelta >= 0)) throw new ArgumentError(`fit: earlyStopping.minDelta must be >= 0, got ${describeValue(es.minDelta)}`);
  }
  const [lo, hi] = splitSeed(seed);
  const prep: BatchPrep = {
    augment: checkAugment(options.augment, host.inputShape, lo, hi),
    normalize: checkNormalize(options.normalize, host.inputShape, 'fit'),
  };
  if (prep.augment && prep.augment.padding > 0 && prep.normalize) prep.normalize.checkPadding('fit');
  const yieldEvery = options.yieldEveryMs ?? 50;
  const shuffle = options.shuffle ?? true;
  const N = ds.count;
  const B0 = Math.min(batchSize, N);
  const permBytes = bufferBytes(N, `${host.name}: fit's shuffle permutation of ${N} samples`);
  // every sample and label, of the training and the validation data, checked up front (in wasm,
  // chunk by chunk through the input buffer): a bad sample must not stop training half-way
  host.prepareFit(ds, validation, B0);
  if (prep.normalize) {
    // ... and normalized once, so a value that overflows float32 there fails now, not half-way
    const only: BatchPrep = { augment: null, normalize: prep.normalize };
    for (const d of validation ? [ds, validation] : [ds]) {
      for (let s = 0; s < d.count; s += B0) host.loadBatch(d, null, s, Math.min(B0, d.count - s), only);
    }
  }
  if (options.signal?.aborted) return { history: [], stoppedEpoch: 0 };
  const permBlock = host.allocBlock(permBytes, 'shuffle permutation');
  const permPtr = permBlock.ptr;
  host.beginFit();
  const history: EpochLog[] = [];
  const result: FitResult = { history };
  const lr0 = opt.lr;
  const sign = monitor === 'valAccuracy' ? -1 : 1; // compare as "lower is better"
  let best = Infinity;
  let bestWeights: Float32Array[] | null = null;
  let waited = 0;
  let stop = false;
  try {
    const batches = Math.ceil(N / B0);
    const t0 = now();
    let lastYield = t0;
    let done = 0;
    let step = 0;
    let trainMs = 0; // time in data loading and steps only: callbacks and yields excluded
    for (let e = 0; e < epochs && !stop; e++) {
      const te = now();
      let epochTrainMs = 0;
      if (shuffle) host.kernels.permutation(permPtr, N, lo, hi, e);
      if (prep.augment) prep.augment.epoch = e;
      const perm = shuffle ? host.arena.i32(permPtr, N).slice() : null;
      let sum = 0;
      for (let bi = 0; bi < batches; bi++) {
        const tb = now();
        const s = bi * B0;
        const B = Math.min(B0, N - s);
        host.loadBatch(ds, perm, s, B, prep);
        if (options.lrSchedule) {
          const lr = options.lrSchedule({ epoch: e, step, stepsPerEpoch: batches, epochs, initialLr: lr0 });
          opt.setLearningRate(lr);
        }
        if (opt.isDisposed) throw new StateError(`fit: the ${opt.kind} optimizer of ${host.name} was disposed during training; ${step} steps were taken`);
        opt.checkHyperparameters();
        const batchLoss = host.stepLoaded(B, opt, true, true);
        sum += batchLoss * B;
        done += B;
        step++;
        const dt = now() - tb;
        trainMs += dt;
        epochTrainMs += dt;
        if (options.onBatchEnd && options.onBatchEnd({ epoch: e + 1, batch: bi + 1, loss: batchLoss, lr: opt.lr }) === false) {
          stop = true;
          result.stoppedEpoch = e + 1;
        }
        const t = now();
        if (options.signal?.aborted && !stop) {
          stop = true;
          result.stoppedEpoch = e + 1;
        }
        if (options.onProgress) {
          const elapsed = (t - t0) / 1000;
          const sps = done / Math.max(trainMs / 1000, 1e-9);
          options.onProgress({
            epoch: e + 1, epochs, batch: bi + 1, batches, loss: sum / (s + B),
            samplesPerSec: sps, elapsedSec: elapsed, etaSec: (epochs * N - done) / sps,
          });
        }
        if (host.isDisposed) throw new StateError(`fit: ${host.name} was disposed during training; it stopped after ${step} steps`);
        if (t - lastYield >= yieldEvery) {
          await new Promise((r) => setTimeout(r, 0));
          lastYield = now();
          if (host.isDisposed) throw new StateError(`fit: ${host.name} was disposed during training; it stopped after ${step} steps`);
          if (!host.arena.isOpen) throw new StateError(`fit: the ecopt runtime was shut down during training of ${host.name}; it stopped after ${step} steps`);
        }
        if (stop) break;
      }
      const seen = stop ? done - e * N : N;
      const seconds = (now() - te) / 1000;
      const log: EpochLog = { epoch: e + 1, loss: sum / seen, seconds, samplesPerSec: seen / Math.max(epochTrainMs / 1000, 1e-9) };
      if (options.validation) {
        const v = host.evaluate(options.validation!, { normalize: options.normalize });
        log.valLoss = v.loss;
        if (v.accuracy !== undefined) log.valAccuracy = v.accuracy;
        if (v.mae !== undefined) log.valMae = v.mae;
      }
      history.push(log);
      if (es) {
        const value = sign * (monitor === 'loss' ? log.loss : monitor === 'valLoss' ? log.valLoss! : monitor === 'valMae' ? log.valMae! : log.valAccuracy!);
        if (value < best - (es.minDelta ?? 0)) {
          best = value;
          waited = 0;
          result.bestEpoch = e + 1;
          if (es.restoreBestWeights) bestWeights = host.getWeights();
        } else if (++waited > (es.patience ?? 0)) {
          stop = true;
          result.stoppedEpoch = e + 1;
        }
      }
      if (options.onEpochEnd && options.onEpochEnd(log) === false && !stop) {
        stop = true;
        result.stoppedEpoch = e + 1;
      }
    }
    if (bestWeights) host.setWeights(bestWeights);
  } finally {
    host.arena.release(permBlock);
    host.endFit();
  }
  return result;
}

