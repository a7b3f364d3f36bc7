// Memory safety (the "Memory safety" issue, defects 2, 3, 5-9): one model can never corrupt
// another; sizes never wrap; a failed allocation leaves every object exactly as before; use after
// dispose is a StateError. Every hostile scenario keeps a second model alive (the canary) and
// checks it bit for bit afterwards. Runs in Node and in Chromium.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import {
  getRuntime, Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, SGD, Momentum, Adam, ECSGD, PathSGD,
  ShapeError, ArgumentError, FormatError, StateError, MemoryError, modelFromSpec, loadOptimizerState,
  type Dataset,
} from '../../src/index.js';
import { runtime, rng, hashArrays } from '../helpers.js';
import { makeCanary, type Canary } from './canary.js';

const bytesInUse = () => getRuntime().arena.bytesInUse;

/** Runs `fn` while the engine refuses to grow wasm memory (as it does when the page or process is out of memory). */
function withGrowthRefused<T>(fn: () => T): T {
  const memory = getRuntime().arena.memory as WebAssembly.Memory & { grow: (n: number) => number };
  const grow = memory.grow;
  memory.grow = () => { throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded (simulated)'); };
  try {
    return fn();
  } finally {
    delete (memory as unknown as Record<string, unknown>).grow;
    if (memory.grow !== grow) memory.grow = grow;
  }
}

function mlp(seed = 1, widths = [8, 16, 3]) {
  return new Sequential([new Dense(widths[0], widths[1]), new ReLU(), new Dense(widths[1], widths[2])], { seed });
}

function batch(seed: number, B: number, n = 8, classes = 3) {
  const r = rng(seed);
  return { x: r.uniform(B * n), y: Int32Array.from({ length: B }, (_, i) => i % classes) };
}

const stateHash = (m: Sequential, opts: { stateDict(): { buffers: Float32Array[]; step: number } }[] = []) =>
  hashArrays([...m.getWeights(), ...opts.flatMap((o) => o.stateDict().buffers)]) + ' t=' + opts.map((o) => o.stateDict().step).join(',');

let canary: Canary | undefined;
beforeAll(runtime);
afterEach(() => {
  const c = canary;
  canary = undefined;
  c?.check();
  c?.dispose();
});

function expectThrows(fn: () => unknown, type: Function, re?: RegExp): Error {
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  expect(err, 'the call did not throw').not.toBeNull();
  expect(err).toBeInstanceOf(type);
  if (re) expect((err as Error).message).toMatch(re);
  return err as Error;
}

describe('out of memory (the engine refuses to grow memory; first in the file, while memory is small)', () => {
  it('a stale step backup never frees or overwrites another model (growth refused at the first Momentum step)', () => {
    const m = mlp(3, [1024, 2048, 10]); // 8.5 MB of parameters: a larger backup needs memory to grow
    const sgd = new SGD(m, { lr: 0.01 });
    const b = batch(3, 4, 1024, 10);
    m.trainBatch(b.x, b.y, sgd);
    const mom = new Momentum(m, { lr: 0.01 });
    // v0.1 re-planned the backup inside the step: released the old one, then failed to allocate
    withGrowthRefused(() => { try { m.trainBatch(b.x, b.y, mom); } catch { /* refused for lack of memory */ } });
    canary = makeCanary();
    try { m.trainBatch(b.x, b.y, mom); } catch { /* either way */ }
    const other = mlp(9, [12, 10, 3]);
    other.dispose();
    m.dispose();
  });

  it('an out-of-memory error is a MemoryError that states the real cause and the bytes', () => {
    canary = makeCanary();
    const e = withGrowthRefused(() => expectThrows(() => new Sequential([new Dense(4096, 4096)]), MemoryError)) as MemoryError; // 128 MB
    expect(e.message).toMatch(/refused to grow/);
    expect(e.message).not.toMatch(/limited to 4 GiB/);
    expect(e.requestedBytes).toBeGreaterThanOrEqual(4096 * 4096 * 4);
    expect(e).toBeInstanceOf(RangeError);
  });

  it('a larger batch whose buffers cannot be had: MemoryError, weights, state and the old plan intact, no leak', () => {
    canary = makeCanary();
    const m = mlp(2, [64, 512, 10]);
    const opt = new Adam(m, { lr: 0.01 });
    const b8 = batch(1, 8, 64, 10);
    m.trainBatch(b8.x, b8.y, opt);
    const h = stateHash(m, [opt]);
    const used = bytesInUse();
    const b4k = batch(2, 65536, 64, 10); // 16 MB of input, 128 MB of activations: memory must grow
    const e = withGrowthRefused(() => expectThrows(() => m.trainBatch(b4k.x, b4k.y, opt), MemoryError));
    expect(e.message).toMatch(/refused to grow/);
    expect((e as MemoryError).requestedBytes).toBeGreaterThan(0);
    expect(stateHash(m, [opt])).toBe(h);
    expect(bytesInUse()).toBe(used);
    // training goes on with the old plan, as if the failed call never happened
    const ref = mlp(2, [64, 512, 10]);
    const refOpt = new Adam(ref, { lr: 0.01 });
    ref.trainBatch(b8.x, b8.y, refOpt);
    m.trainBatch(b8.x, b8.y, opt);
    ref.trainBatch(b8.x, b8.y, refOpt);
    expect(stateHash(m, [opt])).toBe(stateHash(ref, [refOpt]));
    ref.dispose();
    m.dispose();
  });

});

describe('defect 2: sizes never wrap', () => {
  // K = 1·256·256 = 65536 taps, P = 128·128 = 16384 pixels: the unfolded input K·P·4 = 2^32 bytes,
  // which the i32 scratch size computed in wasm wrapped to a few hundred KB; im2col then wrote 4 GiB
  // past it, over every allocation above (another model's weights) until it trapped.
  it('a conv whose im2col scratch needs 2^32 bytes is refused at construction, naming the size', () => {
    canary = makeCanary();
    const before = bytesInUse();
    const e = expectThrows(() => new Sequential([
      new Conv2D(1, 1, 256, { padding: 191 }), new Flatten(), new Dense(128 * 128, 2),
    ], { inputShape: [1, 1, 1] }), ShapeError, /im2col|unfolded input/);
    expect(e.message).toMatch(/1073741824 elements/);
    expect(bytesInUse()).toBe(before);
  });

  it('a batch whose buffers would exceed what one buffer may hold is refused before allocating, and dispose returns every byte', () => {
    canary = makeCanary();
    const base = bytesInUse();
    const m = new Sequential([new Dense(1, 1 << 20), new ReLU(), new Dense(1 << 20, 2)], { seed: 3 });
    const opt = new SGD(m, { lr: 0.1 });
    const small = batch(4, 2, 1, 2);
    m.trainBatch(small.x, small.y, opt);
    const after = stateHash(m);
    // 1200 × 2^20 floats = 5 GB of activations for an input of 1200 floats
    const big = batch(5, 1200, 1, 2);
    for (let i = 0; i < 3; i++) expectThrows(() => m.trainBatch(big.x, big.y, opt), RangeError, /bytes/);
    expect(stateHash(m)).toBe(after);
    // the old plan still works
    m.trainBatch(small.x, small.y, opt);
    m.dispose();
    expect(bytesInUse()).toBe(base);
  });

  it('the parameter region is checked in safe integers (a 2^31-parameter layer names its bytes)', () => {
    canary = makeCanary();
    const before = bytesInUse();
    const e = expectThrows(() => new Sequential([new Dense(65536, 32768)]), RangeError, /parameters/);
    expect(e.message).toContain(String((65536 * 32768 + 32768) * 4));
    expect(bytesInUse()).toBe(before);
  });
});

describe('defect 3: crafted hyperparameters are bounded', () => {
  const huge = 2 ** 32; // ToInt32(2^32) = 0 in wasm: stride 0, kernel 0
  it.each([
    ['Conv2D stride 2^32', () => new Conv2D(1, 2, 3, { stride: huge })],
    ['Conv2D kernel 2^32', () => new Conv2D(1, 2, huge)],
    ['Conv2D dilation [1, 2^32]', () => new Conv2D(1, 2, 3, { dilation: [1, huge] })],
    ['Conv2D padding 2^32', () => new Conv2D(1, 2, 3, { padding: huge })],
    ['Conv2D inChannels 2^32', () => new Conv2D(huge, 2, 3)],
    ['MaxPool2D kernel 2^32', () => new MaxPool2D(huge)],
    ['MaxPool2D stride 2^32 + 2', () => new MaxPool2D(2, { stride: huge + 2 })],
    ['Dense inFeatures 2^32 + 4', () => new Dense(huge + 4, 2)],
  ])('%s: ArgumentError naming the bound', (_name, make) => {
    expectThrows(make, ArgumentError, /at most 16777216/);
  });

  it.each([
    ['stride', { stride: huge }], ['kernel', { kernel: huge }], ['padding', { padding: [huge, 0] }], ['dilation', { dilation: huge }],
  ])('a spec with %s 2^32 is a FormatError (and never builds a model)', (field, extra) => {
    canary = makeCanary();
    const before = bytesInUse();
    const spec = {
      format: 'ecopt.sequential', version: 1, inputShape: [1, 8, 8],
      layers: [{ type: 'Conv2D', inChannels: 1, outChannels: 2, kernel: 3, ...extra }, { type: 'Flatten' }, { type: 'Dense', inFeatures: 72, outFeatures: 2 }],
    };
    expectThrows(() => modelFromSpec(spec), FormatError, new RegExp(field));
    expect(bytesInUse()).toBe(before);
  });

  it('the same bound applies to safetensors metadata', () => {
    canary = makeCanary();
    const m = new Sequential([new Conv2D(1, 2, 3), new Flatten(), new Dense(2 * 6 * 6, 2)], { inputShape: [1, 8, 8] });
    const file = m.toSafetensors();
    m.dispose();
    // rewrite the header (JSON) with stride [2^32, 1] in the spec metadata, keeping the format valid
    const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
    const header = new TextDecoder().decode(file.subarray(8, 8 + n));
    let hacked = header.replace(/\\"stride\\":\[1,1\]/, `\\"stride\\":[${huge},1]`).trimEnd();
    expect(hacked).not.toBe(header.trimEnd());
    while ((hacked.length) % 8) hacked += ' ';
    const head = new TextEncoder().encode(hacked);
    const bytes = new Uint8Array(8 + head.length + file.length - 8 - n);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(head.length), true);
    bytes.set(head, 8);
    bytes.set(file.subarray(8 + n), 8 + head.length);
    expectThrows(() => Sequential.fromSafetensors(bytes), FormatError, /stride/);
  });

  it('conv spec shape inference is linear in the layers (2000 convs on an inferred 1000x1000 input, a 400 KB spec: about 10 shape passes, not 1000)', () => {
    const layers: Record<string, unknown>[] = [];
    for (let i = 0; i < 2000; i++) layers.push({ type: 'Conv2D', inChannels: 1, outChannels: 1, kernel: 3, padding: 'same', bias: false }, { type: 'ReLU' });
    layers.push({ type: 'Flatten' }, { type: 'Dense', inFeatures: 1000 * 1000, outFeatures: 2 });
    const build = Conv2D.prototype.build;
    let builds = 0;
    Conv2D.prototype.build = function (this: Conv2D, shape: number[]) { builds++; return build.call(this, shape); };
    let m: Sequential;
    try {
      m = modelFromSpec({ format: 'ecopt.sequential', version: 1, layers });
    } finally {
      Conv2D.prototype.build = build;
    }
    expect(m.inputShape).toEqual([1, 1000, 1000]);
    m.dispose();
    // v0.1 tried S = 1, 2, ..., 1000 twice (spec, then model): about 2000 passes over the layers
    expect(builds / 2000, `${builds} Conv2D builds for 2000 layers`).toBeLessThan(40);
  });
});

