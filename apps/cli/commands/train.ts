// `ecopt train`: trains a model on a dataset, prints progress, the test accuracy and samples/s
// (or one JSON object), and saves it with --save.
import { DATASET_KEY } from 'ecopt';
import { UsageError, parseArgs, intOpt, optInt, numOpt } from '../args.js';
import { didYouMean } from '../suggest.js';
import { fmtInt, fmtTime } from '../format.js';
import { HELP_TRAIN } from '../help.js';
import { initRuntime } from '../runtime.js';
import { DATASETS, checkDataDir, datasetId, datasetInfoOf, loadDataset } from '../datasets.js';
import { buildModel } from '../models.js';
import { OPTIMIZERS, DEFAULT_LR, makeOpt, type OptimizerName } from '../optimizers.js';

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

export async function train(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['dataset', 'data-dir', 'model', 'optimizer', 'lr', 'batch', 'epochs', 'seed', 'threads', 'limit', 'test-limit', 'save']);
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
  const datasetSpec = String(args.opts.dataset ?? 'mnist');
  const dataDir = args.opts['data-dir'] === undefined ? undefined : String(args.opts['data-dir']);
  const modelSpec = String(args.opts.model ?? (datasetSpec === 'cifar10' ? 'cnn' : '784-256-128-10'));
  const save = args.opts.save === undefined ? undefined : String(args.opts.save);
  const json = !!args.opts.json;
  const log = (s: string) => { if (!json) process.stdout.write(s); };
  if (!(modelSpec === 'cnn' || modelSpec === 'cnn-small' || /^\d+(-\d+)+$/.test(modelSpec) || modelSpec.endsWith('.json') || modelSpec.includes('/'))) {
    throw new UsageError(`--model must be widths like 784-256-10, 'cnn', 'cnn-small' or a path to a JSON spec, got '${modelSpec}'`);
  }
  if (!DATASETS.includes(datasetSpec) && !datasetSpec.startsWith('idx:')) {
    throw new UsageError(`--dataset must be mnist, fashion-mnist, cifar10 or idx:<images>,<labels>[,<testImages>,<testLabels>], got '${datasetSpec}'${didYouMean(datasetSpec, DATASETS)}`);
  }
  checkDataDir(datasetId(datasetSpec), dataDir);
  if (save !== undefined) await checkWritable(save);
  const rt = await initRuntime(args);
  if (rt.note) log(`ecopt: ${rt.note}\n`);

  const data = await loadDataset(datasetSpec, limitN, testLimit, dataDir);
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
