// The package as an app uses it: a tiny training page importing 'ecopt' (this repository's
// built dist/, through node_modules like an installed package) is bundled with esbuild, which does
// not rewrite `new URL('../build/ecopt.wasm', import.meta.url)`. The wasm files and the pool worker
// are copied next to the bundle and passed by URL (wasmURL, threadsWasmURL, workerURL); a small
// node:http server serves it on 127.0.0.1 with COOP/COEP and application/wasm; headless Chromium
// trains a small model on 2 threads with the same bits as Node. The same page on a server with an
// SPA fallback (index.html for unknown paths) and no wasm URLs must fail with an error that says
// it fetched HTML, from where, and how to fix it. The same page built with Vite, and unbundled with
// an import map, runs with no options at all. webpack 5 is not installed here; what it needs of the
// package (a pool worker that parses as a classic script) is checked directly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const REPO = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

// The page's training run, also run here in Node on the built library for the bit-for-bit check.
// Synthetic data from integer arithmetic only (identical in every engine): 4 classes of 16 features.
const TRAIN_SOURCE = `
export function data(n) {
  let a = 12345 >>> 0;
  const next = () => { a = (Math.imul(a, 1664525) + 1013904223) >>> 0; return a / 4294967296; };
  const images = new Float32Array(n * 16), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4; labels[i] = c;
    for (let j = 0; j < 16; j++) images[i * 16 + j] = (j % 4 === c ? 1 : 0) + 0.5 * (next() - 0.5);
  }
  return { images, labels, count: n, shape: [16], classes: 4 };
}
export async function trainSmall(lib) {
  const { Sequential, Dense, ReLU, SGD } = lib;
  const ds = data(512);
  const model = new Sequential([new Dense(16, 64), new ReLU(), new Dense(64, 4)], { seed: 7 });
  const optimizer = new SGD(model, { lr: 0.1 });
  const { history } = await model.fit(ds, { optimizer, epochs: 4, batchSize: 32, seed: 1 });
  const weights = model.getWeights().map((w) => Array.from(w));
  const acc = model.evaluate(ds).accuracy;
  model.dispose();
  return { losses: history.map((h) => h.loss), accuracy: acc, weights };
}
`;

const ENTRY = `
import * as lib from 'ecopt';
import { trainSmall } from './train.mjs';
const params = new URLSearchParams(location.search);
window.result = (async () => {
  try {
    const options = { threads: Number(params.get('threads') ?? 1) };
    if (params.get('urls') === '1') {
      // the files copied next to the bundle (assets/), resolved against the bundle's own URL
      options.wasmURL = new URL('./ecopt.wasm', import.meta.url);
      options.threadsWasmURL = new URL('./ecopt.threads.wasm', import.meta.url);
      options.workerURL = new URL('./pool-worker.js', import.meta.url);
    }
    const rt = await lib.init(options);
    const run = await trainSmall(lib);
    return { ok: true, threads: rt.threads, build: rt.build, note: rt.note ?? null, isolated: self.crossOriginIsolated, ...run };
  } catch (e) {
    return { ok: false, name: e?.name, message: String(e?.message ?? e) };
  }
})();
`;

const INDEX = '<!doctype html><html><head><meta charset="utf-8"><title>bundled ecopt</title>' +
  '<script type="module" src="/assets/app.js"></script></head><body>app</body></html>';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.map': 'application/json',
};

/** Static server for `root` with COOP/COEP/CORP; unknown paths: 404, or index.html (200) with `spa`. */
function serve(root: string, spa: boolean): Promise<{ server: Server; url: string; log: string[] }> {
  const log: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store',
    };
    let file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !extname(file)) {
      if (!spa) { log.push(`404 ${path}`); res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }); res.end('not found'); return; }
      log.push(`spa ${path}`);
      file = join(root, 'index.html');
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    ok({ server, url: `http://127.0.0.1:${port}/`, log });
  }));
}

interface PageResult {
  ok: boolean; threads?: number; build?: string; note?: string | null; isolated?: boolean;
  losses?: number[]; accuracy?: number; weights?: number[][]; name?: string; message?: string;
}

