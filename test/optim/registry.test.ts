// The one optimizer factory (src/optim/registry.ts): OPTIMIZER_KINDS is the set of `kind`s the
// classes report, createOptimizer(kind) builds the same optimizer as its constructor (same weights
// after training, bit for bit), unknown kinds are refused with the known ones and a suggestion, and
// loadCheckpoint (which creates optimizers through it) still refuses an unknown kind as a FormatError.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD, ArgumentError, FormatError,
  createOptimizer, OPTIMIZER_KINDS, OPTIMIZER_KEY, readSafetensors, writeSafetensors, tensorData, loadCheckpoint,
  type Optimizer, type OptimizerKind,
} from '../../src/index.js';
import { runtime, rng } from '../helpers.js';

beforeAll(async () => { await runtime(); });

const tinyModel = () => new Sequential([new Dense(4, 6), new ReLU(), new Dense(6, 5), new ReLU(), new Dense(5, 3)], { seed: 3 });

const CLASSES: Record<OptimizerKind, new (model: Sequential, options: never) => Optimizer> = {
  SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD,
} as unknown as Record<OptimizerKind, new (model: Sequential, options: never) => Optimizer>;

const OPTIONS: Record<OptimizerKind, Record<string, unknown>> = {
  SGD: { lr: 0.1, weightDecay: 1e-3 }, Momentum: { lr: 0.05, momentum: 0.8, nesterov: true }, Adam: { lr: 0.01, betas: [0.8, 0.99] },
  ECSGD: { lr: 0.1, trustRegion: 0.2 }, ECMomentum: { lr: 0.05 }, ECAdam: { lr: 0.01, init: 'preserve' }, PathSGD: { lr: 0.01 },
};

/** Weights after a few training steps of `make(model)` on fixed batches. */
function trainedWeights(make: (m: Sequential) => Optimizer): Float32Array[] {
  const model = tinyModel();
  try {
    const opt = make(model);
    for (let s = 0; s < 4; s++) {
      const r = rng(50 + s);
      model.trainBatch(r.uniform(8 * 4, -2, 2), r.int(8, 3), opt);
    }
    return model.getWeights();
  } finally {
    model.dispose();
  }
}

describe('optimizer registry', () => {
  it('OPTIMIZER_KINDS lists every optimizer class by its kind, once, frozen', () => {
    expect([...OPTIMIZER_KINDS]).toEqual(['SGD', 'Momentum', 'Adam', 'ECSGD', 'ECMomentum', 'ECAdam', 'PathSGD']);
    expect(Object.isFrozen(OPTIMIZER_KINDS)).toBe(true);
    for (const kind of OPTIMIZER_KINDS) expect(CLASSES[kind].name).toBe(kind);
  });

  it.each([...OPTIMIZER_KINDS])('createOptimizer(%s) is the constructor: same class, kind, options and trained weights', (kind) => {
    const model = tinyModel();
    try {
      const viaRegistry = createOptimizer(kind, model, OPTIONS[kind] as never);
      expect(viaRegistry).toBeInstanceOf(CLASSES[kind]);
      expect(viaRegistry.constructor).toBe(CLASSES[kind]);
      expect(viaRegistry.kind).toBe(kind);
      const direct = new CLASSES[kind](tinyModel(), OPTIONS[kind] as never);
      expect(viaRegistry.stateDict().options).toEqual(direct.stateDict().options);
      direct.model.dispose();
    } finally {
      model.dispose();
    }
    const a = trainedWeights((m) => createOptimizer(kind, m, OPTIONS[kind] as never));
    const b = trainedWeights((m) => new CLASSES[kind](m, OPTIONS[kind] as never));
    a.forEach((w, i) => expect(Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length)), `tensor ${i}`)
      .toEqual(Array.from(new Uint32Array(b[i].buffer, b[i].byteOffset, b[i].length))));
  });

  it.each([
    ['adam', "unknown optimizer kind 'adam'; did you mean 'Adam'?"],
    ['ec-sgd', "unknown optimizer kind 'ec-sgd'; did you mean 'ECSGD'?"],
    ['ECAdma', "unknown optimizer kind 'ECAdma'; did you mean 'ECAdam'?"],
    ['PathSDG', "unknown optimizer kind 'PathSDG'; did you mean 'PathSGD'?"],
  ])('an unknown kind %s is refused with a suggestion and the known kinds', (kind, message) => {
    const model = tinyModel();
    try {
      expect(() => createOptimizer(kind as OptimizerKind, model, { lr: 0.1 })).toThrow(ArgumentError);
      expect(() => createOptimizer(kind as OptimizerKind, model, { lr: 0.1 })).toThrow(message);
      expect(() => createOptimizer(kind as OptimizerKind, model, { lr: 0.1 }))
        .toThrow('(known: SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD)');
    } finally {
      model.dispose();
    }
  });

  it('a kind nothing resembles, or no string at all, gets no suggestion', () => {
    const model = tinyModel();
    try {
      expect(() => createOptimizer('frobnicate' as OptimizerKind, model, { lr: 0.1 }))
        .toThrow(/^createOptimizer: unknown optimizer kind 'frobnicate' \(known: SGD, /);
      expect(() => createOptimizer(undefined as unknown as OptimizerKind, model, { lr: 0.1 }))
        .toThrow(/^createOptimizer: unknown optimizer kind undefined \(known: /);
      // inherited object keys are no kinds
      expect(() => createOptimizer('constructor' as OptimizerKind, model, { lr: 0.1 })).toThrow(ArgumentError);
      expect(() => createOptimizer('toString' as OptimizerKind, model, { lr: 0.1 })).toThrow(ArgumentError);
    } finally {
      model.dispose();
    }
  });

  it("options are checked by the kind's constructor", () => {
    const model = tinyModel();
    try {
      expect(() => createOptimizer('SGD', model, { lr: -1 })).toThrow(ArgumentError);
      expect(() => createOptimizer('Momentum', model, { lr: 0.1, momentum: 1.5 })).toThrow(/Momentum: momentum/);
      expect(() => createOptimizer('ECAdam', model, { lr: 0.1, betas: [0.9] as unknown as [number, number] })).toThrow(/ECAdam: betas/);
    } finally {
      model.dispose();
    }
  });

  it('loadCheckpoint creates the saved kind through the registry and refuses an unknown one as a FormatError', () => {
    const model = tinyModel();
    let bytes: Uint8Array;
    try {
      const opt = createOptimizer('ECMomentum', model, { lr: 0.05 });
      const r = rng(7);
      model.trainBatch(r.uniform(8 * 4, -2, 2), r.int(8, 3), opt);
      bytes = model.toSafetensors({ optimizer: opt });
    } finally {
      model.dispose();
    }
    const restored = loadCheckpoint(bytes);
    expect(restored.optimizer).toBeInstanceOf(ECMomentum);
    expect(restored.optimizer.t).toBe(1);
    restored.model.dispose();

    const file = readSafetensors(bytes);
    const record = JSON.parse(file.metadata[OPTIMIZER_KEY]);
    const renamed = writeSafetensors(file.tensors.map((t) => ({ name: t.name, shape: t.shape, data: tensorData(t) })),
      { ...file.metadata, [OPTIMIZER_KEY]: JSON.stringify({ ...record, kind: 'Lion' }) });
    expect(() => loadCheckpoint(renamed)).toThrow(FormatError);
    expect(() => loadCheckpoint(renamed)).toThrow('safetensors: unknown optimizer kind "Lion" (known: SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD)');
  });
});
