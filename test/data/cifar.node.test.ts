// loadCIFAR10 in Node on files written here in CIFAR-10's exact binary format (test/data/cifar-files.ts):
// the records of the five training files in order and the test file, bytes in [3, 32, 32] order;
// limits read only the files and bytes they need; a missing directory or file, a truncated file and
// a bad label are errors naming the file (and where to get CIFAR-10); the result trains as bytes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  loadCIFAR10, CIFAR10_CLASSES, Sequential, Conv2D, ReLU, MaxPool2D, Flatten, Dense, SGD, ArgumentError, FormatError,
} from '../../src/index.js';
import { runtime } from '../helpers.js';
import { CIFAR_COUNTS, cifarExpected, cifarFiles } from './cifar-files.js';

let root = '';
const expected = cifarExpected();

/** Writes the fixture (optionally changed) into a new directory under root; returns its path. */
function writeDir(name: string, change?: (files: Record<string, Uint8Array>) => void): string {
  const d = join(root, name);
  mkdirSync(d);
  const files = cifarFiles();
  change?.(files);
  for (const [f, b] of Object.entries(files)) writeFileSync(join(d, f), b);
  return d;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);
}

beforeAll(async () => {
  await runtime();
  root = mkdtempSync(join(tmpdir(), 'ecopt-cifar-'));
});
afterAll(() => { if (root) rmSync(root, { recursive: true, force: true }); });

