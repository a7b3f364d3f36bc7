// Experiment unbalanced-init: one network whose hidden units are rescaled by powers of 2 within
// [1/c, c] (the same function, parameterised unevenly), trained by each optimizer: final accuracy vs c.
// The factor draw uses integer arithmetic only, so no JS Math.exp/log feeds training (rescale.ts).
import { PRESERVE_RHO, OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import { checkSeeds, plainOptimizers, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { mean, std } from './stats.js';
import { runRecipe, describeData, type DataRecipe } from './recipe.js';
import { mdTable, pct, runRefs } from './report.js';
import { lineChart, type Series } from './svgplot.js';

export async function unbalancedInit(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 5;
  const batchSize = 64;
  const cs = o.cs ?? [1, 2, 5, 10, 100];
  const widths = [784, 64, 64, 64, 64, 10];
  const ids = plainOptimizers(o, ['sgd', 'ecsgd', 'ecsgd-preserve']);
  const LR: Partial<Record<OptimizerId, number>> = { sgd: 0.1, ecsgd: 0.1, 'ecsgd-preserve': 0.01, pathsgd: 0.01, momentum: 0.01, ecmomentum: 0.01, adam: 1e-3, ecadam: 1e-3 };
  const data: DataRecipe = { dataset: 'mnist', train: { split: 'train', from: 0, to: Math.min(o.limit ?? 50000, 50000) }, eval: { split: 'test', from: 0, to: Math.min(o.testLimit ?? 10000, 10000) } };
  const probe = { split: 'test' as const, from: 0, to: 256 };
  const runs: (RunRecord & { c: number; maxLogitChange: number })[] = [];
  for (const c of cs) {
    for (let s = 0; s < seeds; s++) {
      for (const id of ids) {
        // the same factors for every optimizer, seeded by (seed, c); applied after the optimizer is created
        const r = await runRecipe({
          id: `unbalanced-init/c${c}/${id}/s${s}`, model: { kind: 'mlp', widths, bias: false }, data, optimizer: id, start: 'he',
          lr: LR[id] ?? 0.01, seed: s, epochs, batchSize, decay: 0.01, decayFrom: 0, rescale: { c, probe },
        }, log, { tag: `unbalanced-init c=${c}` });
        runs.push({ ...r, c, maxLogitChange: r.maxLogitChange as number });
      }
    }
  }
  const rows = cs.map((c) => [c, ...ids.map((id) => {
    const rs = runs.filter((r) => r.c === c && r.optimizer === id);
    const div = rs.filter((r) => r.diverged).length;
    return pct(rs.map((r) => r.finalTestAccuracy)) + (div ? ` (${div} of ${rs.length} diverged)` : '');
  }), Math.max(...runs.filter((r) => r.c === c).map((r) => r.maxLogitChange)).toExponential(1),
  ids.map((id) => `${id}: ${runRefs(runs.filter((r) => r.c === c && r.optimizer === id))}`).join('; ')]);
  const table = mdTable(['c', ...ids.map((id) => `${OPTIMIZER_LABELS[id]} (lr ${LR[id]}) final test acc %`), 'max rel. logit change from rescaling', 'runs (seed, weights SHA-256)'], rows);
  const series: Series[] = ids.map((id) => {
    const ys = cs.map((c) => runs.filter((r) => r.c === c && r.optimizer === id).map((r) => r.finalTestAccuracy * 100));
    return { name: OPTIMIZER_LABELS[id], x: cs, y: ys.map(mean), err: seeds > 1 ? ys.map(std) : undefined };
  });
  const lossSeries: Series[] = ids.map((id) => {
    const ys = cs.map((c) => runs.filter((r) => r.c === c && r.optimizer === id).map((r) => r.finalTrainLoss));
    return { name: OPTIMIZER_LABELS[id], x: cs, y: ys.map(mean) };
  });
  const svgs = {
    'accuracy-vs-c.svg': lineChart({ title: `Unbalanced init, MLP 784-64x4-10, ${epochs} epochs: test accuracy`, xLabel: 'c (unit scales 2^k, k uniform in [-floor(log2 c), floor(log2 c)])', yLabel: 'test accuracy (%)', series, logX: true }),
    'train-loss-vs-c.svg': lineChart({ title: 'Unbalanced init: final training loss', xLabel: 'c (unit scales 2^k, k uniform in [-floor(log2 c), floor(log2 c)])', yLabel: 'final-epoch training loss', series: lossSeries, logX: true, logY: true }),
  };
  return {
    description: 'One starting network (MLP 784-64-64-64-64-10, bias-free, seeded), its hidden units rescaled by factors ' +
      '2^k, k a uniform integer in [-floor(log2 c), floor(log2 c)] (model.rescaleHiddenUnit; powers of 2: the function is unchanged bit for bit). EC optimizers are created before the rescaling ' +
      '(their unit-skeleton init would otherwise undo it). Same batches for every optimizer; lr fixed per optimizer; lr_t = lr0 * exp(-0.01 t)',
    config: { model: '784-64-64-64-64-10 bias-free ReLU', cs, batchSize, epochs, seeds, lr: Object.fromEntries(ids.map((id) => [id, LR[id]])), preserveTrustRegion: PRESERVE_RHO, ecTrustRegion: 0.1, trainSamples: data.train.to, testSamples: data.eval.to },
    table, data: { dataset: await describeData(data, { probe }), runs }, svgs,
  };
}
