// The dataset a model was trained on, stored in its safetensors file under DATASET_KEY
// ('ecopt.dataset', JSON text): `ecopt train --save` writes it, `ecopt eval` reads it.
// readDatasetInfo validates it; toSafetensors refuses dataset metadata that is malformed or does not
// fit the model, so no file is written that the reader would refuse.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, DATASET_KEY, readDatasetInfo, readSafetensors, ArgumentError, FormatError, type DatasetInfo,
} from '../src/index.js';
import { runtime } from './helpers.js';

const model = () => new Sequential([new Dense(784, 4), new ReLU(), new Dense(4, 10)], { seed: 1 });
const MNIST: DatasetInfo = { name: 'mnist', sampleShape: [1, 28, 28], classes: 10, preprocessing: 'scale-0-1' };

function expectThrow(fn: () => unknown, cls: new (...a: any[]) => Error, re: RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, `expected a ${cls.name}`).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(re);
}

describe('dataset metadata (DATASET_KEY)', () => {
  beforeAll(runtime);

  it("DATASET_KEY is 'ecopt.dataset'; a model file carries the dataset and reads back, and still loads as a model", () => {
    expect(DATASET_KEY).toBe('ecopt.dataset');
    const m = model();
    const bytes = m.toSafetensors({ metadata: { [DATASET_KEY]: JSON.stringify(MNIST) } });
    expect(JSON.parse(readSafetensors(bytes).metadata[DATASET_KEY])).toEqual(MNIST);
    expect(readDatasetInfo(bytes)).toEqual(MNIST);
    expect(readDatasetInfo(readSafetensors(bytes))).toEqual(MNIST);
    const back = Sequential.fromSafetensors(bytes);
    expect(back.getWeights()).toEqual(m.getWeights());
    back.dispose();
    expect(readDatasetInfo(m.toSafetensors())).toBeNull();
    m.dispose();
  });

  it('extra fields are kept (forward compatible)', () => {
    const m = model();
    const info = { ...MNIST, name: 'idx', files: ['a.idx', 'b.idx'] };
    expect(readDatasetInfo(m.toSafetensors({ metadata: { [DATASET_KEY]: JSON.stringify(info) } }))).toEqual(info);
    m.dispose();
  });

  const BAD: [string, string, RegExp][] = [
    ['not JSON', '{name', /'ecopt\.dataset' is not valid JSON/],
    ['an array', '[1]', /'ecopt\.dataset' must be a JSON object \{ name, sampleShape, classes, preprocessing \}, got Array\(1\)/],
    ['no name', JSON.stringify({ ...MNIST, name: undefined }), /'ecopt\.dataset': name must be a non-empty string, got undefined/],
    ['empty name', JSON.stringify({ ...MNIST, name: '' }), /name must be a non-empty string/],
    ['no sampleShape', JSON.stringify({ ...MNIST, sampleShape: undefined }), /sampleShape must be an array of 1 to 8 integers in \[1, 16777216\], got undefined/],
    ['sampleShape with 0', JSON.stringify({ ...MNIST, sampleShape: [0, 28, 28] }), /sampleShape must be an array of 1 to 8 integers/],
    ['sampleShape 2^32', JSON.stringify({ ...MNIST, sampleShape: [4294967296] }), /sampleShape must be an array of 1 to 8 integers/],
    ['classes 0', JSON.stringify({ ...MNIST, classes: 0 }), /'ecopt\.dataset': classes must be an integer in \[1, 16777216\], got 0/],
    ['classes "10"', JSON.stringify({ ...MNIST, classes: '10' }), /classes must be an integer .*got string/],
    ['no preprocessing', JSON.stringify({ ...MNIST, preprocessing: undefined }), /'ecopt\.dataset': preprocessing must be a string such as 'scale-0-1', got undefined/],
  ];

  it.each(BAD)('readDatasetInfo refuses %s with a FormatError naming the field', (_name, text, re) => {
    const m = model();
    // written as plain metadata through writeSafetensors' path: toSafetensors would refuse it (next test)
    const good = readSafetensors(m.toSafetensors());
    const file = { ...good, metadata: { ...good.metadata, [DATASET_KEY]: text } };
    expectThrow(() => readDatasetInfo(file), FormatError, re);
    m.dispose();
  });

  it.each(BAD)('toSafetensors refuses dataset metadata with %s (ArgumentError), nothing written', (_name, text, re) => {
    const m = model();
    expectThrow(() => m.toSafetensors({ metadata: { [DATASET_KEY]: text } }), ArgumentError, new RegExp(`^toSafetensors: .*${re.source}`));
    m.dispose();
  });

  it('toSafetensors refuses a dataset that does not fit the model (sample size, classes)', () => {
    const m = model();
    expectThrow(() => m.toSafetensors({ metadata: { [DATASET_KEY]: JSON.stringify({ ...MNIST, sampleShape: [1, 14, 14] }) } }), ArgumentError,
      /toSafetensors: metadata 'ecopt\.dataset' has samples of shape \[1, 14, 14\] \(196 values\), the model takes 784 \(inputShape \[784\]\)/);
    expectThrow(() => m.toSafetensors({ metadata: { [DATASET_KEY]: JSON.stringify({ ...MNIST, classes: 3 }) } }), ArgumentError,
      /toSafetensors: metadata 'ecopt\.dataset' has 3 classes, the model outputs 10/);
    m.dispose();
  });

  it('readDatasetInfo on something that is not a file: FormatError', () => {
    expectThrow(() => readDatasetInfo(new Uint8Array(3)), FormatError, /safetensors/);
    expectThrow(() => readDatasetInfo(null as any), FormatError, /expected safetensors bytes \(Uint8Array\) or a file from readSafetensors, got null/);
  });
});
