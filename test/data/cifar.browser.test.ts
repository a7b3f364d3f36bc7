// loadCIFAR10 in a browser: the vitest server serves small files in CIFAR-10's binary format
// (test/data/cifar-files.ts) under /cifar10/ and a copy with a truncated test_batch.bin under
// /cifar10-truncated/ (vitest.config.ts). Same records as in Node; clear errors for `dir` (Node
// only), a directory that does not serve the files, and a truncated file.
import { describe, it, expect, beforeAll } from 'vitest';
import { loadCIFAR10, ArgumentError, FormatError } from '../../src/index.js';
import { runtime } from '../helpers.js';
import { cifarExpected } from './cifar-files.js';

const firstDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  if (x.length !== y.length) return -2;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
};

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);
}

describe('loadCIFAR10 in a browser', () => {
  beforeAll(runtime);

  it('reads the six files from baseURL (absolute path or relative to the page), bytes as in Node', async () => {
    const want = cifarExpected();
    const { train, test } = await loadCIFAR10({ baseURL: '/cifar10/' });
    expect(train.count).toBe(13);
    expect(test.count).toBe(5);
    expect(firstDiff(train.images, want.train.images)).toBe(-1);
    expect(firstDiff(train.labels, want.train.labels)).toBe(-1);
    expect(firstDiff(test.images, want.test.images)).toBe(-1);
    expect(firstDiff(test.labels, want.test.labels)).toBe(-1);
    expect(train.shape).toEqual([3, 32, 32]);
    const rel = await loadCIFAR10({ baseURL: new URL('/cifar10/', location.href).href, trainLimit: 4, testLimit: 2 });
    expect(rel.train.count).toBe(4);
    expect(firstDiff(rel.train.images, want.train.images.subarray(0, 4 * 3072))).toBe(-1);
    expect(rel.test.count).toBe(2);
  });

  it('dir is for Node; a directory without the files and a truncated file are errors naming the file', async () => {
    const d = await failure(loadCIFAR10({ dir: 'cifar-10-batches-bin' }));
    expect(d).toBeInstanceOf(ArgumentError);
    expect(d.message).toMatch(/dir reads files in Node; in a browser pass \{ baseURL \}/);
    const none = await failure(loadCIFAR10({ baseURL: '/no-cifar-here/' }));
    expect(none.message).toMatch(/data_batch_1\.bin/);
    expect(none.message).toMatch(/HTML page|HTTP 404/);
    expect(none.message).toContain('https://www.cs.toronto.edu/~kriz/cifar.html');
    const cut = await failure(loadCIFAR10({ baseURL: '/cifar10-truncated/' }));
    expect(cut).toBeInstanceOf(FormatError);
    expect(cut.message).toMatch(/cifar10-truncated\/test_batch\.bin has 6156 bytes, not a whole number of 3073-byte records/);
  });
});
