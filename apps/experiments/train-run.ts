// One training run of an experiment: build the network, create the optimizer, fit with the lr decay,
// evaluate after every epoch, and record the result (a divergence is recorded, not thrown).
import { NonFiniteError, exponentialDecay, type Dataset, type Optimizer, type Sequential } from 'ecopt';
import { makeOptimizer, OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import type { EpochRecord, RunRecord } from './records.js';

/** One run: optimizer, lr, seed, data and the network to build. */
export interface RunSpec {
  tag: string;
  optimizer: OptimizerId;
  lr: number;
  seed: number;
  epochs: number;
  batchSize: number;
  train: Dataset;
  test: Dataset;
  /** lr_t = lr0 * exp(-decay * t), t = epoch index from 0 (default 0.01, as the paper's MLP run); exponentialDecay, in wasm. */
  decay?: number;
  /** Trust-region radius for EC optimizers (default: the optimizer's). */
  trustRegion?: number;
  /** Builds the network (seeded with `seed`). */
  model: () => Sequential;
  /** Called after the optimizer is created, before training (e.g. to rescale hidden units). */
  prepare?: (model: Sequential) => void;
  log: (line: string) => void;
  quiet?: boolean;
}

export async function trainRun(spec: RunSpec): Promise<RunRecord> {
  const model = spec.model();
  const t0 = performance.now();
  const decay = spec.decay ?? 0.01;
  const rec: RunRecord = {
    optimizer: spec.optimizer, lr: spec.lr, seed: spec.seed, epochs: [], finalTestAccuracy: NaN, finalTestLoss: NaN,
    finalTrainLoss: NaN, diverged: false, seconds: 0,
  };
  try {
    const opt = makeOptimizer(spec.optimizer, model, spec.lr, { trustRegion: spec.trustRegion });
    spec.prepare?.(model);
    let te = performance.now();
    const ec = opt as Optimizer & { lastStepScale?: number; rho?: number };
    const scales: number[] = [];
    if (typeof ec.rho === 'number') rec.trustRegion = ec.rho;
    try {
      await model.fit(spec.train, {
        optimizer: opt, epochs: spec.epochs, batchSize: spec.batchSize, seed: spec.seed, yieldEveryMs: 1000,
        lrSchedule: exponentialDecay({ rate: decay }),
        onProgress: typeof ec.lastStepScale === 'number' ? () => { scales.push(ec.lastStepScale!); } : undefined,
        onEpochEnd: (l) => {
          const ev = model.evaluate(spec.test);
          const now = performance.now();
          const r: EpochRecord = { epoch: l.epoch, lr: opt.lr, trainLoss: l.loss, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: (now - te) / 1000 };
          te = now;
          rec.epochs.push(r);
          if (!spec.quiet) {
            spec.log(`[${spec.tag}] ${OPTIMIZER_LABELS[spec.optimizer]} lr=${spec.lr} seed ${spec.seed} epoch ${l.epoch}/${spec.epochs}  ` +
              `train loss ${l.loss.toFixed(4)}  test acc ${(ev.accuracy * 100).toFixed(2)}%  (${r.seconds.toFixed(1)}s)`);
          }
          if (!Number.isFinite(l.loss)) return false;
        },
      });
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      rec.diverged = true;
      rec.error = e.message.split('. ')[0];
      if (!spec.quiet) spec.log(`[${spec.tag}] ${OPTIMIZER_LABELS[spec.optimizer]} lr=${spec.lr} seed ${spec.seed}: diverged (${rec.error})`);
    }
    if (scales.length) {
      rec.trustRegionActive = scales.filter((x) => x < 1).length / scales.length;
      scales.sort((a, b) => a - b);
      rec.trustRegionMedianScale = scales[scales.length >> 1];
    }
    const ev = model.evaluate(spec.test);
    rec.finalTestAccuracy = ev.accuracy;
    rec.finalTestLoss = ev.loss;
    rec.finalTrainLoss = rec.epochs.length ? rec.epochs[rec.epochs.length - 1].trainLoss : NaN;
    if (rec.diverged) rec.finalTrainLoss = NaN;
  } finally {
    model.dispose();
  }
  rec.seconds = (performance.now() - t0) / 1000;
  return rec;
}
