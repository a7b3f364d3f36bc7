// Experiment overhead: the time per training step of each optimizer relative to SGD (step-times.ts).
import { OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import { plainOptimizers, type ExperimentOptions } from './options.js';
import { measureStepTimes } from './step-times.js';
import { mdTable } from './report.js';

export async function overhead(o: ExperimentOptions, log: (s: string) => void) {
  const ids: OptimizerId[] = plainOptimizers(o, ['sgd', 'ecsgd', 'pathsgd', 'momentum', 'ecmomentum', 'adam', 'ecadam']);
  const steps = o.steps ?? 30;
  const cnnSteps = o.steps ?? 10;
  const timings = await measureStepTimes({ ids, steps, cnnSteps, cnn: o.cnn ?? 'cnn', log });
  const table = mdTable(['model', 'batch', 'optimizer', 'median ms/step', 'p10-p90 ms', 'update alone, ms', 'samples/s', 'step time / SGD step time'],
    timings.map((t) => [t.model, t.batchSize, OPTIMIZER_LABELS[t.optimizer], t.medianMs.toFixed(2), `${t.p10Ms.toFixed(2)}-${t.p90Ms.toFixed(2)}`, t.updateMs.toFixed(3), Math.round(t.samplesPerSec), t.ratioToSGD.toFixed(3)]));
  return {
    description: 'Wall time per training step (forward + backward + update) on a fixed real-MNIST batch; optimizers stepped ' +
      `round-robin (rotating order), median of ${steps} (MLP) / ${cnnSteps} (CNN) rounds after 3 warm-up rounds; "update alone" times optimizer.apply() by itself`,
    config: { steps, cnnSteps, warmup: 3, optimizers: ids, cnn: o.cnn ?? 'cnn' },
    table, data: { timings }, svgs: {} as Record<string, string>,
  };
}
