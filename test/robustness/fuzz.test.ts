// Seeded, bounded fuzzing of the two file parsers: 10,000 mutated safetensors files (through
// Sequential.fromSafetensors and loadOptimizerState) and 10,000 mutated IDX file pairs (through
// parseIDX and datasetFromIDX) per run, in Node and in Chromium. Every case must either load into
// something valid or throw FormatError: never another exception, never a hang (per-case and total
// time bounds), never a leak or growth of wasm memory beyond what the small inputs justify.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, PReLU, Conv2D, MaxPool2D, Flatten, Adam, FormatError, getRuntime,
  loadOptimizerState, parseIDX, datasetFromIDX, type Optimizer,
} from '../../src/index.js';
import { runtime, rng } from '../helpers.js';

const CASES = 10_000;
/** Any single case slower than this is a hang (generous: GC pauses in a loaded CI). */
const MAX_CASE_MS = 250;

beforeAll(async () => { await runtime(); });

const enc = new TextEncoder();
const dec = new TextDecoder();
type Rng = ReturnType<typeof rng>;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)];
const int = (r: Rng, n: number) => Math.floor(r.next() * n);
const now = () => performance.now();

/** Error messages with numbers and quoted parts blanked out: distinct ones show which checks the fuzz reached. */
const template = (m: string) => m.replace(/"[^"]*"|'[^']*'|-?\d+(\.\d+)?(e[+-]?\d+)?/g, '#').slice(0, 60);

interface Tally { ok: number; formatErrors: number; templates: Set<string>; bad: string[]; maxMs: number }
const tally = (): Tally => ({ ok: 0, formatErrors: 0, templates: new Set(), bad: [], maxMs: 0 });