describe('loadCIFAR10 (Node)', () => {
  it('reads data_batch_1..5 in order and test_batch: bytes in [3, 32, 32], labels, 10 classes', async () => {
    const dir = writeDir('ok');
    const { train, test } = await loadCIFAR10({ dir });
    expect(train.count).toBe(13);
    expect(test.count).toBe(5);
    for (const [ds, want] of [[train, expected.train], [test, expected.test]] as const) {
      expect(ds.images).toBeInstanceOf(Uint8Array);
      expect(ds.images).toEqual(want.images);
      expect(ds.labels).toEqual(want.labels);
      expect(ds.shape).toEqual([3, 32, 32]);
      expect(ds.classes).toBe(10);
    }
    // the red plane comes first: pixel (c, y, x) of sample 0 is byte 1 + c * 1024 + y * 32 + x of its record
    const file1 = cifarFiles()['data_batch_1.bin'];
    expect(train.images[2 * 1024 + 5 * 32 + 7]).toBe(file1[1 + 2 * 1024 + 5 * 32 + 7]);
    expect(CIFAR10_CLASSES).toHaveLength(10);
    expect(CIFAR10_CLASSES[train.labels[0]]).toBeTypeOf('string');
    // the same through baseURL: a file: URL, and a path relative to the working directory
    expect(await loadCIFAR10({ baseURL: pathToFileURL(dir) })).toEqual({ train, test });
    expect((await loadCIFAR10({ baseURL: relative(process.cwd(), dir) })).train.labels).toEqual(train.labels);
  });

  it('trainLimit/testLimit: the first samples, reading only the files they need', async () => {
    const dir = writeDir('limits');
    const all = await loadCIFAR10({ dir });
    // 4 samples: 3 from data_batch_1 and 1 from data_batch_2; files 3..5 are never opened
    for (const f of ['data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin']) unlinkSync(join(dir, f));
    const { train, test } = await loadCIFAR10({ dir, trainLimit: 4, testLimit: 2 });
    expect(train.count).toBe(4);
    expect(train.images).toEqual(all.train.images.subarray(0, 4 * 3072));
    expect(train.labels).toEqual(all.train.labels.subarray(0, 4));
    expect(test.count).toBe(2);
    expect(test.labels).toEqual(all.test.labels.subarray(0, 2));
    // more than there is: all of it (and now the missing file is needed)
    const e = await failure(loadCIFAR10({ dir, trainLimit: 6 }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/data_batch_3\.bin is missing/);
    const full = await loadCIFAR10({ dir: writeDir('limits-full'), trainLimit: 1000, testLimit: 1000 });
    expect(full.train.count).toBe(13);
    expect(full.test.count).toBe(5);
  });

  it('a missing directory or file says which, and where to get the binary version', async () => {
    const none = await failure(loadCIFAR10({ dir: join(root, 'no-such-dir') }));
    expect(none).toBeInstanceOf(ArgumentError);
    expect(none.message).toMatch(/the directory .*no-such-dir does not exist; dir must be the directory with data_batch_1\.bin, .*test_batch\.bin/);
    expect(none.message).toContain('https://www.cs.toronto.edu/~kriz/cifar.html');
    expect(none.message).toMatch(/binary version/);
    const dir = writeDir('missing-test');
    unlinkSync(join(dir, 'test_batch.bin'));
    const e = await failure(loadCIFAR10({ dir }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/test_batch\.bin is missing; the directory must hold/);
    expect(e.message).toContain('cifar-10-batches-bin');
    const file = join(dir, 'data_batch_1.bin');
    expect((await failure(loadCIFAR10({ dir: file }))).message).toMatch(/is not a directory/);
  });

  it('a truncated file, an empty file and a bad label are FormatErrors naming the file', async () => {
    const cut = writeDir('truncated');
    truncateSync(join(cut, 'data_batch_2.bin'), 2 * 3073 - 100);
    const t = await failure(loadCIFAR10({ dir: cut }));
    expect(t).toBeInstanceOf(FormatError);
    expect(t.message).toMatch(/data_batch_2\.bin has 6046 bytes, not a whole number of 3073-byte records \(1 label byte \+ 3072 pixel bytes; 1 records and 2973 bytes left over\): the file is truncated/);
    // a limit inside the whole records before the cut does not read the cut
    expect((await loadCIFAR10({ dir: cut, trainLimit: 4 })).train.count).toBe(4);
    const empty = writeDir('empty', (f) => { f['test_batch.bin'] = new Uint8Array(0); });
    expect((await failure(loadCIFAR10({ dir: empty }))).message).toMatch(/test_batch\.bin is empty/);
    const bad = writeDir('bad-label', (f) => { f['data_batch_3.bin'][2 * 3073] = 10; });
    const b = await failure(loadCIFAR10({ dir: bad }));
    expect(b).toBeInstanceOf(FormatError);
    expect(b.message).toMatch(/data_batch_3\.bin: record 2 has label 10; CIFAR-10 labels are 0\.\.9/);
  });

  it('bad options', async () => {
    expect((await failure(loadCIFAR10(undefined as never))).message).toMatch(/pass \{ dir \}.*or \{ baseURL \}.*cifar\.html/);
    expect((await failure(loadCIFAR10({ dir: 'a', baseURL: 'b' }))).message).toMatch(/not both/);
    expect((await failure(loadCIFAR10({ dir: 3 as never }))).message).toMatch(/dir must be a directory path \(a string\), got 3/);
    expect((await failure(loadCIFAR10({ dir: root, trainLimit: 0 }))).message).toMatch(/trainLimit must be a positive integer, got 0/);
  });

  it('the result trains as bytes, with augmentation and normalization (a small CNN, one epoch)', async () => {
    const { train, test } = await loadCIFAR10({ dir: writeDir('train') });
    const m = new Sequential([
      new Conv2D(3, 4, 3, { stride: 2, padding: 1 }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(4 * 8 * 8, 10),
    ], { seed: 1, inputShape: [3, 32, 32] });
    const normalize = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };
    const res = await m.fit(train, { optimizer: new SGD(m, { lr: 0.01 }), batchSize: 4, augment: { padding: 4, flip: true }, normalize, validation: test });
    expect(res.history).toHaveLength(1);
    expect(Number.isFinite(res.history[0].valLoss)).toBe(true);
    expect(m.evaluate(test, { normalize }).loss).toBe(res.history[0].valLoss);
    m.dispose();
    expect(Object.values(CIFAR_COUNTS).reduce((a, b) => a + b, 0)).toBe(train.count + test.count);
  });
});