describe('defects 5, 6, 8: a failed allocation leaves every object exactly as before', () => {
  it('an optimizer whose allocations fail (each in turn, injected) leaves nothing behind, is not attached, and the weights stay', () => {
    canary = makeCanary();
    const m = mlp(4, [32, 64, 10]);
    const b = batch(4, 4, 32, 10);
    const sgd = new SGD(m, { lr: 0.01 });
    m.trainBatch(b.x, b.y, sgd);
    const h = stateHash(m);
    const before = m.getWeights();
    const arena = getRuntime().arena;
    const makers = [() => new Adam(m, { lr: 0.01 }), () => new Momentum(m, { lr: 0.01 }), () => new ECSGD(m, { lr: 0.01, init: 'preserve' }), () => new PathSGD(m, { lr: 0.01 })];
    for (const make of makers) {
      const used = bytesInUse();
      let failures = 0;
      for (let k = 0; k < 200; k++) {
        arena.failAfter = k;
        let built: { dispose(): void } | null = null;
        try { built = make(); } catch (e) { expect(e).toBeInstanceOf(MemoryError); failures++; }
        arena.failAfter = null;
        if (built) { built.dispose(); m.setWeights(before); break; }
        expect(stateHash(m)).toBe(h);
        expect(bytesInUse()).toBe(used);
      }
      expect(failures).toBeGreaterThan(0);
    }
    m.trainBatch(b.x, b.y, sgd);
    m.dispose();
  });

  it('every allocation of an EC optimizer may fail (injected): nothing leaks, the weights stay', () => {
    canary = makeCanary();
    const m = mlp(5, [16, 32, 4]);
    const h = stateHash(m);
    const used = bytesInUse();
    const arena = getRuntime().arena;
    for (let k = 0; k < 200; k++) {
      arena.failAfter = k;
      let built: ECSGD | null = null;
      try { built = new ECSGD(m, { lr: 0.01, momentum: 0.9, init: k % 2 ? 'preserve' : 'unit-skeleton' }); } catch (e) { expect(e).toBeInstanceOf(MemoryError); }
      arena.failAfter = null;
      if (built) { built.dispose(); break; }
      expect(bytesInUse()).toBe(used);
      expect(stateHash(m)).toBe(h);
    }
    m.dispose();
  });

  it('loadStateDict refuses NaN/Inf state and an unsafe step, changing nothing', () => {
    canary = makeCanary();
    const m = mlp(6);
    const opt = new Adam(m, { lr: 0.01 });
    const b = batch(6, 4);
    m.trainBatch(b.x, b.y, opt);
    const sd = opt.stateDict();
    const h = stateHash(m, [opt]);
    const bad = { ...sd, buffers: sd.buffers.map((x) => x.slice()) };
    bad.buffers[1][3] = NaN;
    expectThrows(() => opt.loadStateDict(bad), ArgumentError, /non-finite/);
    bad.buffers[1][3] = Infinity;
    expectThrows(() => opt.loadStateDict(bad), ArgumentError, /non-finite/);
    expectThrows(() => opt.loadStateDict({ ...sd, step: 2 ** 53 }), ArgumentError, /step/);
    expect(stateHash(m, [opt])).toBe(h);
    m.trainBatch(b.x, b.y, opt);
    m.dispose();
  });

  it('fit checks the validation data (a bad label, a NaN image) before the first step', async () => {
    canary = makeCanary();
    const m = mlp(7);
    const opt = new SGD(m, { lr: 0.1 });
    const b = batch(7, 64);
    const ds: Dataset = { images: b.x, labels: Uint8Array.from(b.y), count: 64, sampleShape: [8], classes: 3 };
    const h = stateHash(m);
    const badLabel: Dataset = { ...ds, labels: Uint8Array.from(ds.labels, (v, i) => (i === 50 ? 7 : v)) };
    await expect(m.fit(ds, { optimizer: opt, validation: badLabel, epochs: 1, batchSize: 8 })).rejects.toThrow(/validation.*label 7/);
    expect(stateHash(m)).toBe(h);
    const nanImage: Dataset = { ...ds, images: ds.images.map((v, i) => (i === 8 * 40 + 3 ? NaN : v)) };
    await expect(m.fit(ds, { optimizer: opt, validation: nanImage, epochs: 1, batchSize: 8 })).rejects.toThrow(/validation.*non-finite/);
    expect(stateHash(m)).toBe(h);
    expect(opt.t).toBe(0);
    m.dispose();
  });
});