/** Runs one target on one input: a FormatError or success is fine; anything else is recorded. */
function attempt(t: Tally, label: string, fn: () => void): void {
  const t0 = now();
  try {
    fn();
    t.ok++;
  } catch (e) {
    if (e instanceof FormatError) {
      t.formatErrors++;
      t.templates.add(template(e.message));
    } else if (t.bad.length < 10) {
      t.bad.push(`${label}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  }
  const ms = now() - t0;
  if (ms > t.maxMs) t.maxMs = ms;
}

// ---- safetensors ----

function splitFile(f: Uint8Array): { header: string; data: Uint8Array } {
  const n = new DataView(f.buffer, f.byteOffset).getUint32(0, true);
  return { header: dec.decode(f.subarray(8, 8 + n)), data: f.subarray(8 + n) };
}

function joinFile(header: string, data: Uint8Array, n?: number): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  const v = new DataView(out.buffer);
  const len = n ?? h.length;
  v.setUint32(0, len % 4294967296, true);
  v.setUint32(4, Math.floor(len / 4294967296) % 4294967296, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const WEIRD: unknown[] = [
  -1, 0, 1, 2, 3, 7, 1.5, -0, 1e300, 2 ** 53, 2 ** 32, 4294967295, NaN, null, true, 'F32', 'F16', 'BF16', '', '3',
  [], [0], [1, 2], [-1, 2], [2, 3], [0, 0], [1e9, 1e9], {}, { a: 1 }, 'same',
];

/** A structural edit of the parsed header JSON (re-encoded with a correct length). */
function editJSON(r: Rng, header: string): string {
  const h = JSON.parse(header) as Record<string, any>;
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const name = pick(r, names);
  const e = h[name];
  switch (int(r, 12)) {
    case 0: delete h[name]; break;
    case 1: e.dtype = pick(r, WEIRD); break;
    case 2: e.shape = pick(r, WEIRD); break;
    case 3: if (Array.isArray(e.shape) && e.shape.length) e.shape[int(r, e.shape.length)] = pick(r, WEIRD); break;
    case 4: e.data_offsets = pick(r, WEIRD); break;
    case 5: e.data_offsets[int(r, 2)] += pick(r, [-8, -4, -1, 1, 4, 8, 1024, 2 ** 40]); break;
    case 6: h[pick(r, ['extra', '9.weight', '__metadata__', 'optimizer.state.7'])] = { ...e }; break;
    case 7: h[name] = pick(r, WEIRD); break;
    case 8: { // swap two tensors' offsets
      const other = h[pick(r, names)];
      [e.data_offsets, other.data_offsets] = [other.data_offsets, e.data_offsets];
      break;
    }
    case 9: { // edit the spec in the metadata
      const m = h.__metadata__;
      if (!m?.['ecopt.spec']) break;
      const spec = JSON.parse(m['ecopt.spec']);
      const which = int(r, 5);
      if (which === 0) spec.inputShape = pick(r, WEIRD);
      else if (which === 1) spec.seed = pick(r, WEIRD);
      else if (which === 2) delete spec.inputShape;
      else {
        const layer = pick(r, spec.layers as Record<string, unknown>[]);
        const keys = Object.keys(layer);
        if (which === 3) layer[pick(r, keys)] = pick(r, WEIRD);
        else delete layer[pick(r, keys)];
      }
      m['ecopt.spec'] = JSON.stringify(spec);
      break;
    }
    case 10: { // edit the optimizer record
      const m = h.__metadata__;
      if (!m?.['ecopt.optimizer']) break;
      const rec = JSON.parse(m['ecopt.optimizer']);
      rec[pick(r, ['kind', 'step', 'buffers', 'options'])] = pick(r, WEIRD);
      m['ecopt.optimizer'] = JSON.stringify(rec);
      break;
    }
    default: h.__metadata__ = pick(r, [...WEIRD, { format: 1 }]);
  }
  return JSON.stringify(h);
}

const JSON_CHARS = '{}[],:"0123456789.-eE \\ntruefalsenull\u00e9';

/** One mutated safetensors file; `kind` says which family of mutation made it. */
function mutateSafetensors(r: Rng, base: Uint8Array): Uint8Array {
  const f = base.slice();
  const { header, data } = splitFile(base);
  switch (int(r, 7)) {
    case 0: { // bit flips, mostly in the length field and header
      const flips = 1 + int(r, 8);
      const hdrEnd = 8 + enc.encode(header).length;
      for (let i = 0; i < flips; i++) {
        const pos = r.next() < 0.8 ? int(r, hdrEnd) : int(r, f.length);
        f[pos] ^= 1 << int(r, 8);
      }
      return f;
    }
    case 1: // truncation
      return f.slice(0, int(r, f.length));
    case 2: { // header-length edits
      const v = new DataView(f.buffer);
      const n = v.getUint32(0, true);
      const choice = int(r, 5);
      if (choice === 0) v.setUint32(0, n + pick(r, [-9, -8, -2, -1, 1, 2, 8, 64, 1024]), true);
      else if (choice === 1) v.setUint32(0, Math.floor(r.next() * 4294967296), true);
      else if (choice === 2) v.setUint32(4, 1 + int(r, 0xffffffff), true);
      else if (choice === 3) v.setUint32(0, int(r, f.length + 16), true);
      else { v.setUint32(0, 0, true); v.setUint32(4, 0, true); }
      return f;
    }
    case 3: // structural JSON edits
      return joinFile(editJSON(r, header), data);
    case 4: { // text edits of the header JSON, length kept consistent
      const chars = [...header];
      const edits = 1 + int(r, 4);
      for (let i = 0; i < edits; i++) {
        const pos = int(r, chars.length);
        const op = int(r, 3);
        if (op === 0) chars[pos] = pick(r, [...JSON_CHARS]);
        else if (op === 1) chars.splice(pos, 1);
        else chars.splice(pos, 0, pick(r, [...JSON_CHARS]));
      }
      return joinFile(chars.join(''), data);
    }
    case 5: { // data region: insert, delete or overwrite bytes (NaN/Inf patterns included)
      const d = Array.from(data);
      const pos = int(r, d.length + 1);
      const op = int(r, 3);
      if (op === 0) d.splice(pos, 0, ...Array.from({ length: 1 + int(r, 8) }, () => int(r, 256)));
      else if (op === 1) d.splice(pos, 1 + int(r, 8));
      else { const nan = pick(r, [[0, 0, 0xc0, 0x7f], [0, 0, 0x80, 0x7f], [0, 0, 0x80, 0xff]]); d.splice(pos - (pos % 4), 4, ...nan); }
      return joinFile(header, new Uint8Array(d));
    }
    default: // header replaced by a random JSON value or garbage
      return joinFile(pick(r, ['[]', 'null', '1', '"x"', '{', '{}', '{"a":', '{"__metadata__":{}}', '\u0000{}', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}']), data);
  }
}

describe('fuzz: safetensors', () => {
  it(`${CASES} mutated files load or throw FormatError, bounded in time and memory`, () => {
    const { arena } = getRuntime();
    // base files: an MLP checkpoint with Adam state and a CNN weights-only file
    const mlp = new Sequential([new Dense(5, 6), new ReLU(), new Dense(6, 4, { bias: false }), new PReLU(), new Dense(4, 3)], { seed: 1 });
    const adam = new Adam(mlp, { lr: 0.01 });
    mlp.trainBatch(rng(2).uniform(20), new Int32Array([0, 1, 2, 1]), adam);
    const cnn = new Sequential([new Conv2D(1, 2, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(2 * 3 * 3, 3)], { seed: 2, inputShape: [1, 6, 6] });
    const bases = [mlp.toSafetensors({ optimizer: adam }), cnn.toSafetensors()];
    // the target of loadOptimizerState: a fresh model + Adam of the MLP's architecture
    const target = Sequential.fromSafetensors(bases[0]);
    const targetOpt: Optimizer = new Adam(target, { lr: 0.01 });
    loadOptimizerState(targetOpt, bases[0]); // the unmutated file loads

    const baseline = arena.bytesInUse;
    const memBefore = arena.memoryBytes;
    const t = tally();
    const r = rng(20240601);
    const t0 = now();
    let leaks = 0;
    for (let i = 0; i < CASES; i++) {
      const file = mutateSafetensors(r, bases[i % 2]);
      attempt(t, `case ${i} fromSafetensors`, () => {
        const m = Sequential.fromSafetensors(file);
        try {
          for (const w of m.getWeights()) if (!w.every(Number.isFinite)) throw new Error('loaded a non-finite weight');
        } finally {
          m.dispose();
        }
      });
      attempt(t, `case ${i} loadOptimizerState`, () => loadOptimizerState(targetOpt, file));
      if (arena.bytesInUse !== baseline) { leaks++; break; }
    }
    const totalMs = now() - t0;
    console.log(`safetensors fuzz: ${CASES} files x 2 targets in ${totalMs.toFixed(0)} ms (max ${t.maxMs.toFixed(1)} ms per call): ` +
      `${t.ok} loaded, ${t.formatErrors} FormatError, ${t.templates.size} distinct messages`);
    expect(t.bad, 'only FormatError may escape').toEqual([]);
    expect(leaks, 'arena blocks leaked by a failed load').toBe(0);
    expect(t.ok + t.formatErrors).toBe(2 * CASES);
    expect(t.maxMs).toBeLessThan(MAX_CASE_MS);
    expect(totalMs).toBeLessThan(20_000);
    // the inputs are a few KB: wasm memory must not have grown by more than a page or two
    expect(arena.memoryBytes - memBefore).toBeLessThanOrEqual(2 * 65536);
    // the mutations reach deep: some files still load, and many different checks fire
    expect(t.ok).toBeGreaterThan(CASES / 100);
    expect(t.formatErrors).toBeGreaterThan(CASES / 2);
    expect(t.templates.size).toBeGreaterThan(40);
    for (const m of [mlp, cnn, target]) m.dispose();
  });
});

// ---- IDX ----

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function mutateIDX(r: Rng, base: Uint8Array): Uint8Array {
  const f = base.slice();
  const ndim = base[3];
  const hdr = 4 + 4 * ndim;
  switch (int(r, 5)) {
    case 0: { // bit flips, mostly in the header
      const flips = 1 + int(r, 4);
      for (let i = 0; i < flips; i++) f[r.next() < 0.8 ? int(r, hdr) : int(r, f.length)] ^= 1 << int(r, 8);
      return f;
    }
    case 1: return f.slice(0, int(r, f.length));
    case 2: { // a dimension set to a random or edge value
      const v = new DataView(f.buffer);
      const d = int(r, ndim);
      v.setUint32(4 + 4 * d, pick(r, [0, 1, 2, 0xffffffff, 0x80000000, 65536, Math.floor(r.next() * 4294967296), v.getUint32(4 + 4 * d) + 1]), false);
      return f;
    }
    case 3: // type or ndim byte
      f[int(r, 2) + 2] = pick(r, [0, 1, 2, 3, 4, 5, 8, 9, 0x0b, 0x0d, 0xff]);
      return f;
    default: { // bytes appended or removed, label values changed
      if (r.next() < 0.5) { const out = new Uint8Array(f.length + 1 + int(r, 8)); out.set(f); return out; }
      f[hdr + int(r, f.length - hdr)] = pick(r, [9, 10, 11, 255]);
      return f;
    }
  }
}

describe('fuzz: IDX', () => {
  it(`${CASES} mutated IDX pairs parse or throw FormatError, bounded in time`, () => {
    const r0 = rng(7);
    const N = 6, H = 4, Wd = 5;
    const images = idx([N, H, Wd], Uint8Array.from(r0.int(N * H * Wd, 256)));
    const labels = idx([N], Uint8Array.from(r0.int(N, 10)));
    const clean = datasetFromIDX(images, labels);
    expect(clean.count).toBe(N);
    // consistent files of zero-sized images used to load as a dataset (random mutations rarely make one)
    expect(() => datasetFromIDX(idx([N, 0, Wd], new Uint8Array(0)), labels)).toThrow(FormatError);
    expect(() => datasetFromIDX(idx([N, H, 0], new Uint8Array(0)), labels)).toThrow(/images of 4x0 pixels hold no data/);
    const t = tally();
    const r = rng(99);
    const t0 = now();
    for (let i = 0; i < CASES; i++) {
      const which = int(r, 3);
      const img = which !== 1 ? mutateIDX(r, images) : images;
      const lab = which !== 0 ? mutateIDX(r, labels) : labels;
      attempt(t, `case ${i} parseIDX`, () => {
        const p = parseIDX(img);
        const total = p.dims.reduce((a, b) => a * b, 1);
        if (p.data.length !== total) throw new Error(`parseIDX returned ${p.data.length} bytes for dims [${p.dims}]`);
      });
      attempt(t, `case ${i} datasetFromIDX`, () => {
        const ds = datasetFromIDX(img, lab);
        const per = ds.shape.reduce((a, b) => a * b, 1);
        if (ds.count < 1 || per < 1 || ds.images.length !== ds.count * per || ds.labels.length !== ds.count) throw new Error(`inconsistent dataset ${JSON.stringify(ds.shape)} x ${ds.count}`);
        if (!ds.labels.every((l) => l < ds.classes)) throw new Error('label out of range');
      });
    }
    const totalMs = now() - t0;
    console.log(`IDX fuzz: ${CASES} pairs x 2 targets in ${totalMs.toFixed(0)} ms (max ${t.maxMs.toFixed(1)} ms per call): ` +
      `${t.ok} parsed, ${t.formatErrors} FormatError, ${t.templates.size} distinct messages`);
    expect(t.bad, 'only FormatError may escape').toEqual([]);
    expect(t.ok + t.formatErrors).toBe(2 * CASES);
    expect(t.maxMs).toBeLessThan(MAX_CASE_MS);
    expect(totalMs).toBeLessThan(10_000);
    expect(t.ok).toBeGreaterThan(CASES / 100);
    expect(t.formatErrors).toBeGreaterThan(CASES / 2);
    expect(t.templates.size).toBeGreaterThan(8);
  });
});
