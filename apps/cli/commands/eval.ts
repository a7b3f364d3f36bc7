// `ecopt eval`: evaluates a saved .safetensors model on the test split of the dataset it names
// (its 'ecopt.dataset' metadata) or of --dataset, checked against the file.
import { Sequential, readSafetensors, readDatasetInfo, DATASET_KEY } from 'ecopt';
import { UsageError, parseArgs, optInt } from '../args.js';
import { didYouMean } from '../suggest.js';
import { fmtInt, table } from '../format.js';
import { HELP_EVAL } from '../help.js';
import { initRuntime } from '../runtime.js';
import { DATASETS, PREPROCESSING, checkDataDir, datasetId, loadDataset } from '../datasets.js';

export async function evalCmd(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['dataset', 'data-dir', 'test-limit', 'threads']);
  if (args.opts.help) { process.stdout.write(HELP_EVAL); return; }
  if (args.positional.length !== 1) throw new UsageError(args.positional.length ? `expected one model file, got ${args.positional.length} arguments` : 'missing the model file (ecopt eval MODEL.safetensors)');
  const file = args.positional[0];
  const testLimit = optInt(args, 'test-limit');
  const given = args.opts.dataset === undefined ? undefined : String(args.opts.dataset);
  const dataDir = args.opts['data-dir'] === undefined ? undefined : String(args.opts['data-dir']);
  if (given !== undefined && !DATASETS.includes(given) && !given.startsWith('idx:')) {
    throw new UsageError(`--dataset must be mnist, fashion-mnist, cifar10 or idx:<images>,<labels>[,<testImages>,<testLabels>], got '${given}'${didYouMean(given, DATASETS)}`);
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
      if (!DATASETS.includes(info.name)) {
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
  if (datasetFrom === 'file' && datasetSpec === 'cifar10' && dataDir === undefined) {
    throw new UsageError(`${file} was trained on cifar10 (${DATASET_KEY} metadata); give --data-dir DIR, the directory with its binary files (data_batch_1.bin ... test_batch.bin)`);
  }
  checkDataDir(datasetId(datasetSpec), dataDir);
  await initRuntime(args);
  const fromSafetensors = (Sequential as unknown as { fromSafetensors?: (b: Uint8Array) => Sequential }).fromSafetensors;
  if (typeof fromSafetensors !== 'function') throw new Error('eval needs Sequential.fromSafetensors, which this build does not have');
  const data = await loadDataset(datasetSpec, 1, testLimit, dataDir);
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
