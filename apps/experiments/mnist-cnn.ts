// Experiment mnist-cnn: the small CNN on MNIST, SGD / EC-SGD / Adam / EC-Adam, lr from a 1-epoch grid
// on 10k training images validated on the held-out part of the training set.
import { PRESERVE_LR, type OptimizerId } from './optimizers.js';
import { checkSeeds, plainOptimizers, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { runRecipe, describeData, type DataRecipe, type RunRecipe } from './recipe.js';
import { selectLr, applyChoice, type GridResult } from './lr-grid.js';
import { mdTable, curves, summaryRows, SUMMARY_HEAD } from './report.js';
import { lineChart } from './svgplot.js';

export async function mnistCNN(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 3;
  const gridEpochs = o.gridEpochs ?? 1;
  const batchSize = 64;
  const kind = o.cnn ?? 'cnn-small';
  const ids = plainOptimizers(o, ['sgd', 'ecsgd', 'adam', 'ecadam']);
  const GRID: Partial<Record<OptimizerId, number[]>> = { sgd: [0.03, 0.1], ecsgd: [0.03, 0.1], adam: [1e-3, 3e-3], ecadam: [1e-3, 3e-3], momentum: [0.01], ecmomentum: [0.01], pathsgd: [0.01], 'ecsgd-preserve': [0.01] };
  const DEFAULT: Partial<Record<OptimizerId, number>> = { sgd: 0.05, ecsgd: 0.05, adam: 1e-3, ecadam: 1e-3 };
  // train on the first N of the 50k training split; grid: 1 epoch on its first 10k (at most N),
  // validated on the first 5k (--test-limit) of the held-out last 10k; report on the test set
  const nTrain = Math.min(o.limit ?? 50000, 50000);
  const data: DataRecipe = { dataset: 'mnist', train: { split: 'train', from: 0, to: nTrain }, eval: { split: 'test', from: 0, to: Math.min(o.testLimit ?? 10000, 10000) } };
  const validation = { split: 'train' as const, from: 50000, to: 50000 + Math.min(o.testLimit ?? 5000, 10000) };
  const nGrid = Math.min(o.limit ?? 10000, 10000);
  const base = { model: { kind: 'cnn' as const, cnn: kind }, start: 'he' as const, batchSize, decay: 0.01, decayFrom: 0 as const };
  const lrs: Record<string, number> = {};
  const rhos: Record<string, number> = {};
  const grids: GridResult[] = [];
  for (const id of ids) {
    if (gridEpochs > 0 && GRID[id]) {
      const grid = (lr: number): RunRecipe => ({
        id: `mnist-cnn/grid/${id}/${lr}`, ...base, data: { ...data, train: { split: 'train', from: 0, to: nGrid }, eval: validation }, optimizer: id,
        ...(id === 'ecsgd-preserve' ? { lr: PRESERVE_LR, trustRegion: lr } : { lr }), seed: 0, epochs: gridEpochs,
      });
      const g = await selectLr(id, GRID[id]!, grid, log, 'mnist-cnn');
      grids.push(g);
      applyChoice(id, g.chosen, lrs, rhos);
    } else lrs[id] = DEFAULT[id] ?? 0.01;
  }
  const runs: RunRecord[] = [];
  for (let s = 0; s < seeds; s++) {
    for (const id of ids) {
      runs.push(await runRecipe({ id: `mnist-cnn/${id}/s${s}`, ...base, data, optimizer: id, lr: lrs[id], trustRegion: rhos[id], seed: s, epochs }, log, { tag: `mnist-cnn ${kind}` }));
    }
  }
  const table = mdTable(SUMMARY_HEAD, summaryRows(runs, ids, lrs, rhos));
  const name = kind === 'cnn' ? 'CNN 32/64' : 'CNN 8/16 (cnn-small)';
  const svgs = {
    'test-accuracy.svg': lineChart({ title: `MNIST, ${name}: test accuracy`, xLabel: 'epoch', yLabel: 'test accuracy (%)', series: curves(runs, ids, 'testAccuracy', 100) }),
    'train-loss.svg': lineChart({ title: `MNIST, ${name}: training loss`, xLabel: 'epoch', yLabel: 'mean training loss', series: curves(runs, ids, 'trainLoss'), logY: true }),
  };
  return {
    description: `${name} (conv5x5 same + ReLU + maxpool2, twice, flatten, dense 10; with biases) on MNIST; batch ${batchSize}; lr_t = lr0 * exp(-0.01 t)`,
    config: {
      model: kind, batchSize, epochs, seeds, trainSamples: nTrain, testSamples: data.eval.to,
      lrGrid: gridEpochs > 0 ? Object.fromEntries(ids.map((id) => [id, GRID[id]])) : 'none (defaults)', gridEpochs,
      gridSelection: `best validation accuracy, trained on the first ${nGrid} training images, validated on ${validation.to - validation.from} of the last 10k of the 60k training set, seed 0`,
      chosenLr: lrs,
    },
    table, data: { dataset: await describeData(data, { validation }), grids, runs }, svgs,
  };
}