describe('defect 7: use after dispose or during use is a StateError', () => {
  it('initParameters on a disposed model writes nothing (StateError)', () => {
    const dead = mlp(8);
    dead.dispose();
    canary = makeCanary(); // its blocks reuse the dead model's memory
    expectThrows(() => dead.initParameters(), StateError, /disposed/);
  });

  it('loadOptimizerState into the optimizer of a disposed model writes nothing (StateError)', () => {
    const m = mlp(9);
    const opt = new Adam(m, { lr: 0.01 });
    const b = batch(9, 4);
    m.trainBatch(b.x, b.y, opt);
    const file = m.toSafetensors({ optimizer: opt });
    m.dispose();
    canary = makeCanary();
    expectThrows(() => loadOptimizerState(opt, file), StateError, /disposed/);
    expectThrows(() => opt.loadStateDict({ kind: 'Adam', step: 1, options: {}, buffers: [] }), StateError);
  });

  it('model.dispose() during fit ends the fit after the current step (StateError), then frees everything', async () => {
    canary = makeCanary();
    const base = bytesInUse();
    const m = mlp(10);
    const opt = new SGD(m, { lr: 0.1 });
    const b = batch(10, 64);
    const ds: Dataset = { images: b.x, labels: Uint8Array.from(b.y), count: 64, sampleShape: [8], classes: 3 };
    let batches = 0;
    const p = m.fit(ds, { optimizer: opt, epochs: 3, batchSize: 8, onBatchEnd: () => { batches++; if (batches === 3) m.dispose(); } });
    await expect(p).rejects.toBeInstanceOf(StateError);
    await expect(p).rejects.toThrow(/disposed/);
    expect(batches).toBe(3);
    expect(m.isDisposed).toBe(true);
    expect(bytesInUse()).toBe(base);
  });

  it('optimizer.dispose() during fit fails the fit with a StateError at the next step', async () => {
    canary = makeCanary();
    const m = mlp(11);
    const opt = new Momentum(m, { lr: 0.1 });
    const b = batch(11, 64);
    const ds: Dataset = { images: b.x, labels: Uint8Array.from(b.y), count: 64, sampleShape: [8], classes: 3 };
    let batches = 0;
    await expect(m.fit(ds, { optimizer: opt, epochs: 2, batchSize: 8, onBatchEnd: () => { if (++batches === 2) opt.dispose(); } })).rejects.toBeInstanceOf(StateError);
    expect(batches).toBe(2);
    m.dispose();
  });

  it('a second concurrent fit on one model is refused at once; an already-aborted signal takes no step', async () => {
    canary = makeCanary();
    const m = mlp(12);
    const opt = new SGD(m, { lr: 0.1 });
    const b = batch(12, 256);
    const ds: Dataset = { images: b.x, labels: Uint8Array.from(b.y), count: 256, sampleShape: [8], classes: 3 };
    const h = stateHash(m);
    const aborted = new AbortController();
    aborted.abort();
    const r0 = await m.fit(ds, { optimizer: opt, epochs: 1, batchSize: 8, signal: aborted.signal });
    expect(r0.history).toEqual([]);
    expect(stateHash(m)).toBe(h);
    expect(opt.t).toBe(0);
    const first = m.fit(ds, { optimizer: opt, epochs: 2, batchSize: 8, yieldEveryMs: 0 });
    await expect(m.fit(ds, { optimizer: opt, epochs: 1 })).rejects.toBeInstanceOf(StateError);
    const r = await first;
    expect(r.history).toHaveLength(2);
    expect(opt.t).toBe(64);
    m.dispose();
  });

  it('a failed fit keeps the steps it completed and rolls back the failing one', async () => {
    canary = makeCanary();
    const m = mlp(13);
    const ref = mlp(13);
    const opt = new SGD(m, { lr: 0.1 });
    const refOpt = new SGD(ref, { lr: 0.1 });
    const b = batch(13, 32);
    b.x = b.x.map((v) => v * 1000); // large inputs: lr 3e38 times their gradients overflows float32
    const ds: Dataset = { images: b.x, labels: Uint8Array.from(b.y), count: 32, sampleShape: [8], classes: 3 };
    // the 4th step's learning rate overflows every weight: the guard refuses it
    await expect(m.fit(ds, { optimizer: opt, epochs: 1, batchSize: 8, shuffle: false, lrSchedule: ({ step }) => (step === 3 ? 3e38 : 0.1) })).rejects.toThrow(/refused/);
    for (let s = 0; s < 3; s++) ref.trainBatch(b.x.subarray(s * 64, s * 64 + 64), b.y.subarray(s * 8, s * 8 + 8), refOpt);
    expect(hashArrays(m.getWeights())).toBe(hashArrays(ref.getWeights()));
    expect(opt.t).toBe(3);
    m.dispose();
    ref.dispose();
  });
});

