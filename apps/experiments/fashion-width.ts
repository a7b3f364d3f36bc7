// Experiment fashion-width: 2-hidden-layer MLPs 784-w-w-10 on Fashion-MNIST over hidden widths w; the
// accuracy gap EC-SGD minus SGD per width, paired by seed.
import { Sequential, loadFashionMNIST } from 'ecopt';
import { buildMLP } from './models.js';
import { OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import { checkSeeds, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { slice, head } from './subsets.js';
import { mean, std } from './stats.js';
import { trainRun } from './train-run.js';
import { selectLr, type GridResult } from './lr-grid.js';
import { mdTable, pct } from './report.js';
import { lineChart, type Series } from './svgplot.js';

export async function fashionWidth(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 10;
  const gridEpochs = o.gridEpochs ?? 2;
  const batchSize = 64;
  const widths = o.widths ?? [32, 64, 128, 256, 512, 1024];
  const ids: OptimizerId[] = o.optimizers ?? ['sgd', 'ecsgd'];
  const GRID: Partial<Record<OptimizerId, number[]>> = { sgd: [0.03, 0.1, 0.3], ecsgd: [0.03, 0.1, 0.3] };
  const DEFAULT: Partial<Record<OptimizerId, number>> = { sgd: 0.1, ecsgd: 0.1 };
  const fm = await loadFashionMNIST({ splitSeed: 0 });
  log(`[fashion-width] data: ${fm.split}`);
  // lr grid at a reference width on a validation split of the training set (last 10k of the 60k)
  const trainAll = slice(fm.train, 0, fm.train.count - 10000);
  const val = head(slice(fm.train, fm.train.count - 10000, fm.train.count), o.testLimit);
  const gridTrain = head(trainAll, o.limit);
  const train = head(fm.train, o.limit);
  const test = head(fm.test, o.testLimit);
  const refWidth = widths.includes(128) ? 128 : widths[Math.floor(widths.length / 2)];
  let curWidth = refWidth;
  let curSeed = 0;
  const model = () => new Sequential(buildMLP([784, curWidth, curWidth, 10], false), { seed: curSeed });
  const lrs: Record<string, number> = {};
  const rhos: Record<string, number> = {};
  const grids: GridResult[] = [];
  for (const id of ids) {
    if (gridEpochs > 0 && GRID[id]) {
      const g = await selectLr(id, GRID[id]!, { tag: `fashion-width w=${refWidth}`, epochs: gridEpochs, batchSize, train: gridTrain, test: val, model, log });
      grids.push(g);
      lrs[id] = g.chosen;
    } else lrs[id] = DEFAULT[id] ?? 0.05;
  }
  const runs: (RunRecord & { width: number })[] = [];
  for (const w of widths) {
    for (let s = 0; s < seeds; s++) {
      for (const id of ids) {
        curWidth = w; curSeed = s;
        const r = await trainRun({ tag: `fashion-width w=${w}`, optimizer: id, lr: lrs[id], seed: s, epochs, batchSize, train, test, model, log });
        runs.push({ ...r, width: w });
      }
    }
  }
  const rows: (string | number)[][] = [];
  const gapX: number[] = [], gapY: number[] = [], gapE: number[] = [];
  const accSeries: Series[] = ids.map((id) => ({ name: OPTIMIZER_LABELS[id], x: [], y: [], err: [] }));
  for (const w of widths) {
    const acc = (id: OptimizerId) => runs.filter((r) => r.width === w && r.optimizer === id).map((r) => r.finalTestAccuracy);
    ids.forEach((id, k) => { accSeries[k].x.push(w); accSeries[k].y.push(mean(acc(id)) * 100); accSeries[k].err!.push(std(acc(id)) * 100); });
    if (ids.includes('sgd') && ids.includes('ecsgd')) {
      // paired by seed: same initial weights and batches
      const a = acc('ecsgd'), b = acc('sgd');
      const d = a.map((v, i) => v - b[i]);
      gapX.push(w); gapY.push(mean(d) * 100); gapE.push(std(d) * 100);
      rows.push([w, pct(b), pct(a), `${(mean(d) * 100).toFixed(2)} ± ${(std(d) * 100).toFixed(2)}`, `${d.filter((v) => v > 0).length}/${d.length}`]);
    } else {
      rows.push([w, ...ids.map((id) => pct(acc(id))), '', '']);
    }
  }
  const table = mdTable(['hidden width', `SGD test acc % (lr ${lrs.sgd})`, `EC-SGD test acc % (lr ${lrs.ecsgd})`, 'gap EC-SGD - SGD (pts)', 'seeds with EC-SGD ahead'], rows);
  const svgs: Record<string, string> = {
    'gap-vs-width.svg': lineChart({
      title: 'Fashion-MNIST, MLP 784-w-w-10: EC-SGD minus SGD', xLabel: 'hidden width w', yLabel: 'test accuracy gap (percentage points)',
      series: [{ name: 'EC-SGD - SGD', x: gapX, y: gapY, err: seeds > 1 ? gapE : undefined }], logX: true, hline: 0,
    }),
    'accuracy-vs-width.svg': lineChart({ title: 'Fashion-MNIST, MLP 784-w-w-10: final test accuracy', xLabel: 'hidden width w', yLabel: 'test accuracy (%)', series: accSeries, logX: true }),
  };
  return {
    description: `2-hidden-layer bias-free ReLU MLPs 784-w-w-10 on Fashion-MNIST (${fm.split}); batch ${batchSize}; lr_t = lr0 * exp(-0.01 t)`,
    config: {
      data: fm.split, widths, batchSize, epochs, seeds, trainSamples: train.count, testSamples: test.count,
      lrGrid: gridEpochs > 0 ? GRID : 'none (defaults)', gridEpochs, gridWidth: refWidth,
      gridSelection: `best validation accuracy at width ${refWidth}, trained on the first ${gridTrain.count} and validated on the last 10k of the 60k training split, seed 0`,
      chosenLr: lrs, lrSchedule: 'lr0 * exp(-0.01 * epoch)',
    },
    table, data: { grids, runs, gap: { widths: gapX, meanPts: gapY, stdPts: gapE } }, svgs,
  };
}
