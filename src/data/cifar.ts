// CIFAR-10: loadCIFAR10() reading the "binary version" files (data_batch_1..5.bin, test_batch.bin;
// records of 1 label byte and 3072 pixel bytes, the red, green and blue 32x32 planes) from a
// directory in Node or a URL in browsers. CIFAR-10 is not on npm: the errors say where to get it.
// Images stay bytes (Dataset<Uint8Array>, 150 MB for the training set instead of 614 MB as float32):
// fit and evaluate scale them to [0, 1] in wasm, batch by batch.
import { ArgumentError, FormatError, checkOptions, describeValue } from '../core/errors.js';
import type { Dataset } from './dataset.js';
import { htmlStart, inNode, nodeModule, resolveDir } from './files.js';

/** CIFAR-10's class names, indexed by label (0 = 'airplane' ... 9 = 'truck'). */
export const CIFAR10_CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
] as const;

/** Options of `loadCIFAR10(options)`: where the six binary files are (`dir` or `baseURL`), and sample limits. */
export interface LoadCIFAR10Options {
  /**
   * Node: the directory holding data_batch_1.bin ... data_batch_5.bin and test_batch.bin, i.e. the
   * `cifar-10-batches-bin/` directory extracted from cifar-10-binary.tar.gz (relative to the working
   * directory).
   */
  dir?: string;
  /**
   * Browsers (Node too): the URL of a directory that serves the same six files, relative to the
   * page or absolute.
   */
  baseURL?: string | URL;
  /** Use only the first N training samples (only the files and bytes they need are read). */
  trainLimit?: number;
  /** Use only the first N test samples (only their bytes are read). */
  testLimit?: number;
}

/** Bytes of one record: the label, then 3 × 32 × 32 pixels. */
const RECORD = 1 + 3072;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = 'test_batch.bin';
const FILE_LIST = `${TRAIN_FILES.join(', ')}, ${TEST_FILE}`;
const WHERE = 'CIFAR-10 is not bundled with ecopt: download the "CIFAR-10 binary version" (cifar-10-binary.tar.gz) from ' +
  'https://www.cs.toronto.edu/~kriz/cifar.html and extract it; the six files are in its cifar-10-batches-bin/ directory';

/** Reads the first `max` records (all when undefined) of one file: whole records, checked. */
type Reader = (file: string, max: number | undefined) => Promise<Uint8Array>;

/** The records of `bytes` (a whole file, or its first `max` records), or FormatError for a partial record. */
function records(bytes: Uint8Array, file: string, where: string, max: number | undefined): Uint8Array {
  const html = bytes.length > 0 && bytes[0] === 0x3c ? htmlStart(bytes) : null; // '<'
  if (html) {
    throw new FormatError(`loadCIFAR10: ${where}${file} is an HTML page (starting '${html}'), not a CIFAR-10 binary file: the file is most ` +
      `likely not there and the server answers with a page. The directory must serve ${FILE_LIST}. ${WHERE}`);
  }
  if (bytes.length === 0) throw new FormatError(`loadCIFAR10: ${where}${file} is empty; expected records of ${RECORD} bytes (1 label byte, 3072 pixel bytes)`);
  if (max === undefined || bytes.length < max * RECORD) {
    if (bytes.length % RECORD !== 0) {
      throw new FormatError(`loadCIFAR10: ${where}${file} has ${bytes.length} bytes, not a whole number of ${RECORD}-byte records ` +
        `(1 label byte + 3072 pixel bytes; ${Math.floor(bytes.length / RECORD)} records and ${bytes.length % RECORD} bytes left over): ` +
        'the file is truncated, or not the CIFAR-10 binary version (10,000 records per file)');
    }
  }
  return max === undefined || bytes.length <= max * RECORD ? bytes : bytes.subarray(0, max * RECORD);
}

