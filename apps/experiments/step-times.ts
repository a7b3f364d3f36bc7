// Wall time of training steps per optimizer on a fixed real-MNIST batch (MLP and CNN), stepped
// round-robin so outside load hits every optimizer alike: the overhead experiment and `ecopt bench`.
import { Sequential, loadMNIST, type Layer } from 'ecopt';
import { buildMLP, buildCNN } from './models.js';
import { makeOptimizer, OPTIMIZER_LABELS, PRESERVE_LR, type OptimizerId } from './optimizers.js';
import { median } from './stats.js';
import { weightsSha256 } from './provenance.js';

/** The timing of one optimizer on one model. */
export interface StepTiming {
  model: string; batchSize: number; optimizer: OptimizerId;
  /** Whole training step (forward, loss, backward, guarded update): median and 10th/90th percentiles, ms. */
  medianMs: number; p10Ms: number; p90Ms: number;
  /** The optimizer's update alone (optimizer.apply() on the step's gradients), median ms. */
  updateMs: number;
  samplesPerSec: number; ratioToSGD: number; steps: number;
  /** SHA-256 of the model's weights after the 3 + steps rounds (each a training step and one more apply()): the timed work is deterministic. */
  weightsSha256?: string;
}

/**
 * Wall time of training steps on a fixed real-MNIST batch for the MLP 784-512-512-10 (batch 128) and
 * a CNN (batch 64). All optimizers' models are built first and stepped round-robin (the order rotates
 * every round), so load from other processes hits every optimizer alike; 3 warm-up rounds, then
 * `steps` timed rounds. Also times the update alone (optimizer.apply() once more on the same gradients).
 */
export async function measureStepTimes(opts: { ids: OptimizerId[]; steps?: number; cnnSteps?: number; cnn?: 'cnn' | 'cnn-small'; log?: (s: string) => void }): Promise<StepTiming[]> {
  const { train } = await loadMNIST({ trainLimit: 128 });
  const cnn = opts.cnn ?? 'cnn';
  const ids = opts.ids.includes('sgd') ? opts.ids : (['sgd', ...opts.ids] as OptimizerId[]);
  const cases: { name: string; B: number; steps: number; make: () => Layer[] }[] = [
    { name: 'MLP 784-512-512-10', B: 128, steps: opts.steps ?? 30, make: () => buildMLP([784, 512, 512, 10]) },
    { name: cnn === 'cnn' ? 'CNN 32/64 (5x5 convs)' : 'CNN 8/16 (cnn-small)', B: 64, steps: opts.cnnSteps ?? opts.steps ?? 10, make: () => buildCNN(cnn) },
  ];
  const lr: Record<OptimizerId, number> = { sgd: 0.01, momentum: 0.01, adam: 1e-3, ecsgd: 0.01, 'ecsgd-preserve': PRESERVE_LR, ecmomentum: 0.01, ecadam: 1e-3, pathsgd: 0.01,
    'ecsgd-graph': 0.01, 'ecsgd-blocks': 0.01, 'ecmomentum-graph': 0.01, 'ecmomentum-blocks': 0.01 };
  const out: StepTiming[] = [];
  for (const c of cases) {
    const x = train.images.subarray(0, c.B * 784);
    const y = train.labels.subarray(0, c.B);
    const runs = ids.map((id) => {
      const model = new Sequential(c.make(), { seed: 0 });
      return { id, model, opt: makeOptimizer(id, model, lr[id]), step: [] as number[], update: [] as number[] };
    });
    const hashes = new Map<OptimizerId, string>();
    try {
      for (let round = 0; round < 3 + c.steps; round++) {
        for (let k = 0; k < runs.length; k++) {
          const r = runs[(k + round) % runs.length];
          const t0 = performance.now();
          r.model.trainBatch(x, y, r.opt);
          const t1 = performance.now();
          r.opt.apply();
          const t2 = performance.now();
          if (round >= 3) { r.step.push(t1 - t0); r.update.push(t2 - t1); }
        }
      }
      for (const r of runs) hashes.set(r.id, weightsSha256(r.model));
    } finally {
      for (const r of runs) r.model.dispose();
    }
    const sgdMedian = median(runs.find((r) => r.id === 'sgd')!.step);
    for (const r of runs) {
      const v = r.step.slice().sort((a, b) => a - b);
      const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))];
      const med = median(v);
      const t: StepTiming = {
        model: c.name, batchSize: c.B, optimizer: r.id, medianMs: med, p10Ms: q(0.1), p90Ms: q(0.9), updateMs: median(r.update),
        samplesPerSec: (c.B * 1000) / med, ratioToSGD: med / sgdMedian, steps: c.steps, weightsSha256: hashes.get(r.id),
      };
      out.push(t);
      opts.log?.(`[overhead] ${c.name} batch ${c.B} ${OPTIMIZER_LABELS[r.id]}: step ${med.toFixed(2)} ms (p10 ${t.p10Ms.toFixed(2)}, p90 ${t.p90Ms.toFixed(2)}), ` +
        `update alone ${t.updateMs.toFixed(3)} ms, ${Math.round(t.samplesPerSec)} samples/s, ${t.ratioToSGD.toFixed(3)}x SGD`);
    }
  }
  return out;
}
