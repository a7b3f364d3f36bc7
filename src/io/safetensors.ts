// safetensors: a reader and writer of the standard format (github.com/huggingface/safetensors), hardened
// against corrupt files, and the dataset metadata of model files. Model files and training
// checkpoints built on it are in checkpoint.ts.
//
// Layout: 8-byte little-endian u64 header length N; N bytes of UTF-8 JSON
//   { "__metadata__": { string: string }, "<name>": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }, ... }
// padded with spaces to a multiple of 8 (as the reference writer does); then the data region, each
// tensor's little-endian bytes at [begin, end) relative to its start, contiguous, nothing left over.
// The reader never allocates more than the file's own size justifies: the header is decoded from a
// view of at most the file, tensors are views into it, and a model is only allocated after its
// parameter shapes were matched against tensors the file really holds.
import { isDim, product, MAX_DIM } from '../core/sizes.js';
import { FormatError, ArgumentError, describeValue } from '../core/errors.js';

/** The reference implementation refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;
/** Metadata key of the architecture spec (JSON text). */
export const SPEC_KEY = 'ecopt.spec';
/** Metadata key of the optimizer description (JSON text: kind, options, step, buffers). */
export const OPTIMIZER_KEY = 'ecopt.optimizer';
/** Name prefix of the optimizer's state buffers; `optimizer.state.0` ... each [paramRegionFloats]. */
export const STATE_PREFIX = 'optimizer.state.';
/**
 * Metadata key of the dataset the model was trained on (JSON text, a DatasetInfo), e.g.
 * `{"name":"fashion-mnist","sampleShape":[1,28,28],"classes":10,"preprocessing":"scale-0-1"}`.
 * `ecopt train --save` writes it and `ecopt eval` uses it; the library only stores and checks it.
 */
export const DATASET_KEY = 'ecopt.dataset';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One tensor of a file: its header entry and a view of its bytes (no copy). */
export interface SafetensorsEntry {
  name: string;
  /** 'F32', or 'I64' (PyTorch's integer buffers, e.g. BatchNorm's num_batches_tracked). */
  dtype: 'F32' | 'I64';
  shape: number[];
  /** Offsets relative to the start of the data region. */
  begin: number;
  end: number;
  /** The raw little-endian bytes (a view into the file). */
  bytes: Uint8Array;
}

/** A parsed safetensors file: its metadata strings and its tensors (views into the file's bytes). */
export interface SafetensorsFile {
  /** Tensors in data order. */
  tensors: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** N: the header's length in bytes; the data region starts at 8 + N. */
  headerLength: number;
}