/** Node: reads files from a directory path (only the bytes asked for); `param` names the option it came from. */
async function fileReader(dir: string, param: 'dir' | 'baseURL'): Promise<[Reader, string]> {
  const [fs, path] = await Promise.all([nodeModule('fs/promises'), nodeModule('path')]);
  const abs: string = path.resolve(dir);
  const st = await fs.stat(abs).catch(() => null);
  if (!st) throw new ArgumentError(`loadCIFAR10: the directory ${abs} does not exist; ${param} must be the directory with ${FILE_LIST}. ${WHERE}`);
  if (!st.isDirectory()) throw new ArgumentError(`loadCIFAR10: ${abs} is not a directory; ${param} must be the directory with ${FILE_LIST}. ${WHERE}`);
  const where = abs.endsWith(path.sep) ? abs : abs + path.sep;
  const read: Reader = async (file, max) => {
    let fh;
    try {
      fh = await fs.open(path.join(abs, file), 'r');
    } catch (e) {
      const code = (e as { code?: string })?.code;
      const why = code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error)?.message ?? String(e)})`;
      throw new ArgumentError(`loadCIFAR10: ${where}${file} ${why}; the directory must hold ${FILE_LIST}. ${WHERE}`, { cause: e });
    }
    try {
      const { size } = await fh.stat();
      const want = max === undefined ? size : Math.min(size, max * RECORD);
      const bytes = new Uint8Array(want);
      for (let at = 0; at < want;) {
        const { bytesRead } = await fh.read(bytes, at, want - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      // a short file is read whole, so records() sees whether it ends in a partial record
      return records(bytes, file, where, want < size ? max : undefined);
    } finally {
      await fh.close();
    }
  };
  return [read, where];
}

/** Any http(s) URL: fetches files, with a limit only until their records are in. */
function urlReader(dir: URL): [Reader, string] {
  const read: Reader = async (file, max) => {
    const url = new URL(file, dir);
    const where = `baseURL (resolved to ${dir.href}) must be the directory that serves ${FILE_LIST}`;
    let res: Response;
    try {
      res = await fetch(url, max !== undefined ? { headers: { Range: `bytes=0-${max * RECORD - 1}` } } : undefined);
    } catch (e) {
      throw new Error(`loadCIFAR10: could not fetch ${url.href} (${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}); ${where}`, { cause: e });
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const E = res.status === 404 || res.status === 410 ? ArgumentError : Error;
      throw new E(`loadCIFAR10: could not fetch ${url.href} (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}); ${where}. ${WHERE}`);
    }
    // a range of the file (206), or all of it (200): read until the records asked for are in
    const need = max !== undefined ? max * RECORD : Infinity;
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    let have = 0;
    try {
      while (have < need) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        have += value.length;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    const bytes = new Uint8Array(have);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.length; }
    // fewer bytes than asked for: the whole (short) file, which must end with a whole record
    return records(bytes, file, dir.href, have < need ? undefined : max);
  };
  return [read, dir.href];
}

/** Labels and pixels of up to `limit` samples from `files`, read in order (later files only if needed). */
async function split(read: Reader, where: string, files: string[], limit: number | undefined): Promise<Dataset<Uint8Array>> {
  const parts: Uint8Array[] = [];
  let count = 0;
  for (const file of files) {
    if (limit !== undefined && count >= limit) break;
    const recs = await read(file, limit === undefined ? undefined : limit - count);
    parts.push(recs);
    count += recs.length / RECORD;
  }
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  let i = 0;
  for (let f = 0; f < parts.length; f++) {
    const recs = parts[f];
    for (let r = 0; r * RECORD < recs.length; r++, i++) {
      const label = recs[r * RECORD];
      if (label > 9) {
        throw new FormatError(`loadCIFAR10: ${where}${files[f]}: record ${r} has label ${label}; CIFAR-10 labels are 0..9 ` +
          '(CIFAR-100\'s binary files have 2 label bytes per record and are not CIFAR-10)');
      }
      labels[i] = label;
      images.set(recs.subarray(r * RECORD + 1, (r + 1) * RECORD), i * 3072);
    }
    parts[f] = new Uint8Array(0); // let the file's bytes go
  }
  return { images, labels, count, shape: [3, 32, 32], classes: 10 };
}

/**
 * Loads CIFAR-10 (50,000 training and 10,000 test images of 32×32 pixels in 10 classes, see
 * CIFAR10_CLASSES) from the six files of its binary version: `{ dir }` in Node, `{ baseURL }` in
 * browsers. Images are bytes 0..255 in [3, 32, 32] order (red, green, blue planes), which fit and
 * evaluate scale to [0, 1] in wasm. Each file may hold any whole number of records (10,000 in the
 * official files); a missing directory or file, a truncated file or a bad label is an error that
 * names the file. With trainLimit/testLimit only the bytes of those samples are read.
 */
export async function loadCIFAR10(options: LoadCIFAR10Options): Promise<{ train: Dataset<Uint8Array>; test: Dataset<Uint8Array> }> {
  options = checkOptions(options, 'loadCIFAR10');
  for (const k of ['trainLimit', 'testLimit'] as const) {
    const v = options[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)) {
      throw new ArgumentError(`loadCIFAR10: ${k} must be a positive integer, got ${describeValue(v)}`);
    }
  }
  const { dir, baseURL } = options;
  if (dir !== undefined && baseURL !== undefined) throw new ArgumentError('loadCIFAR10: pass dir (a path, Node) or baseURL (a URL), not both');
  if (dir === undefined && baseURL === undefined) {
    throw new ArgumentError(`loadCIFAR10: pass { dir } (Node: the directory with ${FILE_LIST}) or { baseURL } (a URL that serves them). ${WHERE}`);
  }
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) throw new ArgumentError(`loadCIFAR10: dir must be a directory path (a string), got ${describeValue(dir)}`);
  if (baseURL !== undefined && typeof baseURL !== 'string' && !(baseURL instanceof URL)) {
    throw new ArgumentError(`loadCIFAR10: baseURL must be a string or URL (a directory), got ${describeValue(baseURL)}`);
  }
  if (dir !== undefined && !inNode) {
    throw new ArgumentError("loadCIFAR10: dir reads files in Node; in a browser pass { baseURL }, the URL of a directory that serves the six files, e.g. loadCIFAR10({ baseURL: '/cifar-10-batches-bin/' })");
  }
  const url = dir === undefined ? await resolveDir(baseURL!, 'loadCIFAR10') : null;
  const [read, where] = url === null ? await fileReader(dir!, 'dir')
    : url.protocol === 'file:' ? await fileReader((await nodeModule('url')).fileURLToPath(url), 'baseURL') : urlReader(url);
  const train = await split(read, where, TRAIN_FILES, options.trainLimit);
  const test = await split(read, where, [TEST_FILE], options.testLimit);
  return { train, test };
}