describe('a bundled app (esbuild) in Chromium', () => {
  let dir: string;
  let out: string;
  let browser: Browser;
  const servers: Server[] = [];

  beforeAll(async () => {
    for (const f of ['dist/index.js', 'dist/pool-worker.js', 'build/ecopt.wasm', 'build/ecopt.threads.wasm']) {
      if (!existsSync(join(REPO, f))) throw new Error(`${f} is missing: run npm run build first (npm test does)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'ecopt-bundle-'));
    // the app's project: 'ecopt' installed in node_modules (here: a link to this repository)
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO, join(dir, 'node_modules', 'ecopt'), 'dir');
    writeFileSync(join(dir, 'train.mjs'), TRAIN_SOURCE);
    writeFileSync(join(dir, 'app.js'), ENTRY);
    out = join(dir, 'out');
    mkdirSync(join(out, 'assets'), { recursive: true });
    const r = await build({
      entryPoints: [join(dir, 'app.js')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
      outfile: join(out, 'assets', 'app.js'), logLevel: 'silent', absWorkingDir: dir,
    });
    expect(r.errors).toEqual([]);
    // what the README tells users to copy next to their bundle
    for (const f of ['build/ecopt.wasm', 'build/ecopt.threads.wasm', 'dist/pool-worker.js']) {
      copyFileSync(join(REPO, f), join(out, 'assets', f.split('/')[1]));
    }
    writeFileSync(join(out, 'index.html'), INDEX);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) { s.closeAllConnections(); await new Promise((ok) => s.close(ok)); }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(spa: boolean, query: string, root = out): Promise<{ result: PageResult; log: string[]; errors: string[] }> {
    const { server, url, log } = await serve(root, spa);
    servers.push(server);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${url}${query}`);
      const result = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result) as PageResult;
      return { result, log, errors };
    } finally {
      await page.close();
    }
  }

  let node: Promise<{ losses: number[]; weights: number[][] }> | undefined;
  /** The page's training run in Node on the built library, on 1 thread (computed once). */
  function nodeRun() {
    node ??= (async () => {
      const lib = await import('../dist/index.js');
      const { trainSmall } = await import(/* @vite-ignore */ join(dir, 'train.mjs'));
      await lib.init({ threads: 1 });
      return trainSmall(lib);
    })();
    return node;
  }

  it('the pool worker script is valid as a classic script too (webpack copies it as an asset and minifies it as a script)', () => {
    const source = readFileSync(join(REPO, 'dist', 'pool-worker.js'), 'utf8');
    // a Function body parses as a script: no static import/export, no top-level await
    expect(() => new Function(source)).not.toThrow();
  });

  it('esbuild left the new URL(..., import.meta.url) of the library unrewritten (the reason for the options)', () => {
    const code = readFileSync(join(out, 'assets', 'app.js'), 'utf8');
    expect(code).toMatch(/new URL\("(?:\.\.\/)+build\/ecopt\.wasm", import\.meta\.url\)/);
  });

  it('trains on 2 threads with the files passed by URL; the loss decreases; same bits as Node', async () => {
    const { result, errors } = await open(false, '?threads=2&urls=1');
    expect(result.message).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.isolated).toBe(true);
    expect(result.note).toBeNull();
    expect(result.threads).toBe(2);
    expect(result.build).toBe('threads');
    const losses = result.losses!;
    expect(losses).toHaveLength(4);
    expect(losses[3]).toBeLessThan(losses[0] * 0.5);
    expect(result.accuracy).toBeGreaterThan(0.9);
    expect(errors).toEqual([]);

    // the same run in Node on the built library (1 thread): the same weights, bit for bit
    const node = await nodeRun();
    expect(result.losses).toEqual(node.losses);
    expect(result.weights).toEqual(node.weights);
  }, 60_000);

  it('with an SPA fallback and no wasm URLs, init() fails saying it fetched HTML, from where, and the fix', async () => {
    const { result, log } = await open(true, '?threads=1');
    expect(result.ok).toBe(false);
    expect(log).toContain('spa /build/ecopt.wasm'); // where the unrewritten URL points: next to the bundle's parent
    expect(result.message).toMatch(/HTML/);
    expect(result.message).toContain('/build/ecopt.wasm');
    expect(result.message).toMatch(/wasmURL/);
    expect(result.message).not.toMatch(/^WebAssembly|expected magic word/);
  }, 60_000);

  it('the same with threads: 2: the threads module is named, with threadsWasmURL and workerURL in the fix', async () => {
    const { result } = await open(true, '?threads=2');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/HTML/);
    expect(result.message).toContain('/build/ecopt.threads.wasm');
    expect(result.message).toMatch(/threadsWasmURL/);
    expect(result.message).toMatch(/workerURL/);
  }, 60_000);

  it('Vite (production build, no options): it rewrites the URLs itself; 2 threads, same bits as Node', async () => {
    const { build: viteBuild } = await import('vite');
    const root = join(dir, 'vite');
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), INDEX.replace('/assets/app.js', './app.js'));
    writeFileSync(join(root, 'app.js'), ENTRY.replace("'./train.mjs'", "'../train.mjs'"));
    await viteBuild({ root, configFile: false, logLevel: 'silent', build: { outDir: join(root, 'dist'), emptyOutDir: true } });
    const { result, log } = await open(false, '?threads=2', join(root, 'dist'));
    expect(result.message).toBeUndefined();
    expect(result.threads).toBe(2);
    expect(result.build).toBe('threads');
    expect(log.filter((l) => l.startsWith('404') && !l.endsWith('favicon.ico'))).toEqual([]);
    expect(result.weights).toEqual((await nodeRun()).weights);
  }, 120_000);

  it('plain <script type="module"> with an import map to the installed package (no bundler, no options): 2 threads', async () => {
    const root = join(dir, 'plain');
    mkdirSync(root);
    symlinkSync(join(dir, 'node_modules'), join(root, 'node_modules'), 'dir');
    copyFileSync(join(dir, 'train.mjs'), join(root, 'train.mjs'));
    writeFileSync(join(root, 'app.js'), ENTRY);
    writeFileSync(join(root, 'index.html'), '<!doctype html><html><head><meta charset="utf-8">' +
      '<script type="importmap">{ "imports": { "ecopt": "/node_modules/ecopt/dist/index.js" } }</script>' +
      '<script type="module" src="/app.js"></script></head><body>app</body></html>');
    const { result, log } = await open(false, '?threads=2', root);
    expect(result.message).toBeUndefined();
    expect(result.threads).toBe(2);
    expect(log.filter((l) => l.startsWith('404') && !l.endsWith('favicon.ico'))).toEqual([]);
    expect(result.weights).toEqual((await nodeRun()).weights);
  }, 60_000);
});
