// Where init() gets its wasm and pool worker from, in Node and in Chromium: bytes that are not
// WebAssembly (an HTML page from a 404/SPA fallback, garbage, nothing) and URLs that answer an
// error fail with a message that says what was fetched from where and how to fix it; the wasm
// module of the threads build and the pool worker script can be given explicitly (threadsWasmURL,
// threadsWasmBytes, workerURL), as a bundled app needs; a failed init leaves no runtime behind.
import { describe, it, expect, afterEach } from 'vitest';
import { init, shutdown, getRuntime, Sequential, Dense, ReLU, SGD } from '../src/index.js';
import { rng, hashArrays } from './helpers.js';

const inBrowser = typeof window !== 'undefined';
// the repository's files: in Node next to this test, in the browser project from the server root
const asset = (rel: string) => (inBrowser ? new URL(rel.replace(/^\.\.\//, '/'), location.origin) : new URL(rel, import.meta.url));
const SINGLE = asset('../build/ecopt.wasm');
const THREADS = asset('../build/ecopt.threads.wasm');
const WORKER = asset('../src/pool-worker.js');
const HTML = '<!doctype html><html><head><title>My app</title></head><body><div id="root"></div></body></html>';

async function bytesOf(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = await import(/* @vite-ignore */ fsName);
    return new Uint8Array(await fs.readFile(url));
  }
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

/** A few SGD steps on an MLP large enough for its GEMMs to be split over the pool; the weights' hash. */
function train(): string {
  const m = new Sequential([new Dense(64, 96), new ReLU(), new Dense(96, 10)], { seed: 5 });
  const o = new SGD(m, { lr: 0.05 });
  const r = rng(17);
  for (let s = 0; s < 3; s++) m.trainBatch(r.uniform(48 * 64), r.int(48, 10), o);
  const h = hashArrays(m.getWeights());
  m.dispose();
  return h;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e, 'init() should have failed').toBeInstanceOf(Error);
  expect(() => getRuntime(), 'a failed init() must leave no runtime').toThrow(/call `await init\(\)`/);
  return e as Error;
}

afterEach(async () => { await shutdown(); });

describe('init: bytes that are not WebAssembly', () => {
  it('an HTML page as wasmBytes is named as HTML, with the fixes (wasmURL / wasmBytes / copy build/*.wasm)', async () => {
    const e = await failure(init({ wasmBytes: new TextEncoder().encode(HTML) }));
    expect(e.message).toMatch(/HTML/);
    expect(e.message).toMatch(/init\(\{ wasmBytes \}\)/);
    expect(e.message).toMatch(/wasmURL/);
    expect(e.message).toMatch(/build\/\*\.wasm|ecopt\.wasm/);
    expect(e.message).not.toMatch(/CompileError|expected magic word/);
  });

  it('garbage bytes show the bytes found and the magic expected; empty bytes say empty', async () => {
    const e = await failure(init({ wasmBytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }));
    expect(e.message).toMatch(/01 02 03 04/);
    expect(e.message).toMatch(/00 61 73 6d/);
    const z = await failure(init({ wasmBytes: new Uint8Array(0) }));
    expect(z.message).toMatch(/empty/);
  });

  it('a URL that serves HTML (text/html) says what was fetched from where and that it is HTML', async () => {
    const url = `data:text/html,${encodeURIComponent(HTML)}`;
    const e = await failure(init({ wasmURL: url }));
    expect(e.message).toMatch(/HTML/);
    expect(e.message).toContain('data:text/html');
    expect(e.message).toMatch(/text\/html/);
    expect(e.message).toMatch(/wasmURL/);
  });

  it('a URL that answers an error or is missing names the URL and the fix', async () => {
    const missing = asset('../build/no-such-module.wasm');
    const e = await failure(init({ wasmURL: missing }));
    expect(e.message).toContain(missing.href.replace(/^file:\/\//, ''));
    expect(e.message).toMatch(inBrowser ? /HTTP 404/ : /ENOENT|no such file/i);
    expect(e.message).toMatch(/wasmURL|wasmBytes/);
  });

  it('the threads build given as the single-thread module (and the reverse) is named, not a bare LinkError', async () => {
    const e = await failure(init({ wasmBytes: await bytesOf(THREADS) }));
    expect(e.message).toMatch(/ecopt\.wasm/);
    expect(e.message).toMatch(/threads/);
    if (!inBrowser || globalThis.crossOriginIsolated) {
      const t = await failure(init({ threads: 2, threadsWasmBytes: await bytesOf(SINGLE), workerURL: WORKER }));
      expect(t.message).toMatch(/threadsWasm/);
      expect(t.message).toMatch(/ecopt\.threads\.wasm/);
    }
  });

  it('after all these failures init() with no options works as always', async () => {
    await failure(init({ wasmBytes: new TextEncoder().encode(HTML) }));
    const rt = await init();
    expect(rt.build).toBe('release');
    expect(train()).toMatch(/^[0-9a-f]+$/);
  });
});

describe('init: explicit sources for the threads build (threadsWasmURL / threadsWasmBytes / workerURL)', () => {
  it('threads: 2 with every source given by URL runs the threads build on 2 threads, same bits as 1 thread', async () => {
    await init({ threads: 1 });
    const one = train();
    await shutdown();
    const rt = await init({ threads: 2, wasmURL: SINGLE, threadsWasmURL: THREADS, workerURL: WORKER });
    expect(rt.note).toBeUndefined();
    expect(rt.threads).toBe(2);
    expect(rt.build).toBe('threads');
    expect(train()).toBe(one);
  });

  it('threadsWasmBytes works like threadsWasmURL; URLs may be strings', async () => {
    const rt = await init({ threads: 2, threadsWasmBytes: await bytesOf(THREADS), workerURL: WORKER.href });
    expect(rt.threads).toBe(2);
    expect(rt.build).toBe('threads');
    await shutdown();
    const again = await init({ threads: 2, threadsWasmURL: THREADS.href, workerURL: WORKER.href });
    expect(again.threads).toBe(2);
  });

  it('wasmURL alone with threads: 2 still runs one thread and the note says how to run threads', async () => {
    const rt = await init({ threads: 2, wasmURL: SINGLE });
    expect(rt.threads).toBe(1);
    expect(rt.note).toMatch(/threadsWasmURL/);
  });

  it('a missing pool worker script fails init with the worker URL and the workerURL fix; nothing is left running', async () => {
    const missing = asset('../dist/no-such-worker.js');
    const e = await failure(init({ threads: 2, threadsWasmURL: THREADS, workerURL: missing }));
    expect(e.message).toMatch(/pool worker/);
    expect(e.message).toContain(missing.pathname);
    expect(e.message).toMatch(/workerURL/);
    const rt = await init({ threads: 2 });
    expect(rt.threads).toBe(2);
  });

  it('rejects option values of the wrong type with the expected form', async () => {
    await expect(init({ threadsWasmURL: 42 as unknown as string })).rejects.toThrow(/threadsWasmURL must be a string or URL, got 42/);
    await expect(init({ workerURL: {} as unknown as string })).rejects.toThrow(/workerURL must be a string or URL/);
    await expect(init({ threadsWasmBytes: 'abc' as unknown as Uint8Array })).rejects.toThrow(/threadsWasmBytes must be an ArrayBuffer or Uint8Array/);
  });
});
