// Experiment resnet-study: the paper's headline networks on the data we have (Fashion-MNIST at
// 28x28, CIFAR-10 cannot be downloaded here): PlainNet and ResNet (BatchNorm, projection shortcuts)
// at depths 8 and 20, trained with SGD, whole-graph EC-SGD (mode 'graph') and per-block EC-SGD
// (mode 'blocks', the authors' scheme) on a 10,000-image training subset, every run the same number
// of epochs. The paper's claim: G-SGD's advantage over SGD is larger for PlainNet than for ResNet.
// Resumable: each finished run is appended to <out>/runs.jsonl and skipped when the study runs again,
// so it can run in the background across sessions; `shard: [k, n]` trains only every n-th run of the
// plan (from the k-th), so n processes can share one ledger (each appends whole lines).
// The lr decays as 0.1 exp(-0.6 t) (t = epoch from 0; 0.009 in the fifth epoch): with 0.1 exp(-0.1 t)
// (0.067 in the fifth epoch) the BatchNorm networks' test accuracy jumped by up to 25 points from one
// epoch to the next (12 runs, in the first ledger), so a final accuracy measured mostly that jitter.
import { checkSeeds, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { mean, median, std } from './stats.js';
import { runRecipe, describeData, type DataRecipe, type RunRecipe } from './recipe.js';
import { OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import { Ledger } from './ledger.js';
import { mdTable, pct, curves, runRefs } from './report.js';
import { lineChart } from './svgplot.js';

export const STUDY_ARMS: OptimizerId[] = ['sgd', 'ecsgd-graph', 'ecsgd-blocks'];
const NETS = [['plainnet', 8], ['resnet', 8], ['plainnet', 20], ['resnet', 20]] as const;

/** Decay rate of lr_t = lr exp(-DECAY t) per epoch. */
const DECAY = 0.6;

/** Student's t quantile for a two-sided 95% interval with n - 1 degrees of freedom (n <= 10). */
const T95 = [NaN, 12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26];

/** Paired (by seed) differences a - b of a final figure of the runs. */
function pairedGap(runs: RunRecord[], a: string, b: string, figure: (r: RunRecord) => number): number[] {
  const d: number[] = [];
  for (const ra of runs.filter((r) => r.arm === a)) {
    const rb = runs.find((r) => r.arm === b && r.seed === ra.seed);
    if (rb) d.push(figure(ra) - figure(rb));
  }
  return d;
}

/** 'mean ± half-width of the 95% interval (n)' of paired differences. */
function ci(d: number[], digits = 2): string {
  if (d.length === 0) return '-';
  const half = d.length > 1 ? (T95[Math.min(d.length - 1, 9)] * std(d)) / Math.sqrt(d.length) : NaN;
  return `${mean(d) >= 0 ? '+' : ''}${mean(d).toFixed(digits)} ± ${Number.isFinite(half) ? half.toFixed(digits) : '?'} (${d.length})`;
}

export async function resnetStudy(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 5;
  const batchSize = 128;
  const lr = 0.1;
  const arms = (o.optimizers ?? STUDY_ARMS) as OptimizerId[];
  for (const a of arms) if (!(a in OPTIMIZER_LABELS)) throw new RangeError(`resnet-study: unknown optimizer '${a}' (e.g. ${STUDY_ARMS.join(', ')})`);
  const nets = o.depths ? NETS.filter(([, d]) => o.depths!.includes(d)) : NETS;
  const data: DataRecipe = { dataset: 'fashion-mnist', train: { split: 'train', from: 0, to: Math.min(o.limit ?? 10000, 60000) }, eval: { split: 'test', from: 0, to: Math.min(o.testLimit ?? 10000, 10000) } };
  const recipe = (net: (typeof NETS)[number], a: OptimizerId, s: number): RunRecipe => ({
    id: `resnet-study/${net[0]}${net[1]}/${a}/s${s}`, model: { kind: net[0], depth: net[1] }, data,
    optimizer: a, start: 'he', lr, seed: s, epochs, batchSize, decay: DECAY, decayFrom: 0,
  });
  const [shard, shards] = o.shard ?? [0, 1];
  const ledger = new Ledger(o.out ? `${o.out}/runs.jsonl` : null);
  if (ledger.size) log(`[resnet-study] ${ledger.size} finished runs in ${ledger.file}`);
  const byNet = new Map<string, RunRecord[]>();
  // cheapest networks first, all arms of a seed before the next seed: a partial study is balanced
  let planIndex = 0;
  for (const net of nets) {
    const runs: RunRecord[] = [];
    for (let s = 0; s < seeds; s++) {
      for (const a of arms) {
        const rc = recipe(net, a, s);
        const mine = planIndex++ % shards === shard;
        let r = ledger.find(rc);
        if (!r && !o.reportOnly && mine) {
          r = await runRecipe(rc, log);
          ledger.add(r);
          log(`[resnet-study] finished ${rc.id}: ${(r.finalTestAccuracy * 100).toFixed(2)}%, ${r.seconds.toFixed(0)} s, weights ${r.weightsSha256}`);
        }
        if (r) runs.push(r);
      }
    }
    byNet.set(`${net[0]}${net[1]}`, runs);
  }
  const rows: (string | number)[][] = [];
  const gaps: (string | number)[][] = [];
  for (const [name, runs] of byNet) {
    for (const a of arms) {
      const rs = runs.filter((r) => r.arm === a);
      if (!rs.length) continue;
      rows.push([name, OPTIMIZER_LABELS[a], rs.length, pct(rs.map((r) => r.finalTestAccuracy)), `${mean(rs.map((r) => r.finalTrainLoss)).toFixed(3)} ± ${std(rs.map((r) => r.finalTrainLoss)).toFixed(3)}`, median(rs.flatMap((r) => r.epochs.map((e) => e.seconds))).toFixed(0), runRefs(rs)]);
    }
    for (const a of arms.filter((x) => x !== 'sgd')) gaps.push([name, `${OPTIMIZER_LABELS[a]} - SGD`,
      ci(pairedGap(runs, a, 'sgd', (r) => r.finalTestAccuracy * 100)), ci(pairedGap(runs, a, 'sgd', (r) => r.finalTrainLoss), 3)]);
  }
  const table = mdTable(['network', 'optimizer', 'seeds', 'final test acc % (mean ± std)', 'final train loss (mean ± std)', 's/epoch, median (this machine, shared)', 'runs (seed, weights SHA-256)'], rows);
  const gapTable = mdTable(['network', 'difference, paired by seed', 'final test acc, points (mean ± 95% CI half-width (pairs))', 'final train loss (same form)'], gaps);
  const all = [...byNet.values()].flat();
  const svgs: Record<string, string> = {};
  for (const [name, runs] of byNet) {
    if (!runs.length) continue;
    svgs[`${name}-test-accuracy.svg`] = lineChart({ title: `Fashion-MNIST 10k, ${name}: test accuracy`, xLabel: 'epoch', yLabel: 'test accuracy (%), mean over seeds', series: curves(runs, arms.filter((a) => runs.some((r) => r.arm === a)), 'testAccuracy', 100) });
  }
  return {
    description: `PlainNet and ResNet (BatchNorm; projection shortcuts) at depths ${nets.map(([, d]) => d).filter((d, i, xs) => xs.indexOf(d) === i).join(' and ')} on the first ${data.train.to} Fashion-MNIST training images, ` +
      `${epochs} epochs, batch ${batchSize}, lr ${lr} exp(-${DECAY} t); SGD, EC-SGD whole-graph (mode 'graph') and per block (mode 'blocks'); the paper's claim: the EC-SGD gain is larger for PlainNet`,
    config: { nets: nets.map(([k, d]) => `${k}${d}`), arms, seeds, epochs, batchSize, lr, decay: DECAY, trainSamples: data.train.to, testSamples: data.eval.to, finishedRuns: all.length, plannedRuns: nets.length * arms.length * seeds },
    table: `${table}\n\n${gapTable}`, data: { dataset: await describeData(data), runs: all, gapTable }, svgs,
  };
}
