// One training run of an experiment: build the network, put it at its starting point, create the
// optimizer, fit with the lr decay, evaluate after every epoch, and record the result with the SHA-256
// of the weights at the start and after every epoch (a divergence is recorded, not thrown).
import { NonFiniteError, exponentialDecay, type Dataset, type LRSchedule, type Optimizer, type Model } from 'ecopt';
import { makeOptimizer, type OptimizerId } from './optimizers.js';
import type { EpochRecord, RunRecord } from './records.js';
import { weightsSha256 } from './provenance.js';

/** One run: optimizer, lr, seed, data and the network to build. */
export interface RunSpec {
  tag: string;
  /** Shown in the progress lines (default: the optimizer id). */
  label?: string;
  optimizer: OptimizerId;
  lr: number;
  seed: number;
  epochs: number;
  batchSize: number;
  train: Dataset;
  test: Dataset;
  /** lr_t = lr0 * exp(-decay * t) per epoch (default 0.01, as the paper's MLP run); exponentialDecay, in wasm. */
  decay?: number;
  /**
   * What t the first epoch has: 0 (default: the library's clock, ScheduleContext.epoch, so the first
   * epoch runs at lr0) or 1 (the authors' lr_t = lr0 * exp(-decay * t), t = epoch from 1: the schedule
   * is called with epoch + 1, so the first epoch runs at lr0 * exp(-decay)).
   */
  decayFrom?: 0 | 1;
  /** Trust-region radius for EC optimizers (default: the optimizer's). */
  trustRegion?: number;
  /** Builds the network (seeded with `seed`). */
  model: () => Model;
  /** Puts the built network at its starting point before the optimizer is created; may return a fresh model (the given one is then disposed). */
  start?: (model: Model) => Model;
  /** Called after the optimizer is created, before training (e.g. to rescale hidden units). */
  prepare?: (model: Model) => void;
  log: (line: string) => void;
  quiet?: boolean;
}

/** The lr schedule of a run: exponentialDecay (in wasm), its clock shifted by decayFrom epochs. */
export function runSchedule(decay: number, decayFrom: 0 | 1 = 0): LRSchedule {
  const base = exponentialDecay({ rate: decay });
  return decayFrom === 0 ? base : (c) => base({ ...c, epoch: c.epoch + decayFrom });
}

export async function trainRun(spec: RunSpec): Promise<RunRecord> {
  let model = spec.model();
  const t0 = performance.now();
  const decay = spec.decay ?? 0.01;
  const label = spec.label ?? spec.optimizer;
  const rec: RunRecord = {
    optimizer: spec.optimizer, lr: spec.lr, seed: spec.seed, epochs: [], finalTestAccuracy: NaN, finalTestLoss: NaN,
    finalTrainLoss: NaN, diverged: false, seconds: 0,
  };
  try {
    if (spec.start) {
      const m = spec.start(model);
      if (m !== model) { model.dispose(); model = m; }
    }
    const opt = makeOptimizer(spec.optimizer, model, spec.lr, { trustRegion: spec.trustRegion });
    spec.prepare?.(model);
    rec.initialWeightsSha256 = weightsSha256(model);
    let te = performance.now();
    const ec = opt as Optimizer & { lastStepScale?: number; rho?: number };
    const tracked = typeof ec.lastStepScale === 'number';
    const scales: number[] = [];
    let epochCapped = 0, epochSteps = 0;
    if (typeof ec.rho === 'number') rec.trustRegion = ec.rho;
    try {
      await model.fit(spec.train, {
        optimizer: opt, epochs: spec.epochs, batchSize: spec.batchSize, seed: spec.seed, yieldEveryMs: 1000,
        lrSchedule: runSchedule(decay, spec.decayFrom ?? 0),
        onProgress: tracked ? () => { const s = ec.lastStepScale!; scales.push(s); epochSteps++; if (s < 1) epochCapped++; } : undefined,
        onEpochEnd: (l) => {
          const ev = model.evaluate(spec.test);
          const now = performance.now();
          const r: EpochRecord = { epoch: l.epoch, lr: opt.lr, trainLoss: l.loss, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: (now - te) / 1000, weightsSha256: weightsSha256(model) };
          if (tracked) { r.trustRegionActive = epochCapped / Math.max(1, epochSteps); epochCapped = 0; epochSteps = 0; }
          te = now;
          rec.epochs.push(r);
          if (!spec.quiet) {
            spec.log(`[${spec.tag}] ${label} lr=${spec.lr} seed ${spec.seed} epoch ${l.epoch}/${spec.epochs}  ` +
              `train loss ${l.loss.toFixed(4)}  test acc ${(ev.accuracy * 100).toFixed(2)}%  (${r.seconds.toFixed(1)}s)`);
          }
          if (!Number.isFinite(l.loss)) return false;
        },
      });
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      rec.diverged = true;
      rec.error = e.message.split('. ')[0];
      if (!spec.quiet) spec.log(`[${spec.tag}] ${label} lr=${spec.lr} seed ${spec.seed}: diverged (${rec.error})`);
    }
    if (scales.length) {
      rec.trustRegionActive = scales.filter((x) => x < 1).length / scales.length;
      rec.trustRegionSteps = scales.length;
      scales.sort((a, b) => a - b);
      rec.trustRegionMedianScale = scales[scales.length >> 1];
    }
    const ev = model.evaluate(spec.test);
    rec.finalTestAccuracy = ev.accuracy;
    rec.finalTestLoss = ev.loss;
    rec.finalTrainLoss = rec.epochs.length ? rec.epochs[rec.epochs.length - 1].trainLoss : NaN;
    if (rec.diverged) rec.finalTrainLoss = NaN;
    rec.weightsSha256 = weightsSha256(model);
  } finally {
    model.dispose();
  }
  rec.seconds = (performance.now() - t0) / 1000;
  return rec;
}