describe('checked mode: every kernel pointer is looked up', () => {
  it("a model's kernels refuse another model's memory and freed memory (StateError), writing nothing", async () => {
    const { setPointerChecks } = await import('../../src/core/checked.js');
    setPointerChecks(true);
    try {
      canary = makeCanary();
      const a = mlp(14);
      expectThrows(() => a.kernels.fill_f32(canary.model.paramBase, 4, 1), StateError, /another model owns/);
      const dead = mlp(15);
      const deadPtr = dead.paramBase;
      const deadKernels = dead.kernels;
      dead.dispose();
      expectThrows(() => deadKernels.fill_f32(deadPtr, 4, 1), StateError, /no live allocation/);
      const b = batch(14, 4);
      a.trainBatch(b.x, b.y, new SGD(a, { lr: 0.1 })); // its own memory: fine
      a.dispose();
    } finally {
      setPointerChecks(null);
    }
  });
});

describe('defect 9: smaller ones', () => {
  it('rescaleHiddenUnit refuses a c that makes a weight infinite, leaving the weights bit-identical', () => {
    canary = makeCanary();
    const m = mlp(16);
    const w = m.getWeights();
    w[0][0] = 1e30;
    m.setWeights(w);
    const h = stateHash(m);
    expectThrows(() => m.rescaleHiddenUnit(0, 0, 1e10), ArgumentError, /non-finite/);
    expect(stateHash(m)).toBe(h);
    m.rescaleHiddenUnit(0, 0, 2); // a sane c still works
    m.dispose();
  });

  it('Adam bias correction uses the exact step count beyond 2^32 (no 32-bit wrap), through checkpoints too', () => {
    canary = makeCanary();
    const b = batch(17, 4);
    const steps = [2 ** 32 + 1, 1];
    const moved: number[] = [];
    for (const t of steps) {
      const m = mlp(17);
      const opt = new Adam(m, { lr: 0.01 });
      const sd = opt.stateDict();
      opt.loadStateDict({ ...sd, step: t - 1 });
      const w0 = m.getWeights()[0][5];
      m.trainBatch(b.x, b.y, opt);
      moved.push(Math.abs(m.getWeights()[0][5] - w0));
      expect(opt.t).toBe(t);
      const again = Sequential.fromSafetensors(m.toSafetensors({ optimizer: opt }));
      const opt2 = new Adam(again, { lr: 0.01 });
      loadOptimizerState(opt2, m.toSafetensors({ optimizer: opt }));
      expect(opt2.t).toBe(t);
      again.dispose();
      m.dispose();
    }
    // at t = 1 the step is lr·sign(g) (bias corrections cancel); at t ≈ 2^32 it is lr·(1-b1)·g/sqrt((1-b2)·g²) ≈ 3.16·lr
    expect(moved[1]).toBeCloseTo(0.01, 4);
    expect(moved[0] / moved[1]).toBeGreaterThan(3);
  });
});

