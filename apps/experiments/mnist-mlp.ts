// Experiment mnist-mlp: the paper's MLP 784-64x4-10 (bias-free) on MNIST; lr per optimizer from a
// grid on the held-out last 10k of the training set, then every optimizer on every seed.
import { Sequential, loadMNIST } from 'ecopt';
import { buildMLP } from './models.js';
import { PRESERVE_LR, type OptimizerId } from './optimizers.js';
import { checkSeeds, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { slice, head } from './subsets.js';
import { trainRun } from './train-run.js';
import { selectLr, applyChoice, type GridResult } from './lr-grid.js';
import { mdTable, curves, summaryRows, SUMMARY_HEAD } from './report.js';
import { lineChart } from './svgplot.js';

export async function mnistMLP(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 20;
  const gridEpochs = o.gridEpochs ?? 2;
  const batchSize = 64;
  const widths = [784, 64, 64, 64, 64, 10];
  const ids: OptimizerId[] = o.optimizers ?? ['sgd', 'ecsgd', 'ecsgd-preserve', 'pathsgd', 'momentum', 'ecmomentum', 'adam', 'ecadam'];
  const GRID: Record<OptimizerId, number[]> = {
    sgd: [0.03, 0.1, 0.3], ecsgd: [0.03, 0.1, 0.3], 'ecsgd-preserve': [0.1, 0.01, 0.001] /* rho, at lr PRESERVE_LR */, pathsgd: [0.03, 0.1, 0.3, 1],
    momentum: [0.003, 0.01, 0.03], ecmomentum: [0.003, 0.01, 0.03], adam: [3e-4, 1e-3, 3e-3], ecadam: [3e-4, 1e-3, 3e-3],
  };
  const DEFAULT: Record<OptimizerId, number> = {
    sgd: 0.1, ecsgd: 0.1, 'ecsgd-preserve': PRESERVE_LR, pathsgd: 0.1, momentum: 0.01, ecmomentum: 0.01, adam: 1e-3, ecadam: 1e-3,
  };
  const { train: full, test: testFull } = await loadMNIST();
  const trainAll = slice(full, 0, 50000);
  const val = head(slice(full, 50000, 60000), o.testLimit);
  const train = head(trainAll, o.limit);
  const test = head(testFull, o.testLimit);
  let curSeed = 0;
  const model = () => new Sequential(buildMLP(widths, false), { seed: curSeed });
  const lrs: Record<string, number> = {};
  const rhos: Record<string, number> = {};
  const grids: GridResult[] = [];
  for (const id of ids) {
    if (gridEpochs > 0) {
      curSeed = 0;
      const g = await selectLr(id, GRID[id], { tag: 'mnist-mlp', epochs: gridEpochs, batchSize, train, test: val, model, log });
      grids.push(g);
      applyChoice(id, g.chosen, lrs, rhos);
    } else lrs[id] = DEFAULT[id];
  }
  const runs: RunRecord[] = [];
  for (let s = 0; s < seeds; s++) {
    for (const id of ids) {
      curSeed = s;
      runs.push(await trainRun({ tag: 'mnist-mlp', optimizer: id, lr: lrs[id], trustRegion: rhos[id], seed: s, epochs, batchSize, train, test, model, log }));
    }
  }
  const table = mdTable(SUMMARY_HEAD, summaryRows(runs, ids, lrs, rhos));
  const svgs = {
    'test-accuracy.svg': lineChart({ title: 'MNIST, MLP 784-64x4-10 (bias-free): test accuracy', xLabel: 'epoch', yLabel: 'test accuracy (%)', series: curves(runs, ids, 'testAccuracy', 100) }),
    'train-loss.svg': lineChart({ title: 'MNIST, MLP 784-64x4-10 (bias-free): training loss', xLabel: 'epoch', yLabel: 'mean training loss (cross-entropy)', series: curves(runs, ids, 'trainLoss'), logY: true }),
  };
  return {
    description: 'MLP 784-64-64-64-64-10, bias-free, ReLU, MNIST: first 50k of the training set to train, last 10k for the lr grid, ' +
      'the 10k test set to report; batch 64; lr_t = lr0 * exp(-0.01 t), t = epoch from 0',
    config: {
      model: '784-64-64-64-64-10 bias-free ReLU', batchSize, epochs, seeds, trainSamples: train.count, validationSamples: val.count, testSamples: test.count,
      lrSchedule: 'lr0 * exp(-0.01 * epoch)', lrGrid: gridEpochs > 0 ? Object.fromEntries(ids.map((id) => [id, GRID[id]])) : 'none (defaults)',
      gridEpochs, gridSelection: 'best validation accuracy on the held-out last 10k of the 60k training set, seed 0', chosenLr: lrs,
      chosenTrustRegion: rhos, preserveNote: `EC-SGD (preserve): lr fixed at ${PRESERVE_LR}, the grid is over the trust-region radius rho (the trust region binds on nearly every step, so lr has no effect)`,
      ecOptions: 'trustRegion 0.1, skeletonFloor 0.1 (defaults); EC-SGD init unit-skeleton unless "preserve"',
    },
    table, data: { grids, runs }, svgs,
  };
}
