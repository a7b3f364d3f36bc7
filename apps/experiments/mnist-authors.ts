// Experiment mnist-authors: the authors' published MNIST run (Meng et al.'s official logs), repeated:
// bias-free MLP 784-64-64-64-64-10, ReLU, batch 64, the full 60k training images, lr 0.1 with
// lr_t = 0.1 * exp(-0.01 t), t = epoch from 1, 300 epochs, no grid. Arms (arms.ts): SGD and EC-SGD from
// the library's He-uniform init, and the controls that separate the optimizer from the start: SGD from
// the authors' init (PyTorch's U(+-1/sqrt(fan_in))), SGD from exactly the unit-skeleton network EC-SGD
// starts from, EC-SGD from the authors' init (their G-SGD: torch init, skeleton weights set to 1) and
// SGD from that network. Resumable: each finished run is appended to <out>/runs.jsonl and skipped
// when the study runs again.
import { checkSeeds, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { mean, std } from './stats.js';
import { runRecipe, describeData, type DataRecipe, type RunRecipe } from './recipe.js';
import { parseArm, armLabel, START_LABELS } from './arms.js';
import { Ledger } from './ledger.js';
import { mdTable, pct, num4, curves, armOfRun, runRefs, trFraction } from './report.js';
import { lineChart } from './svgplot.js';

/** The authors' single runs (official logs): final and best test accuracy, %. */
export const AUTHORS: Record<string, { final: number; best: number; name: string }> = {
  sgd: { final: 97.37, best: 97.47, name: 'SGD' },
  ecsgd: { final: 97.64, best: 97.68, name: 'G-SGD' },
};

export const AUTHORS_ARMS = ['sgd', 'ecsgd', 'sgd@torch', 'sgd@he+unit', 'ecsgd@torch', 'sgd@torch+unit'];

const best = (r: RunRecord) => Math.max(...r.epochs.map((e) => e.testAccuracy));

/** Paired (by seed) difference a - b of a statistic, in points: 'mean ± std (n)'. */
function paired(runs: RunRecord[], a: string, b: string, stat: (r: RunRecord) => number): string {
  const d: number[] = [];
  for (const ra of runs.filter((r) => armOfRun(r) === a)) {
    const rb = runs.find((r) => armOfRun(r) === b && r.seed === ra.seed);
    if (rb) d.push((stat(ra) - stat(rb)) * 100);
  }
  return d.length ? `${mean(d) >= 0 ? '+' : ''}${mean(d).toFixed(2)} ± ${std(d).toFixed(2)} (${d.length})` : '-';
}

export async function mnistAuthors(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 300;
  const batchSize = 64;
  const lr = 0.1;
  const arms = (o.optimizers ?? AUTHORS_ARMS).map((a) => parseArm(a).id);
  const data: DataRecipe = { dataset: 'mnist', train: { split: 'train', from: 0, to: Math.min(o.limit ?? 60000, 60000) }, eval: { split: 'test', from: 0, to: Math.min(o.testLimit ?? 10000, 10000) } };
  const recipe = (a: string, s: number): RunRecipe => {
    const arm = parseArm(a);
    return {
      id: `mnist-authors/${a}/s${s}`, model: { kind: 'mlp', widths: [784, 64, 64, 64, 64, 10], bias: false }, data,
      optimizer: arm.optimizer, start: arm.start, lr, seed: s, epochs, batchSize, decay: 0.01, decayFrom: 1,
    };
  };
  const ledger = new Ledger(o.out ? `${o.out}/runs.jsonl` : null);
  if (ledger.size) log(`[mnist-authors] ${ledger.size} finished runs in ${ledger.file}`);
  const runs: RunRecord[] = [];
  // the arms in pairs ([sgd, ecsgd] first), every seed of a pair before the next pair
  for (let k = 0; k < arms.length; k += 2) {
    for (let s = 0; s < seeds; s++) {
      for (const a of arms.slice(k, k + 2)) {
        const rc = recipe(a, s);
        let r = ledger.find(rc);
        if (!r && !o.reportOnly) {
          r = await runRecipe(rc, log);
          ledger.add(r);
          log(`[mnist-authors] finished ${rc.id}: final ${(r.finalTestAccuracy * 100).toFixed(2)}%, best ${(best(r) * 100).toFixed(2)}%, ${r.seconds.toFixed(0)} s, weights ${r.weightsSha256}`);
        }
        if (r) runs.push(r);
      }
    }
  }
  const present = arms.filter((a) => runs.some((r) => armOfRun(r) === a));
  const rows = present.map((a) => {
    const rs = runs.filter((r) => armOfRun(r) === a);
    const au = AUTHORS[a.replace('@torch', '')];
    const paper = a === 'sgd@torch' || a === 'ecsgd@torch' ? `${au.name}: ${au.final.toFixed(2)} / ${au.best.toFixed(2)}` : '';
    return [armLabel(a), START_LABELS[parseArm(a).start], rs.length, pct(rs.map((r) => r.finalTestAccuracy)), pct(rs.map(best)), paper,
      num4(rs.map((r) => r.finalTrainLoss)), mean(rs.map((r) => r.seconds / Math.max(1, r.epochs.length))).toFixed(2), trFraction(rs), runRefs(rs)];
  });
  const table = mdTable(['arm', 'start', 'seeds', 'final test acc % (mean ± std)', 'best-epoch test acc %', 'authors, one run (final / best)', 'final train loss', 's/epoch', 'steps trust-region-limited', 'runs (seed, weights SHA-256)'], rows);
  const splits: [string, string, string][] = [
    ['EC-SGD - SGD (He init)', 'ecsgd', 'sgd'],
    ["  optimizer part: EC-SGD - SGD (EC-SGD's start)", 'ecsgd', 'sgd@he+unit'],
    ["  start part: SGD (EC-SGD's start) - SGD", 'sgd@he+unit', 'sgd'],
    ['EC-SGD (torch init) - SGD (torch init), the authors\' comparison', 'ecsgd@torch', 'sgd@torch'],
    ["  optimizer part: EC-SGD (torch init) - SGD (EC-SGD's torch start)", 'ecsgd@torch', 'sgd@torch+unit'],
    ["  start part: SGD (EC-SGD's torch start) - SGD (torch init)", 'sgd@torch+unit', 'sgd@torch'],
    ['SGD (torch init) - SGD (He init)', 'sgd@torch', 'sgd'],
    ['EC-SGD (torch init) - EC-SGD (He init)', 'ecsgd@torch', 'ecsgd'],
  ];
  const gapRows = splits.filter(([, a, b]) => present.includes(a) && present.includes(b))
    .map(([name, a, b]) => [name, paired(runs, a, b, (r) => r.finalTestAccuracy), paired(runs, a, b, best)]);
  const gapTable = mdTable(['difference, paired by seed (points)', 'final test acc (mean ± std (pairs))', 'best-epoch test acc'], gapRows);
  // the controls start where claimed: same initial weights, bit for bit
  const sameStart = (a: string, b: string) => runs.filter((r) => armOfRun(r) === a).map((r) => {
    const rb = runs.find((x) => armOfRun(x) === b && x.seed === r.seed);
    return rb ? `s${r.seed} ${r.initialWeightsSha256 === rb.initialWeightsSha256 ? 'same' : 'DIFFERENT'}` : '';
  }).filter(Boolean).join(', ');
  const startChecks = { 'ecsgd vs sgd@he+unit': sameStart('ecsgd', 'sgd@he+unit'), 'ecsgd@torch vs sgd@torch+unit': sameStart('ecsgd@torch', 'sgd@torch+unit') };
  const title = 'MNIST, MLP 784-64x4-10 (bias-free), lr 0.1 exp(-0.01 t), 60k';
  const svgs = {
    'test-accuracy.svg': lineChart({ title: `${title}: test accuracy`, xLabel: 'epoch', yLabel: 'test accuracy (%), mean over seeds', series: curves(runs, present, 'testAccuracy', 100) }),
    'test-accuracy-late.svg': lineChart({ title: `${title}: test accuracy from epoch 20`, xLabel: 'epoch', yLabel: 'test accuracy (%), mean over seeds', series: curves(runs, present, 'testAccuracy', 100, 20) }),
    'train-loss.svg': lineChart({ title: `${title}: training loss`, xLabel: 'epoch', yLabel: 'mean training loss (cross-entropy)', series: curves(runs, present, 'trainLoss'), logY: true }),
  };
  return {
    description: 'The authors\' MNIST run: MLP 784-64-64-64-64-10, bias-free, ReLU, batch 64, all 60,000 training images, the 10,000 test images, ' +
      'lr_t = 0.1 * exp(-0.01 t) with t the epoch counted from 1 (the library\'s exponentialDecay called with ScheduleContext.epoch + 1), no lr grid',
    config: {
      model: '784-64-64-64-64-10 bias-free ReLU', batchSize, epochs, seeds, lr, arms, trainSamples: data.train.to, testSamples: data.eval.to,
      lrSchedule: '0.1 * exp(-0.01 * t), t = epoch from 1 (first epoch at 0.1 * exp(-0.01))',
      starts: { he: 'the model\'s Dense init (He-uniform, seeded by the run seed)', torch: 'U(-1/sqrt(fan_in), 1/sqrt(fan_in)) from a seeded integer generator (starts.ts)', '+unit': 'then the skeleton weights set to 1 by creating an ECSGD optimizer (init unit-skeleton), copied into a fresh model' },
      ecOptions: 'EC-SGD: trustRegion 0.1, skeletonFloor 0.1, init unit-skeleton (defaults)',
      authors: AUTHORS, finishedRuns: runs.length, plannedRuns: arms.length * seeds,
    },
    table: `${table}\n\n${gapTable}`, data: { dataset: await describeData(data), runs, gapTable, startChecks }, svgs,
  };
}
