// Reproduction experiments for EC-Opt (G-SGD, Meng et al. arXiv 1802.03713), Node only:
//   mnist-mlp        MLP 784-64-64-64-64-10 (bias-free) on MNIST, SGD / EC-SGD / Path-SGD / momentum / Adam
//   fashion-width    2-hidden-layer MLPs on Fashion-MNIST, accuracy gap EC-SGD - SGD vs hidden width
//   unbalanced-init  one network, hidden units rescaled by powers of 2 within [1/c, c]: final accuracy vs c
//   mnist-cnn        small CNN on MNIST, SGD / EC-SGD / Adam / EC-Adam
//   overhead         median time per training step, EC-SGD and Path-SGD relative to SGD
// Each writes results.json, table.md and SVG plots to its output directory and returns a summary.
import {
  Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, createOptimizer,
  loadMNIST, NonFiniteError, getRuntime, exponentialDecay, type Dataset, type Optimizer, type Layer,
  loadFashionMNIST,
} from 'ecopt';
import { lineChart, type Series } from './svgplot.js';

// ---------------------------------------------------------------------------------------------
// models and optimizers

/** ReLU MLP from widths, e.g. [784, 64, 10]. */
export function buildMLP(widths: number[], bias = true): Layer[] {
  const layers: Layer[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(new Dense(widths[i - 1], widths[i], { bias }));
    if (i < widths.length - 1) layers.push(new ReLU());
  }
  return layers;
}

/**
 * The small CNN for 1x28x28 inputs: conv 5x5 (c1, same) + ReLU + maxpool 2, conv 5x5 (c2, same) +
 * ReLU + maxpool 2, flatten, dense 10. 'cnn' = 32/64 channels, 'cnn-small' = 8/16.
 */
