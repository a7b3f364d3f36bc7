// Experiment fashion-width: 2-hidden-layer MLPs 784-w-w-10 on Fashion-MNIST over hidden widths w; the
// accuracy gap EC-SGD minus SGD per width, paired by seed, and the controls that split it into the
// optimizer's part and the starting point's part: SGD from the authors' init (torch) and SGD from the
// unit-skeleton network EC-SGD starts from (he+unit).
import { loadFashionMNIST } from 'ecopt';
import { checkSeeds, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { mean, std } from './stats.js';
import { runRecipe, describeData, type DataRecipe } from './recipe.js';
import { parseArm, armLabel } from './arms.js';
import { selectLr, type GridResult } from './lr-grid.js';
import { mdTable, pct, armOfRun, runRefs } from './report.js';
import { lineChart, type Series } from './svgplot.js';

/** 'a ± b' of paired differences in points, and how many pairs are positive. */
function gapCell(a: number[], b: number[]): { cell: string; ahead: string; mean: number; std: number } {
  const d = a.map((v, i) => v - b[i]).filter(Number.isFinite);
  return { cell: `${(mean(d) * 100).toFixed(2)} ± ${(std(d) * 100).toFixed(2)}`, ahead: `${d.filter((v) => v > 0).length}/${d.length}`, mean: mean(d) * 100, std: std(d) * 100 };
}

export async function fashionWidth(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 10;
  const gridEpochs = o.gridEpochs ?? 2;
  const batchSize = 64;
  const widths = o.widths ?? [32, 64, 128, 256, 512, 1024];
  const arms = (o.optimizers ?? ['sgd', 'ecsgd', 'sgd@torch', 'sgd@he+unit']).map((a) => parseArm(a).id);
  const GRID: Record<string, number[]> = { sgd: [0.03, 0.1, 0.3], ecsgd: [0.03, 0.1, 0.3] };
  const DEFAULT: Record<string, number> = { sgd: 0.1, ecsgd: 0.1 };
  const fm = await loadFashionMNIST({ splitSeed: 0 });
  log(`[fashion-width] data: ${fm.split}`);
  // the lr grid at a reference width: trained on the first N of the training split (at most 50k) and
  // validated on its last 10k; the final runs train on the first N of the 60k and report on the test split
  const nTrain = Math.min(o.limit ?? fm.train.count, fm.train.count);
  const nGrid = Math.min(nTrain, fm.train.count - 10000);
  const nVal = Math.min(o.testLimit ?? 10000, 10000);
  const data: DataRecipe = { dataset: 'fashion-mnist', splitSeed: 0, train: { split: 'train', from: 0, to: nTrain }, eval: { split: 'test', from: 0, to: Math.min(o.testLimit ?? fm.test.count, fm.test.count) } };
  const validation = { split: 'train' as const, from: fm.train.count - 10000, to: fm.train.count - 10000 + nVal };
  const refWidth = widths.includes(128) ? 128 : widths[Math.floor(widths.length / 2)];
  const base = (w: number) => ({ model: { kind: 'mlp' as const, widths: [784, w, w, 10], bias: false }, batchSize, decay: 0.01, decayFrom: 0 as const });
  // every arm of an optimizer runs at that optimizer's lr (its grid or default)
  const lrs: Record<string, number> = {};
  const grids: GridResult[] = [];
  for (const opt of [...new Set(arms.map((a) => parseArm(a).optimizer))]) {
    if (gridEpochs > 0 && GRID[opt]) {
      const g = await selectLr(opt, GRID[opt], (lr) => ({
        id: `fashion-width/grid/${opt}/${lr}`, ...base(refWidth), data: { ...data, train: { split: 'train', from: 0, to: nGrid }, eval: validation },
        optimizer: opt, start: 'he', lr, seed: 0, epochs: gridEpochs,
      }), log, `fashion-width w=${refWidth}`);
      grids.push(g);
      lrs[opt] = g.chosen;
    } else lrs[opt] = DEFAULT[opt] ?? 0.05;
  }
  const runs: (RunRecord & { width: number })[] = [];
  for (const w of widths) {
    for (let s = 0; s < seeds; s++) {
      for (const a of arms) {
        const arm = parseArm(a);
        const r = await runRecipe({ id: `fashion-width/w${w}/${a}/s${s}`, ...base(w), data, optimizer: arm.optimizer, start: arm.start, lr: lrs[arm.optimizer], seed: s, epochs }, log, { tag: `fashion-width w=${w}` });
        runs.push({ ...r, width: w });
      }
    }
  }
  const rows: (string | number)[][] = [];
  const gapX: number[] = [], gapY: number[] = [], gapE: number[] = [];
  const accSeries: Series[] = arms.map((a) => ({ name: armLabel(a), x: [], y: [], err: [] }));
  const has = (a: string) => arms.includes(a);
  const head = ['hidden width', ...arms.map((a) => `${armLabel(a)} test acc % (lr ${lrs[parseArm(a).optimizer]})`)];
  if (has('sgd') && has('ecsgd')) head.push('gap EC-SGD - SGD (pts)', 'seeds with EC-SGD ahead');
  if (has('sgd') && has('ecsgd') && has('sgd@he+unit')) head.push("optimizer part: EC-SGD - SGD (EC-SGD's start)", "start part: SGD (EC-SGD's start) - SGD");
  if (has('sgd') && has('sgd@torch')) head.push('SGD (torch init) - SGD');
  head.push('runs (seed, weights SHA-256)');
  for (const w of widths) {
    const sel = (a: string) => runs.filter((r) => r.width === w && armOfRun(r) === a);
    const acc = (a: string) => sel(a).map((r) => r.finalTestAccuracy);
    arms.forEach((a, k) => { accSeries[k].x.push(w); accSeries[k].y.push(mean(acc(a)) * 100); accSeries[k].err!.push(std(acc(a)) * 100); });
    const row: (string | number)[] = [w, ...arms.map((a) => pct(acc(a)))];
    if (has('sgd') && has('ecsgd')) {
      // paired by seed: same initial weights (before EC-SGD's unit skeleton) and the same batches
      const g = gapCell(acc('ecsgd'), acc('sgd'));
      gapX.push(w); gapY.push(g.mean); gapE.push(g.std);
      row.push(g.cell, g.ahead);
    }
    if (has('sgd') && has('ecsgd') && has('sgd@he+unit')) row.push(gapCell(acc('ecsgd'), acc('sgd@he+unit')).cell, gapCell(acc('sgd@he+unit'), acc('sgd')).cell);
    if (has('sgd') && has('sgd@torch')) row.push(gapCell(acc('sgd@torch'), acc('sgd')).cell);
    row.push(arms.map((a) => `${a}: ${runRefs(sel(a))}`).join('; '));
    rows.push(row);
  }
  const table = mdTable(head, rows);
  const svgs: Record<string, string> = {
    'gap-vs-width.svg': lineChart({
      title: 'Fashion-MNIST, MLP 784-w-w-10: EC-SGD minus SGD', xLabel: 'hidden width w', yLabel: 'test accuracy gap (percentage points)',
      series: [{ name: 'EC-SGD - SGD', x: gapX, y: gapY, err: seeds > 1 ? gapE : undefined }], logX: true, hline: 0,
    }),
    'accuracy-vs-width.svg': lineChart({ title: 'Fashion-MNIST, MLP 784-w-w-10: final test accuracy', xLabel: 'hidden width w', yLabel: 'test accuracy (%)', series: accSeries, logX: true }),
  };
  return {
    description: `2-hidden-layer bias-free ReLU MLPs 784-w-w-10 on Fashion-MNIST (${fm.split}); batch ${batchSize}; lr_t = lr0 * exp(-0.01 t), t = epoch from 0`,
    config: {
      data: fm.split, widths, arms, batchSize, epochs, seeds, trainSamples: nTrain, testSamples: data.eval.to,
      lrGrid: gridEpochs > 0 ? GRID : 'none (defaults)', gridEpochs, gridWidth: refWidth,
      gridSelection: `best validation accuracy at width ${refWidth}, trained on the first ${nGrid} and validated on ${nVal} of the last 10k of the 60k training split, seed 0`,
      chosenLr: lrs, armLr: 'every arm runs at its optimizer\'s chosen lr', lrSchedule: 'lr0 * exp(-0.01 * epoch), epoch from 0',
    },
    table, data: { dataset: await describeData(data, { validation }), grids, runs, gap: { widths: gapX, meanPts: gapY, stdPts: gapE } }, svgs,
  };
}
