// Learning-rate schedules for fit(): step, exponential and cosine decay. The rate is computed in
// wasm (lr_schedule) so that Node and browsers train with bit-identical rates.
import { getRuntime } from '../core/wasm.js';
import { Schedule } from '../core/abi.gen.js';
import { ArgumentError, checkNumber, checkPositiveInt, describeValue } from '../core/errors.js';

/**
 * What a schedule sees before every batch. Its clock counts from 0: `epoch` is 0-based (0 during the
 * first epoch), unlike the 1-based EpochLog.epoch, ProgressEvent.epoch and BatchEndEvent.epoch of
 * fit()'s callbacks (so a schedule's epoch e is the callbacks' epoch e + 1). With per-epoch decays
 * the first epoch therefore runs at initialLr.
 */
export interface ScheduleContext {
  /** 0-based epoch: 0 for the first epoch of this fit() call. */
  epoch: number;
  /** 0-based global step: batches taken since this fit() call started. */
  step: number;
  /** Batches per epoch. */
  stepsPerEpoch: number;
  /** Epochs of this fit() call (options.epochs). */
  epochs: number;
  /** The optimizer's learning rate when fit started. */
  initialLr: number;
}

/** Returns the learning rate for the coming batch. */
export type LRSchedule = (ctx: ScheduleContext) => number;

/** lr0 * gamma^floor(epoch / stepSize) (Keras/PyTorch StepLR, per epoch). */
export function stepDecay(options: { stepSize: number; gamma?: number }): LRSchedule {
  const stepSize = checkPositiveInt(options?.stepSize, 'stepDecay: stepSize');
  const gamma = checkNumber(options.gamma ?? 0.1, 'stepDecay: gamma', 0, 1, true);
  return (c) => getRuntime().kernels.lr_schedule(Schedule.Step, c.initialLr, gamma, stepSize, c.epoch, 0);
}

/**
 * lr0 * exp(-rate * (t + offset)), t in epochs (default) or steps counted from 0. The paper's MLP
 * setting is rate 0.01 per epoch; the authors' published logs count epochs from 1 (`offset: 1`: the
 * first epoch already runs at lr0 * exp(-rate)).
 */
export function exponentialDecay(options: { rate: number; per?: 'epoch' | 'step'; offset?: number }): LRSchedule {
  const rate = checkNumber(options?.rate, 'exponentialDecay: rate', 0, Infinity);
  const perStep = options.per === 'step';
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ArgumentError(`exponentialDecay: offset must be a non-negative integer (epochs or steps added to the clock), got ${describeValue(offset)}`);
  return (c) => getRuntime().kernels.lr_schedule(Schedule.Exponential, c.initialLr, rate, 0, (perStep ? c.step : c.epoch) + offset, 0);
}

/**
 * Cosine annealing from lr0 to minLr over the whole fit, per step (default) or per epoch. The last
 * step (or epoch) runs at exactly minLr; with the default minLr 0 that step changes no weight.
 */
export function cosineDecay(options: { minLr?: number; per?: 'epoch' | 'step' } = {}): LRSchedule {
  const minLr = checkNumber(options.minLr ?? 0, 'cosineDecay: minLr', 0, Infinity);
  const perEpoch = options.per === 'epoch';
  return (c) => getRuntime().kernels.lr_schedule(Schedule.Cosine, c.initialLr, minLr, 0,
    perEpoch ? c.epoch : c.step, perEpoch ? c.epochs - 1 : c.epochs * c.stepsPerEpoch - 1);
}

/**
 * Linear warmup: the learning rate rises from initialLr / steps to initialLr over the first `steps`
 * batches (lr = initialLr * (step + 1) / steps), then follows `then` (called with fit's own clock,
 * so a cosineDecay after it spans the whole fit) or stays at initialLr. E.g.
 * `lrSchedule: linearWarmup({ steps: 500 }, cosineDecay())`. Exact IEEE arithmetic: the same rates
 * in every engine.
 */
export function linearWarmup(options: { steps: number }, then?: LRSchedule): LRSchedule {
  const steps = checkPositiveInt(options?.steps, 'linearWarmup: steps');
  if (then !== undefined && typeof then !== 'function') throw new ArgumentError('linearWarmup: the second argument must be a schedule (ctx) => lr, e.g. cosineDecay()');
  return (c) => (c.step < steps ? (c.initialLr * (c.step + 1)) / steps : then ? then(c) : c.initialLr);
}