export function buildCNN(kind: 'cnn' | 'cnn-small' = 'cnn', inChannels = 1, side = 28, classes = 10): Layer[] {
  const [c1, c2] = kind === 'cnn' ? [32, 64] : [8, 16];
  const s = Math.floor(Math.floor(side / 2) / 2);
  return [
    new Conv2D(inChannels, c1, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
    new Conv2D(c1, c2, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
    new Flatten(), new Dense(c2 * s * s, classes),
  ];
}

/**
 * Trust-region radius used with init 'preserve'. From a He-initialised deep net, 'preserve' keeps
 * tiny path values, dF/dv = g/v is huge and the trust region binds on every step (the lr then has
 * no effect: the step is rho * ||v||), so rho is the knob that matters; 0.001 trained best in a probe.
 */
export const PRESERVE_RHO = 0.001;
export const PRESERVE_LR = 0.01;

export type OptimizerId = 'sgd' | 'momentum' | 'adam' | 'ecsgd' | 'ecsgd-preserve' | 'ecmomentum' | 'ecadam' | 'pathsgd';

export const OPTIMIZER_LABELS: Record<OptimizerId, string> = {
  sgd: 'SGD', momentum: 'Momentum', adam: 'Adam', ecsgd: 'EC-SGD', 'ecsgd-preserve': 'EC-SGD (preserve)',
  ecmomentum: 'EC-Momentum', ecadam: 'EC-Adam', pathsgd: 'Path-SGD',
};

/** Creates an optimizer by experiment id (through the library's createOptimizer). EC optimizers use their defaults (trust region 0.1, skeleton floor 0.1). */
export function makeOptimizer(id: OptimizerId, model: Sequential, lr: number, extra: { trustRegion?: number } = {}): Optimizer {
  const tr = extra.trustRegion === undefined ? {} : { trustRegion: extra.trustRegion };
  switch (id) {
    case 'sgd': return createOptimizer('SGD', model, { lr });
    case 'momentum': return createOptimizer('Momentum', model, { lr, momentum: 0.9 });
    case 'adam': return createOptimizer('Adam', model, { lr });
    case 'ecsgd': return createOptimizer('ECSGD', model, { lr, ...tr });
    case 'ecsgd-preserve': return createOptimizer('ECSGD', model, { lr, init: 'preserve', trustRegion: extra.trustRegion ?? PRESERVE_RHO });
    case 'ecmomentum': return createOptimizer('ECMomentum', model, { lr, momentum: 0.9, ...tr });
    case 'ecadam': return createOptimizer('ECAdam', model, { lr, ...tr });
    case 'pathsgd': return createOptimizer('PathSGD', model, { lr });
  }
}

// ---------------------------------------------------------------------------------------------
// options, results

export interface ExperimentOptions {
  /** Number of seeds (default 3). */
  seeds?: number;
  /** Epochs of the final runs (default depends on the experiment). */
  epochs?: number;
  /** Training subset size (first N samples of the training split). */
  limit?: number;
  /** Evaluate on only the first N test (and validation) samples. */
  testLimit?: number;
  /** Epochs per learning-rate grid point (default 2; 0 = skip the grid, use the default lr). */
  gridEpochs?: number;
  /** Output directory (default out/<name>); null = write nothing. */
  out?: string | null;
  /** fashion-width: hidden widths. */
  widths?: number[];
  /** unbalanced-init: rescaling ranges c. */
  cs?: number[];
  /** overhead: timed steps per optimizer (default 30 MLP, 10 CNN); mnist-cnn/overhead: 'cnn' or 'cnn-small'. */
  steps?: number;
  cnn?: 'cnn' | 'cnn-small';
  /** Restrict to these optimizers. */
  optimizers?: OptimizerId[];
  /** Progress output (default: stdout lines). */
  log?: (line: string) => void;
}

export interface EpochRecord { epoch: number; lr: number; trainLoss: number; testLoss: number; testAccuracy: number; seconds: number }

export interface RunRecord {
  optimizer: OptimizerId;
  lr: number;
  seed: number;
  epochs: EpochRecord[];
  finalTestAccuracy: number;
  finalTestLoss: number;
  finalTrainLoss: number;
  diverged: boolean;
  error?: string;
  seconds: number;
  /** EC optimizers: fraction of steps in which the trust region shrank the step, and the median shrink factor. */
  trustRegionActive?: number;
  trustRegionMedianScale?: number;
  trustRegion?: number;
  [k: string]: unknown;
}

export interface ExperimentResult {
  experiment: string;
  description: string;
  command: string;
  config: Record<string, unknown>;
  /** Markdown table (also printed). */
  table: string;
  data: Record<string, unknown>;
  files: string[];
  seconds: number;
}

const stdoutLog = (line: string) => { process.stdout.write(line + '\n'); };

export function mean(xs: number[]): number {
  const v = xs.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function std(xs: number[]): number {
  const v = xs.filter(Number.isFinite);
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

const pct = (xs: number[]) => `${(mean(xs) * 100).toFixed(2)} ± ${(std(xs) * 100).toFixed(2)}`;
const num4 = (xs: number[]) => `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;

function mdTable(head: string[], rows: (string | number)[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

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

function slice(ds: Dataset, from: number, to: number): Dataset {
  const per = ds.images.length / ds.count;
  return { ...ds, images: ds.images.subarray(from * per, to * per), labels: ds.labels.subarray(from, to), count: to - from };
}

function head(ds: Dataset, n?: number): Dataset {
  return n === undefined || n >= ds.count ? ds : slice(ds, 0, n);
}

function checkSeeds(o: ExperimentOptions): number {
  const s = o.seeds ?? 3;
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`seeds must be a positive integer, got ${s}`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// one training run

interface RunSpec {
  tag: string;
  optimizer: OptimizerId;
  lr: number;
  seed: number;
  epochs: number;
  batchSize: number;
  train: Dataset;
  test: Dataset;
  /** lr_t = lr0 * exp(-decay * t), t = epoch index from 0 (default 0.01, as the paper's MLP run); exponentialDecay, in wasm. */
  decay?: number;
  /** Trust-region radius for EC optimizers (default: the optimizer's). */
  trustRegion?: number;
  /** Builds the network (seeded with `seed`). */
  model: () => Sequential;
  /** Called after the optimizer is created, before training (e.g. to rescale hidden units). */
  prepare?: (model: Sequential) => void;
  log: (line: string) => void;
  quiet?: boolean;
}

async function trainRun(spec: RunSpec): Promise<RunRecord> {
  const model = spec.model();
  const t0 = performance.now();
  const decay = spec.decay ?? 0.01;
  const rec: RunRecord = {
    optimizer: spec.optimizer, lr: spec.lr, seed: spec.seed, epochs: [], finalTestAccuracy: NaN, finalTestLoss: NaN,
    finalTrainLoss: NaN, diverged: false, seconds: 0,
  };
  try {
    const opt = makeOptimizer(spec.optimizer, model, spec.lr, { trustRegion: spec.trustRegion });
    spec.prepare?.(model);
    let te = performance.now();
    const ec = opt as Optimizer & { lastStepScale?: number; rho?: number };
    const scales: number[] = [];
    if (typeof ec.rho === 'number') rec.trustRegion = ec.rho;
    try {
      await model.fit(spec.train, {
        optimizer: opt, epochs: spec.epochs, batchSize: spec.batchSize, seed: spec.seed, yieldEveryMs: 1000,
        lrSchedule: exponentialDecay({ rate: decay }),
        onProgress: typeof ec.lastStepScale === 'number' ? () => { scales.push(ec.lastStepScale!); } : undefined,
        onEpochEnd: (l) => {
          const ev = model.evaluate(spec.test);
          const now = performance.now();
          const r: EpochRecord = { epoch: l.epoch, lr: opt.lr, trainLoss: l.loss, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: (now - te) / 1000 };
          te = now;
          rec.epochs.push(r);
          if (!spec.quiet) {
            spec.log(`[${spec.tag}] ${OPTIMIZER_LABELS[spec.optimizer]} lr=${spec.lr} seed ${spec.seed} epoch ${l.epoch}/${spec.epochs}  ` +
              `train loss ${l.loss.toFixed(4)}  test acc ${(ev.accuracy * 100).toFixed(2)}%  (${r.seconds.toFixed(1)}s)`);
          }
          if (!Number.isFinite(l.loss)) return false;
        },
      });
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      rec.diverged = true;
      rec.error = e.message.split('. ')[0];
      if (!spec.quiet) spec.log(`[${spec.tag}] ${OPTIMIZER_LABELS[spec.optimizer]} lr=${spec.lr} seed ${spec.seed}: diverged (${rec.error})`);
    }
    if (scales.length) {
      rec.trustRegionActive = scales.filter((x) => x < 1).length / scales.length;
      scales.sort((a, b) => a - b);
      rec.trustRegionMedianScale = scales[scales.length >> 1];
    }
    const ev = model.evaluate(spec.test);
    rec.finalTestAccuracy = ev.accuracy;
    rec.finalTestLoss = ev.loss;
    rec.finalTrainLoss = rec.epochs.length ? rec.epochs[rec.epochs.length - 1].trainLoss : NaN;
    if (rec.diverged) rec.finalTrainLoss = NaN;
  } finally {
    model.dispose();
  }
  rec.seconds = (performance.now() - t0) / 1000;
  return rec;
}

/** Applies a grid result: for 'ecsgd-preserve' the chosen value is the trust-region radius. */
function applyChoice(id: OptimizerId, chosen: number, lrs: Record<string, number>, rhos: Record<string, number>): void {
  if (id === 'ecsgd-preserve') { lrs[id] = PRESERVE_LR; rhos[id] = chosen; } else lrs[id] = chosen;
}

function lrLabel(id: OptimizerId, lrs: Record<string, number>, rhos: Record<string, number>): string {
  return rhos[id] !== undefined ? `${lrs[id]} (rho ${rhos[id]})` : String(lrs[id]);
}

interface GridResult { optimizer: OptimizerId; grid: number[]; scores: { lr: number; valAccuracy: number; valLoss: number; diverged: boolean }[]; chosen: number }

/** Picks the lr with the best validation accuracy after `epochs` epochs (seed 0). */
async function selectLr(id: OptimizerId, grid: number[], base: Omit<RunSpec, 'optimizer' | 'lr' | 'seed' | 'epochs' | 'tag'> & { epochs: number; tag: string }): Promise<GridResult> {
  const scores: GridResult['scores'] = [];
  for (const lr of grid) {
    // 'ecsgd-preserve': the grid is over the trust-region radius rho (lr fixed, see PRESERVE_RHO)
    const r = id === 'ecsgd-preserve'
      ? await trainRun({ ...base, optimizer: id, lr: PRESERVE_LR, trustRegion: lr, seed: 0, quiet: true, tag: base.tag })
      : await trainRun({ ...base, optimizer: id, lr, seed: 0, quiet: true, tag: base.tag });
    const ok = !r.diverged && Number.isFinite(r.finalTestLoss);
    scores.push({ lr, valAccuracy: ok ? r.finalTestAccuracy : NaN, valLoss: r.finalTestLoss, diverged: r.diverged });
  }
  let best = scores[0];
  for (const s of scores) if (!Number.isNaN(s.valAccuracy) && (Number.isNaN(best.valAccuracy) || s.valAccuracy > best.valAccuracy)) best = s;
  base.log(`[${base.tag}] ${id === 'ecsgd-preserve' ? `trust-region (rho) grid at lr ${PRESERVE_LR}` : 'lr grid'} ${OPTIMIZER_LABELS[id]}: ${scores.map((s) => `${s.lr} -> ${s.diverged ? 'diverged' : (s.valAccuracy * 100).toFixed(2) + '%'}`).join(', ')}  => ${id === 'ecsgd-preserve' ? 'rho' : 'lr'} ${best.lr}`);
  return { optimizer: id, grid, scores, chosen: best.lr };
}

// ---------------------------------------------------------------------------------------------
// output

async function writeOutputs(dir: string | null, files: Record<string, string>): Promise<string[]> {
  if (dir === null) return [];
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    await fs.writeFile(p, content);
    out.push(p);
  }
  return out;
}

function curves(runs: RunRecord[], ids: OptimizerId[], key: 'testAccuracy' | 'trainLoss', scale = 1): Series[] {
  return ids.map((id) => {
    const rs = runs.filter((r) => r.optimizer === id);
    const E = Math.max(0, ...rs.map((r) => r.epochs.length));
    const x: number[] = [], y: number[] = [], err: number[] = [];
    for (let e = 0; e < E; e++) {
      const vals = rs.map((r) => r.epochs[e]?.[key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (!vals.length) continue;
      x.push(e + 1); y.push(mean(vals) * scale); err.push(std(vals) * scale);
    }
    // error bars (std over seeds) only when few curves share the chart, otherwise they hide the curves
    return { name: OPTIMIZER_LABELS[id], x, y, err: rs.length > 1 && ids.length <= 4 ? err : undefined };
  });
}

function summaryRows(runs: RunRecord[], ids: OptimizerId[], lrs: Record<string, number>, rhos: Record<string, number> = {}) {
  return ids.map((id) => {
    const rs = runs.filter((r) => r.optimizer === id);
    const div = rs.filter((r) => r.diverged).length;
    return [
      OPTIMIZER_LABELS[id], lrLabel(id, lrs, rhos), pct(rs.map((r) => r.finalTestAccuracy)),
      pct(rs.map((r) => Math.max(...r.epochs.map((e) => e.testAccuracy)))),
      num4(rs.map((r) => r.finalTrainLoss)),
      mean(rs.map((r) => r.seconds / Math.max(1, r.epochs.length))).toFixed(1) + (div ? ` (${div} diverged)` : ''),
      rs[0]?.trustRegionActive === undefined ? '-' : `${(mean(rs.map((r) => r.trustRegionActive!)) * 100).toFixed(0)}%`,
    ];
  });
}

const SUMMARY_HEAD = ['optimizer', 'lr', 'final test acc % (mean ± std)', 'best-epoch test acc %', 'final train loss', 's/epoch', 'steps trust-region-limited'];

// ---------------------------------------------------------------------------------------------
// experiments

async function mnistMLP(o: ExperimentOptions, log: (s: string) => void) {
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

async function fashionWidth(o: ExperimentOptions, log: (s: string) => void) {
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

async function unbalancedInit(o: ExperimentOptions, log: (s: string) => void) {
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

async function mnistCNN(o: ExperimentOptions, log: (s: string) => void) {
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

export interface StepTiming {
  model: string; batchSize: number; optimizer: OptimizerId;
  /** Whole training step (forward, loss, backward, guarded update): median and 10th/90th percentiles, ms. */
  medianMs: number; p10Ms: number; p90Ms: number;
  /** The optimizer's update alone (optimizer.apply() on the step's gradients), median ms. */
  updateMs: number;
  samplesPerSec: number; ratioToSGD: number; steps: number;
}

function median(xs: number[]): number {
  const v = xs.slice().sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/**
 * Wall time of training steps on a fixed real-MNIST batch for the MLP 784-512-512-10 (batch 128) and
 * a CNN (batch 64). All optimizers' models are built first and stepped round-robin (the order rotates
 * every round), so load from other processes hits every optimizer alike; 3 warm-up rounds, then
 * `steps` timed rounds. Also times the update alone (optimizer.apply() once more on the same gradients).
 */
export async function measureStepTimes(opts: { ids: OptimizerId[]; steps?: number; cnnSteps?: number; cnn?: 'cnn' | 'cnn-small'; log?: (s: string) => void }): Promise<StepTiming[]> {
  const { train } = await loadMNIST({ trainLimit: 128 });
  const cnn = opts.cnn ?? 'cnn';
  const ids = opts.ids.includes('sgd') ? opts.ids : (['sgd', ...opts.ids] as OptimizerId[]);
  const cases: { name: string; B: number; steps: number; make: () => Layer[] }[] = [
    { name: 'MLP 784-512-512-10', B: 128, steps: opts.steps ?? 30, make: () => buildMLP([784, 512, 512, 10]) },
    { name: cnn === 'cnn' ? 'CNN 32/64 (5x5 convs)' : 'CNN 8/16 (cnn-small)', B: 64, steps: opts.cnnSteps ?? opts.steps ?? 10, make: () => buildCNN(cnn) },
  ];
  const lr: Record<OptimizerId, number> = { sgd: 0.01, momentum: 0.01, adam: 1e-3, ecsgd: 0.01, 'ecsgd-preserve': PRESERVE_LR, ecmomentum: 0.01, ecadam: 1e-3, pathsgd: 0.01 };
  const out: StepTiming[] = [];
  for (const c of cases) {
    const x = train.images.subarray(0, c.B * 784);
    const y = train.labels.subarray(0, c.B);
    const runs = ids.map((id) => {
      const model = new Sequential(c.make(), { seed: 0 });
      return { id, model, opt: makeOptimizer(id, model, lr[id]), step: [] as number[], update: [] as number[] };
    });
    try {
      for (let round = 0; round < 3 + c.steps; round++) {
        for (let k = 0; k < runs.length; k++) {
          const r = runs[(k + round) % runs.length];
          const t0 = performance.now();
          r.model.trainBatch(x, y, r.opt);
          const t1 = performance.now();
          r.opt.apply();
          const t2 = performance.now();
          if (round >= 3) { r.step.push(t1 - t0); r.update.push(t2 - t1); }
        }
      }
    } finally {
      for (const r of runs) r.model.dispose();
    }
    const sgdMedian = median(runs.find((r) => r.id === 'sgd')!.step);
    for (const r of runs) {
      const v = r.step.slice().sort((a, b) => a - b);
      const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))];
      const med = median(v);
      const t: StepTiming = {
        model: c.name, batchSize: c.B, optimizer: r.id, medianMs: med, p10Ms: q(0.1), p90Ms: q(0.9), updateMs: median(r.update),
        samplesPerSec: (c.B * 1000) / med, ratioToSGD: med / sgdMedian, steps: c.steps,
      };
      out.push(t);
      opts.log?.(`[overhead] ${c.name} batch ${c.B} ${OPTIMIZER_LABELS[r.id]}: step ${med.toFixed(2)} ms (p10 ${t.p10Ms.toFixed(2)}, p90 ${t.p90Ms.toFixed(2)}), ` +
        `update alone ${t.updateMs.toFixed(3)} ms, ${Math.round(t.samplesPerSec)} samples/s, ${t.ratioToSGD.toFixed(3)}x SGD`);
    }
  }
  return out;
}

async function overhead(o: ExperimentOptions, log: (s: string) => void) {
  const ids: OptimizerId[] = o.optimizers ?? ['sgd', 'ecsgd', 'pathsgd', 'momentum', 'ecmomentum', 'adam', 'ecadam'];
  const steps = o.steps ?? 30;
  const cnnSteps = o.steps ?? 10;
  const timings = await measureStepTimes({ ids, steps, cnnSteps, cnn: o.cnn ?? 'cnn', log });
  const table = mdTable(['model', 'batch', 'optimizer', 'median ms/step', 'p10-p90 ms', 'update alone, ms', 'samples/s', 'step time / SGD step time'],
    timings.map((t) => [t.model, t.batchSize, OPTIMIZER_LABELS[t.optimizer], t.medianMs.toFixed(2), `${t.p10Ms.toFixed(2)}-${t.p90Ms.toFixed(2)}`, t.updateMs.toFixed(3), Math.round(t.samplesPerSec), t.ratioToSGD.toFixed(3)]));
  return {
    description: 'Wall time per training step (forward + backward + update) on a fixed real-MNIST batch; optimizers stepped ' +
      `round-robin (rotating order), median of ${steps} (MLP) / ${cnnSteps} (CNN) rounds after 3 warm-up rounds; "update alone" times optimizer.apply() by itself`,
    config: { steps, cnnSteps, warmup: 3, optimizers: ids, cnn: o.cnn ?? 'cnn' },
    table, data: { timings }, svgs: {} as Record<string, string>,
  };
}

type Runner = (o: ExperimentOptions, log: (s: string) => void) => Promise<{
  description: string; config: Record<string, unknown>; table: string; data: Record<string, unknown>; svgs: Record<string, string>;
}>;

export const EXPERIMENTS: Record<string, { summary: string; run: Runner; defaults: string }> = {
  'mnist-mlp': { summary: 'MLP 784-64x4-10 (bias-free) on MNIST: SGD, EC-SGD (unit-skeleton, preserve), Path-SGD, Momentum/EC-Momentum, Adam/EC-Adam; lr by grid on a validation split', run: mnistMLP, defaults: 'epochs 20, grid epochs 2' },
  'fashion-width': { summary: '2-hidden-layer MLPs on Fashion-MNIST, widths 32..1024: accuracy gap EC-SGD minus SGD vs width', run: fashionWidth, defaults: 'epochs 10, widths 32,64,128,256,512,1024, grid epochs 2' },
  'unbalanced-init': { summary: 'one network, hidden units rescaled by powers of 2 within [1/c, c]: final accuracy vs c for SGD and EC-SGD', run: unbalancedInit, defaults: 'epochs 5, c in 1,2,5,10,100' },
  'mnist-cnn': { summary: 'small CNN on MNIST: SGD, EC-SGD, Adam, EC-Adam', run: mnistCNN, defaults: 'epochs 3, cnn-small, grid epochs 1 on 10k' },
  overhead: { summary: 'median time per training step of EC-SGD, Path-SGD (and EC-Momentum/EC-Adam) relative to SGD; MLP 784-512-512-10 batch 128 and the CNN batch 64', run: overhead, defaults: 'steps 30 (MLP) / 10 (CNN), full cnn' },
};

/** Runs one experiment, prints progress and the final table, writes results.json, table.md and SVGs. */
export async function runExperiment(name: string, options: ExperimentOptions = {}, command = `ecopt experiment ${name}`): Promise<ExperimentResult> {
  const exp = EXPERIMENTS[name];
  if (!exp) throw new RangeError(`unknown experiment '${name}' (one of: ${Object.keys(EXPERIMENTS).join(', ')})`);
  const log = options.log ?? stdoutLog;
  const t0 = performance.now();
  const started = new Date().toISOString();
  const r = await exp.run(options, log);
  const seconds = (performance.now() - t0) / 1000;
  const outDir = options.out === undefined ? `out/${name}` : options.out;
  const os = await import('node:os');
  const env = { threads: getRuntime().threads, node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, started, seconds };
  const json = { experiment: name, description: r.description, command, config: r.config, environment: env, table: r.table, ...r.data };
  const tableDoc = `# ${name}\n\n${r.description}\n\nCommand: \`${command}\`\n\n${r.table}\n\n(${seconds.toFixed(0)} s on ${env.cpus} cores, ${env.node})\n`;
  const files = await writeOutputs(outDir, { 'results.json': JSON.stringify(json, null, 1) + '\n', 'table.md': tableDoc, ...r.svgs });
  log('');
  log(`${name}: ${r.description}`);
  log(r.table);
  log(`(${seconds.toFixed(1)} s)${files.length ? `  wrote ${files.join(', ')}` : ''}`);
  return { experiment: name, description: r.description, command, config: r.config, table: r.table, data: r.data, files, seconds };
}
