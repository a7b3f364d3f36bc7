// Experiment mnist-cnn: the small CNN on MNIST, SGD / EC-SGD / Adam / EC-Adam, lr from a 1-epoch grid
// on 10k training images validated on the held-out part of the training set.
import { Sequential, loadMNIST } from 'ecopt';
import { buildCNN } from './models.js';
import type { OptimizerId } from './optimizers.js';
import { checkSeeds, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { slice, head } from './subsets.js';
import { trainRun } from './train-run.js';
import { selectLr, applyChoice, type GridResult } from './lr-grid.js';
import { mdTable, curves, summaryRows, SUMMARY_HEAD } from './report.js';
import { lineChart } from './svgplot.js';

export async function mnistCNN(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 3;
  const gridEpochs = o.gridEpochs ?? 1;
  const batchSize = 64;
  const kind = o.cnn ?? 'cnn-small';
  const ids: OptimizerId[] = o.optimizers ?? ['sgd', 'ecsgd', 'adam', 'ecadam'];
  const GRID: Partial<Record<OptimizerId, number[]>> = { sgd: [0.03, 0.1], ecsgd: [0.03, 0.1], adam: [1e-3, 3e-3], ecadam: [1e-3, 3e-3], momentum: [0.01], ecmomentum: [0.01], pathsgd: [0.01], 'ecsgd-preserve': [0.01] };
  const DEFAULT: Partial<Record<OptimizerId, number>> = { sgd: 0.05, ecsgd: 0.05, adam: 1e-3, ecadam: 1e-3 };
  const { train: full, test: testFull } = await loadMNIST();
  const trainAll = slice(full, 0, 50000);
  const val = head(slice(full, 50000, 60000), o.testLimit ?? 5000);
  const train = head(trainAll, o.limit);
  const gridTrain = head(trainAll, Math.min(o.limit ?? 10000, 10000));
  const test = head(testFull, o.testLimit);
  let curSeed = 0;
  const model = () => new Sequential(buildCNN(kind), { seed: curSeed });
  const lrs: Record<string, number> = {};
  const rhos: Record<string, number> = {};
  const grids: GridResult[] = [];
  for (const id of ids) {
    if (gridEpochs > 0 && GRID[id]) {
      curSeed = 0;
      const g = await selectLr(id, GRID[id]!, { tag: 'mnist-cnn', epochs: gridEpochs, batchSize, train: gridTrain, test: val, model, log });
      grids.push(g);
      applyChoice(id, g.chosen, lrs, rhos);
    } else lrs[id] = DEFAULT[id] ?? 0.01;
  }
  const runs: RunRecord[] = [];
  for (let s = 0; s < seeds; s++) {
    for (const id of ids) {
      curSeed = s;
      runs.push(await trainRun({ tag: `mnist-cnn ${kind}`, optimizer: id, lr: lrs[id], trustRegion: rhos[id], seed: s, epochs, batchSize, train, test, model, log }));
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
      model: kind, batchSize, epochs, seeds, trainSamples: train.count, testSamples: test.count,
      lrGrid: gridEpochs > 0 ? Object.fromEntries(ids.map((id) => [id, GRID[id]])) : 'none (defaults)', gridEpochs,
      gridSelection: `best validation accuracy, trained on the first ${gridTrain.count} training images, validated on ${val.count} of the last 10k of the 60k training set, seed 0`,
      chosenLr: lrs,
    },
    table, data: { grids, runs }, svgs,
  };
}
