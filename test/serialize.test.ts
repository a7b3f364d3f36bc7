// Serialization (src/io/spec.ts, src/io/safetensors.ts, src/io/checkpoint.ts): spec and safetensors round trips of MLPs and
// CNNs, the exact byte layout, bad specs and every corrupt-file case with its message, and
// bit-identical resume of training from a checkpoint for every optimizer.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten,
  SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD, FormatError, ArgumentError, getRuntime,
  readSafetensors, writeSafetensors, tensorData, loadOptimizerState, loadCheckpoint, modelFromSpec, checkSpec,
  type Optimizer, type ModelSpec,
} from '../src/index.js';
import { runtime, rng, hashArrays } from './helpers.js';

beforeAll(async () => { await runtime(); });

const enc = new TextEncoder();
const dec = new TextDecoder();

const mlp = (seed = 3) => new Sequential([
  new Dense(6, 8), new ReLU(), new Dense(8, 7, { bias: false, init: 'glorot-normal' }), new PReLU({ init: 0.2 }),
  new Dense(7, 5), new LeakyReLU(0.05), new Dense(5, 3),
], { seed });
const cnn = (seed = 4) => new Sequential([
  new Conv2D(1, 3, 3, { padding: 'same' }), new PReLU(), new MaxPool2D(2),
  new Conv2D(3, 4, [3, 2], { bias: false, stride: [1, 1], dilation: 1 }), new ReLU(), new AvgPool2D([1, 1]),
  new Flatten(), new Dense(4 * 2 * 3, 3),
], { seed, inputShape: [1, 8, 8] });
const gapCnn = () => new Sequential([
  new Conv2D(2, 4, 3, { stride: 2, padding: [1, 0], dilation: [1, 2], init: 'he-normal' }), new ReLU(), new GlobalAvgPool2D(), new Dense(4, 3),
], { seed: 9, inputShape: [2, 9, 9] });

const sample = (m: Sequential, n: number, seed: number) => rng(seed).uniform(n * m.inputShape.reduce((a, b) => a * b, 1), -1, 1);
const bytesInUse = () => getRuntime().arena.bytesInUse;

/** Asserts fn throws a FormatError whose message matches re. */
function expectFormatError(fn: () => unknown, re: RegExp): void {
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  expect(err, `expected a FormatError matching ${re}`).toBeInstanceOf(FormatError);
  expect((err as Error).message).toMatch(re);
}