describe('last in the file: shutdown() while a model is in use', () => {
  it('inputShape dimensions are bounded like every other integer', () => {
    expectThrows(() => new Sequential([new Dense(4, 2)], { inputShape: [2 ** 32] }), ShapeError, /at most 16777216/);
    expectThrows(() => new Sequential([new Dense(4, 2)], { inputShape: [1, 1, 1, 1, 1, 1, 1, 1, 4] }), ShapeError, /at most 8/);
  });

  it('fit ends with a StateError when the runtime is shut down during it; the old models refuse every call', async () => {
    const { shutdown, init } = await import('../../src/index.js');
    const m = mlp(20);
    const opt = new SGD(m, { lr: 0.1 });
    const b = batch(20, 256);
    const ds: Dataset = { images: b.x, labels: Uint8Array.from(b.y), count: 256, sampleShape: [8], classes: 3 };
    let batches = 0;
    const p = m.fit(ds, { optimizer: opt, epochs: 5, batchSize: 4, yieldEveryMs: 0, onBatchEnd: () => { batches++; } });
    await new Promise((r) => setTimeout(r, 0));
    await shutdown();
    await expect(p).rejects.toThrow(/shut down/);
    expect(batches).toBeLessThan(320);
    expectThrows(() => m.predict(b.x.subarray(0, 8), 1), StateError, /shut down/);
    expectThrows(() => opt.stateDict(), StateError);
    await init();
    const fresh = mlp(21);
    expect(fresh.predict(b.x.subarray(0, 8), 1)).toHaveLength(3);
    fresh.dispose();
  });
});