/** A tensor to write: F32 values (a Float32Array) or I64 values (a BigInt64Array) in row-major order. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | BigInt64Array;
}

// ---- the format ----

export const show = (v: unknown): string => {
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = typeof v; }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and validates a safetensors file. Only F32 tensors are accepted (that is all ecopt stores).
 * Throws FormatError naming the problem: truncation, a bad header length, invalid UTF-8 or JSON, a
 * malformed entry, a wrong dtype, a shape that does not match its byte range, or data ranges that
 * are out of bounds, overlap, leave gaps or leave bytes over.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(`safetensors: expected a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length < 8) throw new FormatError(`safetensors: truncated file (${bytes.length} bytes; the header length alone takes 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 4294967296 + lo;
  if (n > MAX_HEADER_BYTES) throw new FormatError(`safetensors: header length ${n} is absurd (the limit is ${MAX_HEADER_BYTES} bytes; the file has ${bytes.length})`);
  if (n > bytes.length - 8) throw new FormatError(`safetensors: header length ${n} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  if (n < 2 || bytes[8] !== 0x7b /* { */) throw new FormatError('safetensors: the header does not start with a JSON object');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new FormatError('safetensors: the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`safetensors: the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw new FormatError(`safetensors: the header must be a JSON object, got ${Array.isArray(header) ? 'an array' : show(header)}`);

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: SafetensorsEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (entry === null) continue;
      if (!isObject(entry)) throw new FormatError(`safetensors: __metadata__ must be an object of strings, got ${show(entry)}`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new FormatError(`safetensors: __metadata__ value of ${show(k)} must be a string, got ${show(v)}`);
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const at = `safetensors: tensor ${show(name)}`;
    if (!isObject(entry)) throw new FormatError(`${at}: the header entry must be an object { dtype, shape, data_offsets }, got ${show(entry)}`);
    const { dtype, shape, data_offsets: offs } = entry;
    if (typeof dtype !== 'string') throw new FormatError(`${at}: dtype must be a string, got ${show(dtype)}`);
    if (dtype !== 'F32' && dtype !== 'I64') throw new FormatError(`${at} has dtype ${show(dtype)}; ecopt reads F32 (and I64 for integer buffers) only`);
    const size = dtype === 'I64' ? 8 : 4;
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw new FormatError(`${at}: shape must be an array of non-negative integers, got ${show(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !isIndex(offs[0]) || !isIndex(offs[1])) {
      throw new FormatError(`${at}: data_offsets must be [begin, end] with non-negative integers, got ${show(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end) throw new FormatError(`${at}: data_offsets [${begin}, ${end}] begin after they end`);
    if (end > dataLen) throw new FormatError(`${at}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; truncated?)`);
    // product of dims, stopping as soon as it exceeds what the range could hold (no overflow)
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (count * size > dataLen) break;
    }
    if (count * size !== end - begin) {
      throw new FormatError(`${at}: shape [${(shape as number[]).join(', ')}] needs ${count * size > dataLen ? `more than ${dataLen}` : count * size} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    tensors.push({ name, dtype, shape: (shape as number[]).slice(), begin, end, bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: SafetensorsEntry | null = null;
  for (const t of tensors) {
    if (t.begin < pos) throw new FormatError(`safetensors: tensor ${show(t.name)} [${t.begin}, ${t.end}] overlaps tensor ${show(prev!.name)} [${prev!.begin}, ${prev!.end}]`);
    if (t.begin > pos) throw new FormatError(`safetensors: the data has a gap at bytes [${pos}, ${t.begin}) before tensor ${show(t.name)}`);
    pos = t.end;
    prev = t;
  }
  if (pos !== dataLen) throw new FormatError(`safetensors: ${dataLen - pos} bytes after the last tensor are not covered by any tensor (the data region has ${dataLen} bytes)`);
  return { tensors, metadata, headerLength: n };
}

/**
 * Writes F32 tensors (in the given order, contiguous) and optional string metadata as a
 * safetensors file. The header is padded with spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const seen = new Set<string>();
  const entries: string[] = [];
  if (metadata !== undefined) {
    if (!isObject(metadata)) throw new ArgumentError(`writeSafetensors: metadata must be an object of strings, got ${describeValue(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ArgumentError(`writeSafetensors: metadata value of '${k}' must be a string, got ${describeValue(v)}`);
    }
    entries.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name === '' || t.name === '__metadata__' || seen.has(t.name)) {
      throw new ArgumentError(`writeSafetensors: tensor name ${show(t.name)} is empty, reserved or repeated`);
    }
    seen.add(t.name);
    if (!(t.data instanceof Float32Array) && !(t.data instanceof BigInt64Array)) throw new ArgumentError(`writeSafetensors: tensor '${t.name}' must hold a Float32Array (or a BigInt64Array for I64), got ${describeValue(t.data)}`);
    if (!Array.isArray(t.shape) || !t.shape.every(isIndex) || product(t.shape, 'shape') !== t.data.length) {
      throw new ArgumentError(`writeSafetensors: tensor '${t.name}' has ${t.data.length} values, which does not match shape ${show(t.shape)}`);
    }
    entries.push(`${JSON.stringify(t.name)}:{"dtype":"${t.data instanceof BigInt64Array ? 'I64' : 'F32'}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${offset + t.data.byteLength}]}`);
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const n = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, n % 4294967296, true);
  view.setUint32(4, Math.floor(n / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let pos = 8 + n;
  for (const t of tensors) {
    if (t.data instanceof BigInt64Array) {
      const v = new DataView(out.buffer, pos, t.data.byteLength);
      t.data.forEach((x, i) => v.setBigInt64(i * 8, x, true));
    } else {
      writeF32(out, pos, t.data);
    }
    pos += t.data.byteLength;
  }
  return out;
}

/** An I64 tensor's values as safe integers (FormatError beyond 2^53). */
export function tensorIntegers(t: SafetensorsEntry): number[] {
  if (t.dtype !== 'I64') throw new FormatError(`safetensors: tensor ${show(t.name)} has dtype ${t.dtype}, expected I64`);
  const v = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < t.bytes.byteLength / 8; i++) {
    const x = v.getBigInt64(i * 8, true);
    if (x < 0n || x > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`safetensors: tensor ${show(t.name)} holds ${x}, not a count in [0, 2^53)`);
    out.push(Number(x));
  }
  return out;
}

/** A tensor's values as a fresh (aligned) Float32Array. */
export function tensorData(t: SafetensorsEntry): Float32Array {
  if (t.dtype !== 'F32') throw new FormatError(`safetensors: tensor ${show(t.name)} has dtype ${t.dtype}, expected F32`);
  if (LITTLE_ENDIAN_HOST) return new Float32Array(t.bytes.slice().buffer);
  const v = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(t.bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(i * 4, true);
  return out;
}

function writeF32(out: Uint8Array, pos: number, data: Float32Array): void {
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    return;
  }
  const v = new DataView(out.buffer, out.byteOffset + pos, data.byteLength);
  for (let i = 0; i < data.length; i++) v.setFloat32(i * 4, data[i], true);
}

// ---- the dataset a model file describes ----

/** What the DATASET_KEY ('ecopt.dataset') metadata holds: the data the model was trained on. */
export interface DatasetInfo {
  /** 'mnist', 'fashion-mnist', 'idx' (IDX files given by path) or a name of your own. */
  name: string;
  /** Per-sample shape, e.g. [1, 28, 28]. */
  sampleShape: number[];
  /** Number of classes. */
  classes: number;
  /**
   * How raw samples became the model's inputs: 'scale-0-1' is bytes / 255, what loadMNIST,
   * loadFashionMNIST and datasetFromIDX give (the only one `ecopt eval` applies).
   */
  preprocessing: string;
  /** Further fields (e.g. `files` of an IDX dataset) are kept as they are. */
  [key: string]: unknown;
}

/** Validates the text of a DATASET_KEY entry; returns the problem (null when it is valid). */
export function datasetInfoProblem(text: string): { info?: DatasetInfo; problem?: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { problem: `'${DATASET_KEY}' is not valid JSON` };
  }
  if (!isObject(v)) return { problem: `'${DATASET_KEY}' must be a JSON object { name, sampleShape, classes, preprocessing }, got ${describeValue(v)}` };
  const at = `'${DATASET_KEY}': `;
  if (typeof v.name !== 'string' || v.name === '') return { problem: `${at}name must be a non-empty string, got ${describeValue(v.name)}` };
  const shape = v.sampleShape;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 8 || !shape.every((d) => isDim(d))) {
    return { problem: `${at}sampleShape must be an array of 1 to 8 integers in [1, ${MAX_DIM}], got ${Array.isArray(shape) ? show(shape) : describeValue(shape)}` };
  }
  if (!isDim(v.classes)) return { problem: `${at}classes must be an integer in [1, ${MAX_DIM}], got ${describeValue(v.classes)}` };
  if (typeof v.preprocessing !== 'string') return { problem: `${at}preprocessing must be a string such as 'scale-0-1', got ${describeValue(v.preprocessing)}` };
  return { info: v as DatasetInfo };
}

/**
 * The dataset a model file was trained on (its DATASET_KEY metadata), validated; null when the file
 * has none (saved without it, or by another tool). Takes the file's bytes or a readSafetensors()
 * result. Throws FormatError for a corrupt file or malformed metadata, naming the field.
 */
export function readDatasetInfo(file: Uint8Array | SafetensorsFile): DatasetInfo | null {
  if (!(file instanceof Uint8Array) && !(isObject(file) && isObject((file as SafetensorsFile).metadata))) {
    throw new FormatError(`readDatasetInfo: expected safetensors bytes (Uint8Array) or a file from readSafetensors, got ${describeValue(file)}`);
  }
  const f = file instanceof Uint8Array ? readSafetensors(file) : file;
  const text = f.metadata[DATASET_KEY];
  if (text === undefined) return null;
  const r = datasetInfoProblem(text);
  if (r.problem) throw new FormatError(`safetensors: metadata ${r.problem}`);
  return r.info!;
}