describe('spec', () => {
  it('is the layers as data, exactly', () => {
    const m = new Sequential([new Dense(4, 3, { bias: false }), new ReLU(), new Dense(3, 2)], { seed: 7 });
    expect(m.toSpec()).toEqual({
      format: 'ecopt.sequential', version: 1, inputShape: [4], seed: 7,
      layers: [
        { type: 'Dense', inFeatures: 4, outFeatures: 3, bias: false, init: 'he-uniform' },
        { type: 'ReLU' },
        { type: 'Dense', inFeatures: 3, outFeatures: 2, bias: true, init: 'he-uniform' },
      ],
    });
    m.dispose();
  });

  const smooth = () => new Sequential([new Dense(4, 5), new Sigmoid(), new Dense(5, 4), new Tanh(), new Dense(4, 2)], { seed: 12 });
  for (const [name, make] of [['MLP', mlp], ['CNN', cnn], ['GAP CNN', gapCnn], ['Sigmoid/Tanh MLP', smooth]] as const) {
    it(`round-trips a ${name} through JSON: same spec, same initial weights`, () => {
      const a = make();
      const json = JSON.stringify(a.toSpec());
      const b = Sequential.fromSpec(json);
      const c = Sequential.fromSpec(JSON.parse(json) as ModelSpec);
      expect(b.toSpec()).toEqual(a.toSpec());
      expect(b.summary()).toBe(a.summary());
      expect(hashArrays(b.getWeights())).toBe(hashArrays(a.getWeights()));
      expect(hashArrays(c.getWeights())).toBe(hashArrays(a.getWeights()));
      for (const m of [a, b, c]) m.dispose();
    });
  }

  it('infers a missing inputShape as new Sequential does', () => {
    const layers = () => [new Conv2D(1, 2, 5), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(2 * 12 * 12, 10)];
    const ref = new Sequential(layers());
    const spec = ref.toSpec();
    delete spec.inputShape;
    const m = modelFromSpec(spec);
    expect(m.inputShape).toEqual(ref.inputShape);
    expect(m.inputShape).toEqual([1, 28, 28]);
    const d = Sequential.fromSpec({ format: 'ecopt.sequential', version: 1, layers: [{ type: 'Dense', inFeatures: 5, outFeatures: 2 }] });
    expect(d.inputShape).toEqual([5]);
    for (const x of [ref, m, d]) x.dispose();
  });

  const base = (): ModelSpec => ({
    format: 'ecopt.sequential', version: 1, inputShape: [4], seed: 0,
    layers: [{ type: 'Dense', inFeatures: 4, outFeatures: 8 }, { type: 'ReLU' }, { type: 'Dense', inFeatures: 8, outFeatures: 3 }],
  });
  const bad: [string, (s: ModelSpec) => unknown, RegExp][] = [
    ['negative outFeatures', (s) => { s.layers[2].outFeatures = -3; return s; }, /^spec\.layers\[2\] \(Dense\): outFeatures must be a positive integer, got -3$/],
    ['fractional inFeatures', (s) => { s.layers[0].inFeatures = 4.5; return s; }, /^spec\.layers\[0\] \(Dense\): inFeatures must be a positive integer, got 4\.5$/],
    ['unknown type', (s) => { s.layers[1] = { type: 'Softmax' }; return s; }, /^spec\.layers\[1\]: unknown layer type "Softmax" \(known: Dense, ReLU/],
    ['unknown field', (s) => { s.layers[1].alpha = 0.1; return s; }, /^spec\.layers\[1\] \(ReLU\): unknown field 'alpha' \(ReLU has no fields\)$/],
    ['unknown Dense field', (s) => { s.layers[0].activation = 'relu'; return s; }, /^spec\.layers\[0\] \(Dense\): unknown field 'activation' \(fields: inFeatures, outFeatures, bias, init\)$/],
    ['missing field', (s) => { delete s.layers[2].inFeatures; return s; }, /^spec\.layers\[2\] \(Dense\): missing field 'inFeatures' \(a positive integer\)$/],
    ['missing type', (s) => { delete (s.layers[0] as Partial<ModelSpec['layers'][0]>).type; return s; }, /^spec\.layers\[0\]: missing field 'type'$/],
    ['bad init', (s) => { s.layers[0].init = 'xavier'; return s; }, /^spec\.layers\[0\] \(Dense\): init must be one of 'he-uniform'.*got "xavier"$/],
    ['bad bias', (s) => { s.layers[0].bias = 'yes'; return s; }, /^spec\.layers\[0\] \(Dense\): bias must be a boolean, got "yes"$/],
    ['bad conv padding', (s) => { s.inputShape = [1, 4, 4]; s.layers[0] = { type: 'Conv2D', inChannels: 1, outChannels: 2, kernel: 3, padding: 'valid' }; return s; },
      /^spec\.layers\[0\] \(Conv2D\): padding must be a non-negative integer, a pair of them, or 'same', got "valid"$/],
    ['bad pool kernel', (s) => { s.layers[1] = { type: 'MaxPool2D', kernel: [2, 0] }; return s; }, /^spec\.layers\[1\] \(MaxPool2D\): kernel must be a positive integer or a pair of them, got \[2,0\]$/],
    ['shape mismatch', (s) => { s.layers[2].inFeatures = 9; return s; }, /^spec: layer 2 \(Dense 9->3\) expects 9 input features/],
    ['no vector output', (s) => { s.inputShape = [1, 4, 4]; s.layers = [{ type: 'Conv2D', inChannels: 1, outChannels: 2, kernel: 3 }]; return s; }, /^spec: the last layer must output a vector/],
    ['wrong format', (s) => ({ ...s, format: 'keras' }), /^spec\.format must be 'ecopt\.sequential', got "keras"$/],
    ['newer version', (s) => ({ ...s, version: 2 }), /^spec\.version must be 1, got 2 \(written by a newer ecopt\)$/],
    ['unknown top field', (s) => ({ ...s, optimizer: 'adam' }), /^spec: unknown field 'optimizer'/],
    ['bad inputShape', (s) => ({ ...s, inputShape: [0] }), /^spec\.inputShape must be a non-empty array of positive integers, got \[0\]$/],
    ['bad seed', (s) => ({ ...s, seed: -1 }), /^spec\.seed must be a non-negative integer, got -1$/],
    ['empty layers', (s) => ({ ...s, layers: [] }), /^spec\.layers must be a non-empty array, got \[\]$/],
    ['not an object', () => [1, 2], /^spec: expected an object/],
    ['not JSON', () => '{"format": ', /^spec: not valid JSON/],
  ];
  for (const [what, edit, re] of bad) {
    it(`rejects a bad spec: ${what}`, () => {
      const before = bytesInUse();
      expectFormatError(() => Sequential.fromSpec(edit(base()) as ModelSpec), re);
      expect(bytesInUse(), 'nothing leaked').toBe(before);
    });
  }

  it('frees conv descriptors when a CNN spec fails late', () => {
    const spec = cnn().toSpec();
    spec.layers[7].outFeatures = 0;
    const s2 = cnn().toSpec();
    s2.layers[7].inFeatures = 23;
    const before = bytesInUse();
    expectFormatError(() => modelFromSpec(spec), /spec\.layers\[7\] \(Dense\): outFeatures/);
    expectFormatError(() => modelFromSpec(s2), /^spec: layer 7 \(Dense 23->3\)/);
    expect(bytesInUse()).toBe(before);
  });

  it('refuses to describe a layer that is not built in', () => {
    class MyReLU extends ReLU {}
    const m = new Sequential([new Dense(3, 2), new MyReLU()]);
    expect(() => m.toSpec()).toThrow(ArgumentError);
    expect(() => m.toSafetensors()).toThrow(/layer 1 \(ReLU\) is not a built-in layer/);
    m.dispose();
  });

  it('checkSpec returns a normalized copy', () => {
    const s = checkSpec(JSON.stringify({ format: 'ecopt.sequential', version: 1, layers: [{ type: 'Dense', outFeatures: 2, inFeatures: 3 }] }));
    expect(s).toEqual({ format: 'ecopt.sequential', version: 1, layers: [{ type: 'Dense', inFeatures: 3, outFeatures: 2 }] });
  });
});

// ---------------------------------------------------------------------------------------------

/** A safetensors file from a header (object or exact JSON text) and data, with an optional forced length field. */
function rawFile(header: object | string, data: Uint8Array = new Uint8Array(0), lengthField?: [number, number]): Uint8Array {
  const h = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, lengthField ? lengthField[0] : h.length, true);
  v.setUint32(4, lengthField ? lengthField[1] : 0, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const f32bytes = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
/** The spec of the tiny model used for corrupt files: Dense(3, 2) -> weight [2, 3], bias [2]. */
const TINY: ModelSpec = { format: 'ecopt.sequential', version: 1, inputShape: [3], layers: [{ type: 'Dense', inFeatures: 3, outFeatures: 2 }] };
const W = { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] };
const Bs = { dtype: 'F32', shape: [2], data_offsets: [24, 32] };
const DATA = f32bytes([1, 2, 3, 4, 5, 6, 0.5, -0.5]);

describe('safetensors format', () => {
  it('writes the exact standard layout (golden bytes)', () => {
    const file = writeSafetensors([{ name: 'a', shape: [2], data: new Float32Array([1, -2]) }]);
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(54);
    const expected = new Uint8Array(8 + 56 + 8);
    expected.set([56, 0, 0, 0, 0, 0, 0, 0]);
    expected.set(enc.encode(json + '  '), 8); // padded with spaces to 56 = 7 * 8
    expected.set([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], 64); // 1.0f, -2.0f little-endian
    expect(Array.from(file)).toEqual(Array.from(expected));
    const withMeta = writeSafetensors([{ name: 'x', shape: [1, 1], data: new Float32Array([3]) }], { k: 'v' });
    const n = new DataView(withMeta.buffer).getUint32(0, true);
    expect(dec.decode(withMeta.subarray(8, 8 + n))).toBe('{"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}'.padEnd(n, ' '));
    expect(n % 8).toBe(0);
  });

  for (const [name, make] of [['MLP (PReLU, no-bias Dense)', mlp], ['CNN (PReLU maps, no-bias conv)', cnn]] as const) {
    it(`${name}: header, offsets and data are the model's weights in PyTorch layout`, () => {
      const m = make();
      const file = m.toSafetensors({ metadata: { note: 'hello' } });
      const view = new DataView(file.buffer, file.byteOffset);
      const n = view.getUint32(0, true);
      expect(view.getUint32(4, true)).toBe(0);
      expect((8 + n) % 8, 'data region 8-aligned').toBe(0);
      const text = dec.decode(file.subarray(8, 8 + n));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
      expect(text.length - text.trimEnd().length).toBeLessThan(8);
      const header = JSON.parse(text);
      expect(header.__metadata__.format).toBe('pt');
      expect(header.__metadata__.note).toBe('hello');
      expect(JSON.parse(header.__metadata__['ecopt.spec'])).toEqual(m.toSpec());
      const specs = m.weightSpecs();
      expect(Object.keys(header).filter((k) => k !== '__metadata__')).toEqual(specs.map((s) => s.name));
      const ws = m.getWeights();
      let off = 0;
      specs.forEach((s, i) => {
        const e = header[s.name];
        expect(e).toEqual({ dtype: 'F32', shape: s.shape, data_offsets: [off, off + ws[i].length * 4] });
        const got = file.slice(8 + n + off, 8 + n + off + ws[i].length * 4);
        expect(hashArrays([got]), s.name).toBe(hashArrays([ws[i]]));
        off += ws[i].length * 4;
      });
      expect(file.length).toBe(8 + n + off);
      // names and layouts as PyTorch: Dense (out, in), Conv2D (out, in, kh, kw), PReLU slopes
      if (m.layers[0].kind === 'Conv2D') {
        expect(header['0.weight'].shape).toEqual([3, 1, 3, 3]);
        expect(header['1.weight'].shape).toEqual([3]);
        expect(header['3.weight'].shape).toEqual([4, 3, 3, 2]);
        expect(header['3.bias']).toBeUndefined();
      } else {
        expect(header['0.weight'].shape).toEqual([8, 6]);
        expect(header['2.bias']).toBeUndefined();
        expect(header['3.weight'].shape).toEqual([7]);
      }
      m.dispose();
    });

    it(`${name}: loads back with identical weights and predictions`, () => {
      const a = make();
      // move the weights off their seeded init so a load that re-initialized would be caught
      const opt = new Adam(a, { lr: 0.01 });
      const x = sample(a, 5, 77);
      a.trainBatch(x, new Int32Array([0, 1, 2, 1, 0]), opt);
      const file = a.toSafetensors();
      const b = Sequential.fromSafetensors(file);
      expect(hashArrays(b.getWeights())).toBe(hashArrays(a.getWeights()));
      expect(hashArrays(b.getWeights())).not.toBe(hashArrays(make().getWeights()));
      expect(hashArrays([b.predict(x, 5)])).toBe(hashArrays([a.predict(x, 5)]));
      expect(b.toSpec()).toEqual(a.toSpec());
      a.dispose();
      b.dispose();
    });
  }

  it('reads a file as PyTorch writes it (names sorted, only format metadata) given the spec', () => {
    const m = new Sequential([new Dense(3, 4), new ReLU(), new Dense(4, 2)], { seed: 5 });
    const ws = m.getWeights();
    const names = m.weightSpecs();
    const order = names.map((s, i) => ({ ...s, data: ws[i] })).sort((p, q) => (p.name < q.name ? -1 : 1));
    expect(order.map((t) => t.name)).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    const file = writeSafetensors(order, { format: 'pt' });
    const parsed = readSafetensors(file);
    expect(parsed.tensors.map((t) => t.name)).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(hashArrays([tensorData(parsed.tensors[1])])).toBe(hashArrays([ws[0]]));
    expectFormatError(() => Sequential.fromSafetensors(file), /no 'ecopt\.spec' metadata.*pass the architecture spec/);
    const b = Sequential.fromSafetensors(file, m.toSpec());
    expect(hashArrays(b.getWeights())).toBe(hashArrays(ws));
    // a spec argument overrides the file's
    const c = Sequential.fromSafetensors(m.toSafetensors(), { ...m.toSpec(), seed: 99 });
    expect(c.seed).toBe(99);
    expect(hashArrays(c.getWeights())).toBe(hashArrays(ws));
    for (const x of [m, b, c]) x.dispose();
  });

  it('reads a file whose bytes sit at an offset in a larger buffer', () => {
    const f = rawFile({ '0.weight': W, '0.bias': Bs }, DATA);
    const big = new Uint8Array(f.length + 6);
    big.set(f, 3);
    const m = Sequential.fromSafetensors(big.subarray(3, 3 + f.length), TINY);
    expect(Array.from(m.getWeights()[1])).toEqual([0.5, -0.5]);
    m.dispose();
  });

  const good = () => rawFile({ __metadata__: { format: 'pt' }, '0.weight': W, '0.bias': Bs }, DATA);
  const corrupt: [string, () => Uint8Array, RegExp][] = [
    ['empty file', () => new Uint8Array(0), /truncated file \(0 bytes/],
    ['truncated length field', () => good().slice(0, 5), /truncated file \(5 bytes/],
    ['truncated data', () => good().slice(0, good().length - 4), /"0\.bias": data_offsets \[24, 32\] run past the end of the data \(28 bytes; truncated\?\)/],
    ['truncated header', () => good().slice(0, 40), /header length \d+ runs past the end of the file \(40 bytes/],
    ['header length past the end', () => rawFile({ '0.weight': W, '0.bias': Bs }, DATA, [5000, 0]), /header length 5000 runs past the end/],
    ['absurd header length (high word)', () => rawFile({}, new Uint8Array(0), [0, 7]), /header length 30064771072 is absurd/],
    ['absurd header length (2^32-1)', () => rawFile({}, new Uint8Array(0), [0xffffffff, 0]), /header length 4294967295 is absurd/],
    ['zero header length', () => rawFile('', new Uint8Array(0)), /does not start with a JSON object/],
    ['header not starting with {', () => rawFile(' {}'), /does not start with a JSON object/],
    ['invalid UTF-8', () => { const f = rawFile('{"\u00e9":1}'); f[10] = 0xff; return f; }, /not valid UTF-8/],
    ['invalid JSON', () => rawFile('{"0.weight": {"dtype": "F32",'), /not valid JSON/],
    ['JSON with trailing garbage', () => rawFile('{} x'), /not valid JSON/],
    ['non-object header (array)', () => rawFile('{}').fill(0x5b, 8, 9).fill(0x5d, 9, 10), /does not start with a JSON object/],
    ['non-object entry', () => rawFile({ '0.weight': [1, 2] }), /tensor "0\.weight": the header entry must be an object/],
    ['metadata not an object', () => rawFile({ __metadata__: 'x' }), /__metadata__ must be an object of strings/],
    ['metadata non-string value', () => rawFile({ __metadata__: { format: 1 } }), /__metadata__ value of "format" must be a string, got 1/],
    ['wrong dtype', () => rawFile({ '0.weight': { ...W, dtype: 'F16', data_offsets: [0, 12] }, '0.bias': { ...Bs, data_offsets: [12, 20] } }, DATA.slice(0, 20)), /"0\.weight" has dtype "F16"; ecopt reads F32 \(and I64 for integer buffers\) only/],
    ['dtype not a string', () => rawFile({ '0.weight': { ...W, dtype: 4 } }, DATA), /dtype must be a string, got 4/],
    ['negative dim', () => rawFile({ '0.weight': { ...W, shape: [-2, 3] }, '0.bias': Bs }, DATA), /shape must be an array of non-negative integers, got \[-2,3\]/],
    ['fractional dim', () => rawFile({ '0.weight': { ...W, shape: [2, 1.5] }, '0.bias': Bs }, DATA), /shape must be an array of non-negative integers, got \[2,1\.5\]/],
    ['huge dims', () => rawFile({ '0.weight': { ...W, shape: [1e15, 1e15, 1e15] }, '0.bias': Bs }, DATA), /shape \[1000000000000000, .*needs more than 32 bytes, but data_offsets \[0, 24\] hold 24/],
    ['size != product(shape) * 4', () => rawFile({ '0.weight': { ...W, shape: [2, 2] }, '0.bias': Bs }, DATA), /"0\.weight": shape \[2, 2\] needs 16 bytes, but data_offsets \[0, 24\] hold 24/],
    ['begin > end', () => rawFile({ '0.weight': { ...W, data_offsets: [24, 0] }, '0.bias': Bs }, DATA), /data_offsets \[24, 0\] begin after they end/],
    ['offsets out of bounds', () => rawFile({ '0.weight': W, '0.bias': { ...Bs, data_offsets: [32, 40] } }, DATA), /data_offsets \[32, 40\] run past the end of the data \(32 bytes/],
    ['negative offset', () => rawFile({ '0.weight': { ...W, data_offsets: [-4, 20] } }, DATA), /data_offsets must be \[begin, end\] with non-negative integers/],
    ['offsets not a pair', () => rawFile({ '0.weight': { ...W, data_offsets: [0, 24, 32] } }, DATA), /data_offsets must be \[begin, end\]/],
    ['overlapping tensors', () => rawFile({ '0.weight': W, '0.bias': { ...Bs, data_offsets: [16, 24] } }, DATA), /tensor "0\.bias" \[16, 24\] overlaps tensor "0\.weight" \[0, 24\]/],
    ['gap between tensors', () => rawFile({ '0.weight': { ...W, shape: [1, 3], data_offsets: [0, 12] }, '0.bias': Bs }, DATA), /gap at bytes \[12, 24\) before tensor "0\.bias"/],
    ['data not starting at 0', () => rawFile({ '0.weight': { ...W, data_offsets: [8, 32] } }, DATA), /gap at bytes \[0, 8\)/],
    ['trailing bytes', () => rawFile({ '0.weight': W, '0.bias': Bs }, new Uint8Array([...DATA, 0, 0, 0, 0])), /4 bytes after the last tensor are not covered/],
    ['shape disagrees with the spec', () => rawFile({ '0.weight': { ...W, shape: [3, 2] }, '0.bias': Bs }, DATA), /tensor '0\.weight' has shape \[3, 2\], but the model needs \[2, 3\]/],
    ['missing tensor', () => rawFile({ '0.weight': W, pad: { ...Bs } }, DATA), /tensor '0\.bias' is missing \(weights; expected shape \[2\]\)/],
    ['extra tensor', () => rawFile({ '0.weight': W, '0.bias': Bs, '1.weight': { dtype: 'F32', shape: [0], data_offsets: [32, 32] } }, DATA), /unexpected tensor "1\.weight" \(the model has 0\.weight, 0\.bias\)/],
    ['NaN weight', () => rawFile({ '0.weight': W, '0.bias': Bs }, f32bytes([1, 2, 3, 4, NaN, 6, 0, 0])), /tensor '0\.weight' has a non-finite value \(NaN\) at index 4/],
    ['Inf bias', () => rawFile({ '0.weight': W, '0.bias': Bs }, f32bytes([1, 2, 3, 4, 5, 6, 0, -Infinity])), /tensor '0\.bias' has a non-finite value \(-Infinity\) at index 1/],
  ];
  for (const [what, make, re] of corrupt) {
    it(`rejects a corrupt file: ${what}`, () => {
      const before = bytesInUse();
      expectFormatError(() => Sequential.fromSafetensors(make(), TINY), re);
      expect(bytesInUse(), 'nothing leaked').toBe(before);
    });
  }

  it('the uncorrupted file of those cases loads (so the cases test what they say)', () => {
    const m = Sequential.fromSafetensors(good(), TINY);
    expect(Array.from(m.getWeights()[0])).toEqual([1, 2, 3, 4, 5, 6]);
    m.dispose();
  });

  it('rejects a bad spec in the metadata, naming the field', () => {
    const spec = { ...TINY, layers: [{ type: 'Dense', inFeatures: 3, outFeatures: -3 }] };
    const f = rawFile({ __metadata__: { 'ecopt.spec': JSON.stringify(spec) }, '0.weight': W, '0.bias': Bs }, DATA);
    expectFormatError(() => Sequential.fromSafetensors(f), /^spec\.layers\[0\] \(Dense\): outFeatures must be a positive integer, got -3$/);
    const g = rawFile({ __metadata__: { 'ecopt.spec': '{"format":' }, '0.weight': W, '0.bias': Bs }, DATA);
    expectFormatError(() => Sequential.fromSafetensors(g), /^spec: not valid JSON/);
  });

  it('bounds every count a file states before looping over it (found by the fuzz test)', () => {
    const a = mlp();
    const adam = new Adam(a, { lr: 0.01 });
    const parsed = readSafetensors(a.toSafetensors({ optimizer: adam }));
    const tensors = parsed.tensors.map((t) => ({ name: t.name, shape: t.shape, data: tensorData(t) }));
    const record = JSON.parse(parsed.metadata['ecopt.optimizer']);
    const lying = writeSafetensors(tensors, { ...parsed.metadata, 'ecopt.optimizer': JSON.stringify({ ...record, buffers: 2 ** 32 }) });
    const t0 = performance.now();
    expectFormatError(() => Sequential.fromSafetensors(lying), /claims 4294967296 state buffers, but the file holds 10 tensors/);
    expectFormatError(() => loadOptimizerState(adam, lying), /holds 4294967296 Adam state buffers, but this optimizer has 2/);
    expect(performance.now() - t0).toBeLessThan(1000);
    // a file's spec must carry inputShape (inference would cost up to 1024 shape passes per layer)
    const spec = JSON.parse(parsed.metadata['ecopt.spec']);
    delete spec.inputShape;
    const noShape = writeSafetensors(tensors.filter((t) => !t.name.startsWith('optimizer.')), { 'ecopt.spec': JSON.stringify(spec) });
    expectFormatError(() => Sequential.fromSafetensors(noShape), /spec\.inputShape is missing in the file's 'ecopt\.spec' metadata/);
    const b = Sequential.fromSafetensors(noShape, spec);
    expect(b.inputShape).toEqual([6]);
    a.dispose();
    b.dispose();
  });

  it('refuses a spec whose parameters the file does not hold before allocating the model', () => {
    // a spec asking for a 4 GB model must fail on the tensor check, not in the allocator
    const huge = { ...TINY, inputShape: [65536], layers: [{ type: 'Dense', inFeatures: 65536, outFeatures: 16384 }] };
    const before = getRuntime().arena.memoryBytes;
    expectFormatError(() => Sequential.fromSafetensors(good(), huge), /tensor '0\.weight' has shape \[2, 3\], but the model needs \[16384, 65536\]/);
    expect(getRuntime().arena.memoryBytes).toBe(before);
  });

  it('writer validation: reserved metadata, foreign optimizer, bad tensors', () => {
    const m = mlp();
    const other = mlp();
    const opt = new SGD(other, { lr: 0.1 });
    expect(() => m.toSafetensors({ metadata: { 'ecopt.spec': 'x' } })).toThrow(ArgumentError);
    expect(() => m.toSafetensors({ optimizer: opt })).toThrow(/optimizer created for this model/);
    expect(() => writeSafetensors([{ name: 'a', shape: [3], data: new Float32Array(2) }])).toThrow(/does not match shape \[3\]/);
    expect(() => writeSafetensors([{ name: 'a', shape: [1], data: new Float32Array(1) }, { name: 'a', shape: [1], data: new Float32Array(1) }])).toThrow(/repeated/);
    m.dispose();
    other.dispose();
  });
});

// ---------------------------------------------------------------------------------------------

type Make = (m: Sequential) => Optimizer;
/**
 * [name, make, stateless]: stateless = resuming from the weights alone with a fresh optimizer
 * already continues exactly (no state buffers, no weight rewrite on creation).
 */
const OPTIMIZERS: [string, Make, boolean][] = [
  ['SGD', (m) => new SGD(m, { lr: 0.05, weightDecay: 1e-3 }), true],
  ['Momentum', (m) => new Momentum(m, { lr: 0.05, momentum: 0.9, nesterov: true }), false],
  ['Adam', (m) => new Adam(m, { lr: 0.01, decoupled: true, weightDecay: 0.01 }), false],
  ['ECSGD', (m) => new ECSGD(m, { lr: 0.01 }), false],
  // 'preserve' rescales units of the trained weights again when created: a fresh one alone differs
  ['ECSGD init preserve', (m) => new ECSGD(m, { lr: 0.005, init: 'preserve' }), false],
  ['ECMomentum', (m) => new ECMomentum(m, { lr: 0.01, weightDecay: 1e-4 }), false],
  ['ECAdam', (m) => new ECAdam(m, { lr: 0.002 }), false],
  ['PathSGD', (m) => new PathSGD(m, { lr: 0.01 }), true],
];
const N_STEPS = 4;
const M_STEPS = 5;
const BATCH = 6;

function trainSteps(model: Sequential, opt: Optimizer, from: number, to: number): void {
  for (let s = from; s < to; s++) {
    const r = rng(500 + s);
    model.trainBatch(r.uniform(BATCH * model.inputShape.reduce((a, b) => a * b, 1), -1, 1), r.int(BATCH, model.classes), opt);
  }
}

describe('resume training bit-identically', () => {
  for (const [netName, makeNet] of [['MLP', mlp], ['CNN', cnn]] as const) {
    for (const [optName, makeOpt, stateless] of OPTIMIZERS) {
      it(`${optName} on the ${netName}: N steps, save, load, M steps == N + M steps`, () => {
        const ref = makeNet();
        const refOpt = makeOpt(ref);
        trainSteps(ref, refOpt, 0, N_STEPS + M_STEPS);
        const want = hashArrays(ref.getWeights());

        const a = makeNet();
        const aOpt = makeOpt(a);
        trainSteps(a, aOpt, 0, N_STEPS);
        const file = a.toSafetensors({ optimizer: aOpt });
        const atSave = hashArrays(a.getWeights());
        a.dispose();

        // 1. loadCheckpoint: model + optimizer of the saved kind and options
        const { model: b, optimizer: bOpt } = loadCheckpoint(file);
        expect(bOpt.kind).toBe(refOpt.kind);
        expect(bOpt.t).toBe(N_STEPS);
        expect(bOpt.options()).toEqual(refOpt.options());
        expect(hashArrays(b.getWeights()), 'weights as saved').toBe(atSave);
        trainSteps(b, bOpt, N_STEPS, N_STEPS + M_STEPS);
        expect(hashArrays(b.getWeights())).toBe(want);

        // 2. by hand: fromSafetensors, a new optimizer (which may rewrite weights), loadOptimizerState
        const c = Sequential.fromSafetensors(file);
        const cOpt = makeOpt(c);
        loadOptimizerState(cOpt, file);
        expect(hashArrays(c.getWeights())).toBe(atSave);
        trainSteps(c, cOpt, N_STEPS, N_STEPS + M_STEPS);
        expect(hashArrays(c.getWeights())).toBe(want);

        // the comparison has teeth: without the optimizer state the continuation differs
        // (ECSGD has no state buffer: it differs through the rewrite of the weights on creation)
        const d = Sequential.fromSafetensors(file);
        const dOpt = makeOpt(d);
        trainSteps(d, dOpt, N_STEPS, N_STEPS + M_STEPS);
        if (stateless) expect(hashArrays(d.getWeights())).toBe(want);
        else expect(hashArrays(d.getWeights())).not.toBe(want);
        for (const m of [ref, b, c, d]) m.dispose();
      });
    }
  }

  it('loadOptimizerState validates before writing anything', () => {
    const a = mlp();
    const adam = new Adam(a, { lr: 0.01 });
    trainSteps(a, adam, 0, 2);
    const file = a.toSafetensors({ optimizer: adam });
    const weightsOnly = a.toSafetensors();

    const b = mlp(11);
    const before = hashArrays(b.getWeights());
    const mom = new Momentum(b, { lr: 0.1 });
    expectFormatError(() => loadOptimizerState(mom, file), /holds Adam state, but the optimizer is Momentum/);
    mom.dispose();
    const adamB = new Adam(b, { lr: 0.01 });
    expectFormatError(() => loadOptimizerState(adamB, weightsOnly), /holds no optimizer state/);

    // a NaN in the second state buffer: nothing (weights included) is written
    const parsed = readSafetensors(file);
    const st = parsed.tensors.find((t) => t.name === 'optimizer.state.1')!;
    const bad = file.slice();
    new DataView(bad.buffer).setFloat32(8 + parsed.headerLength + st.begin + 2 * 4, NaN, true);
    expectFormatError(() => loadOptimizerState(adamB, bad), /tensor 'optimizer\.state\.1' has a non-finite value \(NaN\) at index 2/);
    expect(hashArrays(b.getWeights())).toBe(before);
    expect(adamB.t).toBe(0);

    // a different architecture
    const c = new Sequential([new Dense(6, 8), new ReLU(), new Dense(8, 3)]);
    const adamC = new Adam(c, { lr: 0.01 });
    expectFormatError(() => loadOptimizerState(adamC, file), /architecture .* differs/);

    // ECSGD without momentum has no state buffer; with momentum one
    const e1 = mlp();
    const ec1 = new ECSGD(e1, { lr: 0.01, momentum: 0.5 });
    const ecFile = e1.toSafetensors({ optimizer: ec1 });
    const e2 = mlp();
    const ec2 = new ECSGD(e2, { lr: 0.01 });
    expectFormatError(() => loadOptimizerState(ec2, ecFile), /holds 1 ECSGD state buffers, but this optimizer has 0/);
    expect(() => loadCheckpoint(weightsOnly)).toThrow(/holds no optimizer state/);

    loadOptimizerState(adamB, file);
    expect(adamB.t).toBe(2);
    expect(hashArrays(b.getWeights())).toBe(hashArrays(a.getWeights()));
    for (const m of [a, b, c, e1, e2]) m.dispose();
  });

  it('a weights+state file still loads as a model; stray state tensors without the record are extras', () => {
    const a = mlp();
    const adam = new Adam(a, { lr: 0.01 });
    const file = a.toSafetensors({ optimizer: adam });
    const b = Sequential.fromSafetensors(file);
    expect(hashArrays(b.getWeights())).toBe(hashArrays(a.getWeights()));
    const parsed = readSafetensors(file);
    const meta = { ...parsed.metadata };
    delete meta['ecopt.optimizer'];
    const stripped = writeSafetensors(parsed.tensors.map((t) => ({ name: t.name, shape: t.shape, data: tensorData(t) })), meta);
    expectFormatError(() => Sequential.fromSafetensors(stripped), /unexpected tensor "optimizer\.state\.0"/);
    a.dispose();
    b.dispose();
  });
});
