// Experiment mnist-mlp: the paper's MLP 784-64x4-10 (bias-free) on MNIST; lr per optimizer from a
// grid on the held-out last 10k of the training set, then every optimizer on every seed.
import { PRESERVE_LR, type ChainOptimizerId } from './optimizers.js';
import { checkSeeds, plainOptimizers, type ExperimentOptions } from './options.js';
import type { RunRecord } from './records.js';
import { runRecipe, describeData, type DataRecipe, type RunRecipe } from './recipe.js';
import { selectLr, applyChoice, type GridResult } from './lr-grid.js';
import { mdTable, curves, summaryRows, SUMMARY_HEAD } from './report.js';
import { lineChart } from './svgplot.js';

export async function mnistMLP(o: ExperimentOptions, log: (s: string) => void) {
  const seeds = checkSeeds(o);
  const epochs = o.epochs ?? 20;
  const gridEpochs = o.gridEpochs ?? 2;
  const batchSize = 64;
  const widths = [784, 64, 64, 64, 64, 10];
  const ids = plainOptimizers(o, ['sgd', 'ecsgd', 'ecsgd-preserve', 'pathsgd', 'momentum', 'ecmomentum', 'adam', 'ecadam']);
  const GRID: Record<ChainOptimizerId, number[]> = {
    sgd: [0.03, 0.1, 0.3], ecsgd: [0.03, 0.1, 0.3], 'ecsgd-preserve': [0.1, 0.01, 0.001] /* rho, at lr PRESERVE_LR */, pathsgd: [0.03, 0.1, 0.3, 1],
    momentum: [0.003, 0.01, 0.03], ecmomentum: [0.003, 0.01, 0.03], adam: [3e-4, 1e-3, 3e-3], ecadam: [3e-4, 1e-3, 3e-3],
  };
  const DEFAULT: Record<ChainOptimizerId, number> = {
    sgd: 0.1, ecsgd: 0.1, 'ecsgd-preserve': PRESERVE_LR, pathsgd: 0.1, momentum: 0.01, ecmomentum: 0.01, adam: 1e-3, ecadam: 1e-3,
  };
  // train on the first 50k of the 60k training images (--limit: fewer), validate the grid on the last
  // 10k, report on the test set (--test-limit: the first N of validation and test)
  const nTrain = Math.min(o.limit ?? 50000, 50000);
  const nEval = Math.min(o.testLimit ?? 10000, 10000);
  const data: DataRecipe = { dataset: 'mnist', train: { split: 'train', from: 0, to: nTrain }, eval: { split: 'test', from: 0, to: nEval } };
  const validation = { split: 'train' as const, from: 50000, to: 50000 + nEval };
  const base = { model: { kind: 'mlp' as const, widths, bias: false }, start: 'he' as const, batchSize, decay: 0.01, decayFrom: 0 as const };
  const lrs: Record<string, number> = {};
  const rhos: Record<string, number> = {};
  const grids: GridResult[] = [];
  for (const id of ids) {
    if (gridEpochs > 0) {
      const grid = (v: number): RunRecipe => ({
        id: `mnist-mlp/grid/${id}/${v}`, ...base, data: { ...data, eval: validation }, optimizer: id,
        ...(id === 'ecsgd-preserve' ? { lr: PRESERVE_LR, trustRegion: v } : { lr: v }), seed: 0, epochs: gridEpochs,
      });
      const g = await selectLr(id, GRID[id], grid, log, 'mnist-mlp');
      grids.push(g);
      applyChoice(id, g.chosen, lrs, rhos);
    } else lrs[id] = DEFAULT[id];
  }
  const runs: RunRecord[] = [];
  for (let s = 0; s < seeds; s++) {
    for (const id of ids) {
      runs.push(await runRecipe({ id: `mnist-mlp/${id}/s${s}`, ...base, data, optimizer: id, lr: lrs[id], trustRegion: rhos[id], seed: s, epochs }, log));
    }
  }
  const table = mdTable(SUMMARY_HEAD, summaryRows(runs, ids, lrs, rhos));
  const svgs = {
    'test-accuracy.svg': lineChart({ title: 'MNIST, MLP 784-64x4-10 (bias-free): test accuracy', xLabel: 'epoch', yLabel: 'test accuracy (%)', series: curves(runs, ids, 'testAccuracy', 100) }),
    'train-loss.svg': lineChart({ title: 'MNIST, MLP 784-64x4-10 (bias-free): training loss', xLabel: 'epoch', yLabel: 'mean training loss (cross-entropy)', series: curves(runs, ids, 'trainLoss'), logY: true }),
  };
  return {
    description: `MLP 784-64-64-64-64-10, bias-free, ReLU, MNIST: first ${nTrain} of the training set to train, 10k held out (50k-60k) for the lr grid, ` +
      'the test set to report; batch 64; lr_t = lr0 * exp(-0.01 t), t = epoch from 0',
    config: {
      model: '784-64-64-64-64-10 bias-free ReLU', batchSize, epochs, seeds, trainSamples: nTrain, validationSamples: nEval, testSamples: nEval,
      lrSchedule: 'lr0 * exp(-0.01 * epoch), epoch from 0', lrGrid: gridEpochs > 0 ? Object.fromEntries(ids.map((id) => [id, GRID[id]])) : 'none (defaults)',
      gridEpochs, gridSelection: 'best validation accuracy on the held-out last 10k of the 60k training set, seed 0', chosenLr: lrs,
      chosenTrustRegion: rhos, preserveNote: `EC-SGD (preserve): lr fixed at ${PRESERVE_LR}, the grid is over the trust-region radius rho (the trust region binds on nearly every step, so lr has no effect)`,
      ecOptions: 'trustRegion 0.1, skeletonFloor 0.1 (defaults); EC-SGD init unit-skeleton unless "preserve"',
    },
    table, data: { dataset: await describeData(data, { validation }), grids, runs }, svgs,
  };
}
