// Experiment unbalanced-init: one network whose hidden units are rescaled by powers of 2 within
// [1/c, c] (the same function, parameterised unevenly), trained by each optimizer: final accuracy vs c.
// The factor draw uses integer arithmetic only, so no JS Math.exp/log feeds training.
import { Sequential, loadMNIST, type Dense } from 'ecopt';
import { buildMLP } from './models.js';
import { PRESERVE_RHO, OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import { checkSeeds, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { slice, head } from './subsets.js';
import { mean, std } from './stats.js';
import { trainRun } from './train-run.js';
import { mdTable, pct } from './report.js';
import { lineChart, type Series } from './svgplot.js';

/** mulberry32: a seeded uint32 generator from integer operations only (the same numbers in every engine). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The largest k with 2^k <= c (0 for c < 2), by exact doubling. */
function log2Floor(c: number): number {
  let k = 0;
  for (let p = 2; p <= c; p *= 2) k++;
  return k;
}

/** 2^k for an integer k, exact (doublings or halvings of 1). */
function powerOf2(k: number): number {
  let f = 1;
  for (; k > 0; k--) f *= 2;
  for (; k < 0; k++) f /= 2;
  return f;
}

export async function unbalancedInit(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 5;
  const batchSize = 64;
  const cs = o.cs ?? [1, 2, 5, 10, 100];
  const widths = [784, 64, 64, 64, 64, 10];
  const ids: OptimizerId[] = o.optimizers ?? ['sgd', 'ecsgd', 'ecsgd-preserve'];
  const LR: Partial<Record<OptimizerId, number>> = { sgd: 0.1, ecsgd: 0.1, 'ecsgd-preserve': 0.01, pathsgd: 0.01, momentum: 0.01, ecmomentum: 0.01, adam: 1e-3, ecadam: 1e-3 };
  const { train: full, test: testFull } = await loadMNIST();
  const train = head(slice(full, 0, 50000), o.limit);
  const test = head(testFull, o.testLimit);
  let curSeed = 0;
  const model = () => new Sequential(buildMLP(widths, false), { seed: curSeed });
  const probe = slice(testFull, 0, 256);
  const runs: (RunRecord & { c: number; maxLogitChange: number })[] = [];
  for (const c of cs) {
    for (let s = 0; s < seeds; s++) {
      for (const id of ids) {
        curSeed = s;
        let change = 0;
        const prepare = (m: Sequential) => {
          // the same factors for every optimizer, seeded by (seed, c): 2^k with k a uniform integer in
          // [-K, K], K = floor(log2 c). Powers of 2 rescale exactly in float32 (no JS Math.exp/log
          // feeds training), so the rescaled network computes bit for bit the same function.
          const next = mulberry32(1000003 * (s + 1) + Math.round(c * 1000));
          const K = log2Floor(c);
          const before = m.predict(probe.images, probe.count);
          const dense = m.layers.map((l, i) => (l.kind === 'Dense' ? i : -1)).filter((i) => i >= 0).slice(0, -1);
          for (const li of dense) {
            const units = (m.layers[li] as Dense).outFeatures;
            for (let u = 0; u < units; u++) m.rescaleHiddenUnit(li, u, powerOf2((next() % (2 * K + 1)) - K));
          }
          const after = m.predict(probe.images, probe.count);
          let scale = 0;
          for (let i = 0; i < before.length; i++) { change = Math.max(change, Math.abs(after[i] - before[i])); scale = Math.max(scale, Math.abs(before[i])); }
          change /= Math.max(scale, 1e-30);
        };
        const r = await trainRun({ tag: `unbalanced-init c=${c}`, optimizer: id, lr: LR[id] ?? 0.01, seed: s, epochs, batchSize, train, test, model, prepare, log });
        runs.push({ ...r, c, maxLogitChange: change });
      }
    }
  }
  const rows = cs.map((c) => [c, ...ids.map((id) => {
    const rs = runs.filter((r) => r.c === c && r.optimizer === id);
    const div = rs.filter((r) => r.diverged).length;
    return pct(rs.map((r) => r.finalTestAccuracy)) + (div ? ` (${div} diverged)` : '');
  }), Math.max(...runs.filter((r) => r.c === c).map((r) => r.maxLogitChange)).toExponential(1)]);
  const table = mdTable(['c', ...ids.map((id) => `${OPTIMIZER_LABELS[id]} (lr ${LR[id]}) final test acc %`), 'max rel. logit change from rescaling'], rows);
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
    config: { model: '784-64-64-64-64-10 bias-free ReLU', cs, batchSize, epochs, seeds, lr: Object.fromEntries(ids.map((id) => [id, LR[id]])), preserveTrustRegion: PRESERVE_RHO, ecTrustRegion: 0.1, trainSamples: train.count, testSamples: test.count },
    table, data: { runs }, svgs,
  };
}
