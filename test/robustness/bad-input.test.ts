// The bad-input catalogue: every public entry point fed inputs of the wrong length, shape or type,
// out-of-range labels, NaN/Inf, zero or negative sizes, empty datasets, mismatched weight arrays and
// invalid hyperparameters. Each case must throw the right error class with a message naming the
// problem and the expected form, and leave every model's weights, every optimizer's state (hashed
// with hashArrays), step counts, options, arena bytes in use and the module's static memory exactly
// as they were. Entries marked `// Found a bug (fixed):` describe the correct behaviour and fail until src/ is fixed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, getRuntime, Sequential, Dense, ReLU, LeakyReLU, PReLU, Conv2D, MaxPool2D, AvgPool2D, Flatten,
  SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD, loadMNIST, parseIDX, datasetFromIDX,
  ShapeError, ArgumentError, FormatError, StateError, type Optimizer, type Layer,
} from '../../src/index.js';
import { runtime, rng, hashArrays } from '../helpers.js';

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
type ErrClass = new (...args: any[]) => Error;
type Any = any; // bad inputs are deliberately ill-typed

interface Fixture {
  mlp: Sequential;   // 4 -> 8 -> PReLU -> 6 -> 3
  cnn: Sequential;   // [1, 6, 6] -> conv -> pool -> flatten -> 3
  opts: Optimizer[]; // every optimizer kind on mlp, Adam on cnn
  sgd: SGD; momentum: Momentum; adam: Adam; ecsgd: ECSGD; ecadam: ECAdam; path: PathSGD; cnnAdam: Adam;
  x: Float32Array;   // 2 mlp samples
  y: Uint8Array;
  xc: Float32Array;  // 2 cnn samples
  ds: { images: Float32Array; labels: Uint8Array; count: number; shape: number[]; classes: number };
}

interface Case {
  cat: string;
  name: string;
  err: ErrClass;
  /** Every regex must match the message. */
  msg: RegExp[];
  /** Runs before the "before" snapshot; its result is passed to run. `model` joins the snapshot. */
  setup?: (f: Fixture) => Any;
  run: (f: Fixture, s: Any) => unknown;
  cleanup?: (f: Fixture, s: Any) => void;
  /** Set on cases that found a bug in src/ (since fixed; the test keeps the correct behaviour). */
  bug?: string;
}

const cases: Case[] = [];
const add = (c: Case) => cases.push(c);
const fmt = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(fmt).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Any).length})`;
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return String(v);
};
/** How describeValue() renders a value in messages. */
const shown = (v: unknown): string => {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}\\(${(v as Any).length}\\)`;
  if (Array.isArray(v)) return `Array\\(${v.length}\\)`;
  if (typeof v === 'number') return String(v).replace('+', '\\+');
  return typeof v;
};
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const mlpLayers = (): Layer[] => [new Dense(4, 8), new ReLU(), new Dense(8, 6), new PReLU(), new Dense(6, 3)];
const newMlp = (seed = 1) => new Sequential(mlpLayers(), { seed });
const newDisposedMlp = () => { const m = newMlp(9); m.dispose(); return m; };

// ---------------------------------------------------------------------------------------------
// 1. layer constructors

const BAD_SIZES: unknown[] = [0, -1, 1.5, NaN, Infinity, '4', null, undefined];
for (const v of BAD_SIZES) {
  add({ cat: 'layer constructors', name: `Dense(${fmt(v)}, 3)`, err: ArgumentError,
    msg: [/Dense: inFeatures must be a positive integer/, new RegExp(`got ${shown(v)}$`)], run: () => new Dense(v as Any, 3) });
  add({ cat: 'layer constructors', name: `Dense(4, ${fmt(v)})`, err: ArgumentError,
    msg: [/Dense: outFeatures must be a positive integer/, new RegExp(`got ${shown(v)}$`)], run: () => new Dense(4, v as Any) });
}
for (const bias of ['yes', 1, 'false']) {
  add({ cat: 'layer constructors', name: `Dense bias ${fmt(bias)}`, err: ArgumentError, msg: [/Dense: options\.bias must be a boolean/],
    run: () => new Dense(4, 3, { bias: bias as Any }) });
}
for (const ini of ['foo', 'constant', 42]) {
  add({ cat: 'layer constructors', name: `Dense init ${fmt(ini)}`, err: ArgumentError,
    msg: [/Dense: options\.init must be one of he-uniform, he-normal, glorot-uniform, glorot-normal, torch-uniform, zeros/, new RegExp(`got ${ini}`)],
    run: () => new Dense(4, 3, { init: ini as Any }) });
}
for (const a of [NaN, Infinity, -Infinity, '0.1', null]) {
  add({ cat: 'layer constructors', name: `LeakyReLU(${fmt(a)})`, err: ArgumentError,
    msg: [/LeakyReLU: alpha must be a finite number/, new RegExp(`got ${shown(a)}$`)], run: () => new LeakyReLU(a as Any) });
}
for (const a of [NaN, -Infinity, 'x']) {
  add({ cat: 'layer constructors', name: `PReLU init ${fmt(a)}`, err: ArgumentError,
    msg: [/PReLU: options\.init must be a finite number/, new RegExp(`got ${shown(a)}$`)], run: () => new PReLU({ init: a as Any }) });
}
for (const v of [0, -1, 1.5, 'x', NaN]) {
  add({ cat: 'layer constructors', name: `Conv2D(${fmt(v)}, 2, 3)`, err: ArgumentError, msg: [/Conv2D: inChannels must be a positive integer/],
    run: () => new Conv2D(v as Any, 2, 3) });
  add({ cat: 'layer constructors', name: `Conv2D(1, ${fmt(v)}, 3)`, err: ArgumentError, msg: [/Conv2D: outChannels must be a positive integer/],
    run: () => new Conv2D(1, v as Any, 3) });
}
for (const k of [0, -3, 1.5, [3], [3, 0], [3, 1.5], [3, 3, 3], '3', null, undefined]) {
  add({ cat: 'layer constructors', name: `Conv2D kernel ${fmt(k)}`, err: ArgumentError,
    msg: [/Conv2D: kernel must be a positive integer or a pair of them/], run: () => new Conv2D(1, 2, k as Any) });
}
for (const [opt, vals, re] of [
  ['stride', [0, -1, [1, 0], 1.5], /Conv2D: options\.stride must be a positive integer or a pair of them/],
  ['dilation', [0, [2, -1]], /Conv2D: options\.dilation must be a positive integer or a pair of them/],
  ['padding', [-1, 'valid', [1], 0.5], /Conv2D: options\.padding \(or 'same'\) must be a non-negative integer or a pair of them/],
] as [string, unknown[], RegExp][]) {
  for (const v of vals) {
    add({ cat: 'layer constructors', name: `Conv2D ${opt} ${fmt(v)}`, err: ArgumentError, msg: [re], run: () => new Conv2D(1, 2, 3, { [opt]: v } as Any) });
  }
}
add({ cat: 'layer constructors', name: 'Conv2D bias "no"', err: ArgumentError, msg: [/Conv2D: options\.bias must be a boolean/], run: () => new Conv2D(1, 2, 3, { bias: 'no' as Any }) });
add({ cat: 'layer constructors', name: 'Conv2D init "foo"', err: ArgumentError, msg: [/Conv2D: options\.init must be one of/], run: () => new Conv2D(1, 2, 3, { init: 'foo' as Any }) });
for (const [name, P] of [['MaxPool2D', MaxPool2D], ['AvgPool2D', AvgPool2D]] as const) {
  for (const k of [0, -2, [2], [2, 0], 'x', undefined]) {
    add({ cat: 'layer constructors', name: `${name}(${fmt(k)})`, err: ArgumentError,
      msg: [new RegExp(`${name}: kernel must be a positive integer or a pair of them`)], run: () => new P(k as Any) });
  }
  for (const s of [0, 1.5, [1, -1]]) {
    add({ cat: 'layer constructors', name: `${name} stride ${fmt(s)}`, err: ArgumentError,
      msg: [new RegExp(`${name}: options\\.stride must be a positive integer or a pair of them`)], run: () => new P(2, { stride: s as Any }) });
  }
}
// Found a bug (fixed): a null options object is dereferenced: TypeError "Cannot read properties of null" instead of ArgumentError.
for (const [name, mk] of [
  ['Dense(4, 3, null)', () => new Dense(4, 3, null as Any)],
  ['Conv2D(1, 2, 3, null)', () => new Conv2D(1, 2, 3, null as Any)],
  ['MaxPool2D(2, null)', () => new MaxPool2D(2, null as Any)],
  ['AvgPool2D(2, null)', () => new AvgPool2D(2, null as Any)],
  ['PReLU(null)', () => new PReLU(null as Any)],
] as [string, () => unknown][]) {
  add({ cat: 'layer constructors', name, err: ArgumentError, msg: [/options/], run: mk, bug: 'null options -> TypeError' });
}

// ---------------------------------------------------------------------------------------------
// 2. Sequential constructor and options

for (const [name, layers, re] of [
  ['layers undefined', undefined, /Sequential: expected a non-empty array of layers/],
  ['layers null', null, /Sequential: expected a non-empty array of layers/],
  ['layers []', [], /Sequential: expected a non-empty array of layers/],
  ['layers "Dense"', 'Dense', /Sequential: expected a non-empty array of layers/],
  ['layers [{}]', [{}], /Sequential: element 0 is not a layer \(got object\)/],
  ['layers [Dense, 42]', 'dense42', /Sequential: element 1 is not a layer \(got 42\)/],
] as [string, unknown, RegExp][]) {
  add({ cat: 'Sequential', name, err: ArgumentError, msg: [re], run: () => new Sequential((layers === 'dense42' ? [new Dense(4, 3), 42] : layers) as Any) });
}
add({
  cat: 'Sequential', name: 'a layer that already belongs to a model', err: ArgumentError,
  msg: [/Sequential: layer 0 \(Dense\) already belongs to a model; create a new layer instance/],
  setup: () => { const l = new Dense(4, 3); const m = new Sequential([l]); return { l, model: m }; },
  run: (_f, s) => new Sequential([s.l]),
  cleanup: (_f, s) => s.model.dispose(),
});
for (const seed of [-1, 1.5, NaN, Infinity, '1', 2 ** 53]) {
  add({ cat: 'Sequential', name: `seed ${fmt(seed)}`, err: ArgumentError,
    msg: [/Sequential: seed must be a non-negative integer/, new RegExp(`got ${shown(seed)}`)],
    run: () => new Sequential([new Dense(4, 3)], { seed: seed as Any }) });
}
for (const shape of [[], [0], [-3], [4.5], '4', [2, NaN], null, [4, 0]]) {
  add({ cat: 'Sequential', name: `inputShape ${fmt(shape)}`, err: ShapeError,
    msg: [/Sequential: inputShape must be an array of positive integers, e\.g\. \[784\] or \[1, 28, 28\]/],
    run: () => new Sequential([new Dense(4, 3)], { inputShape: shape as Any }) });
}
for (const [name, mk, re] of [
  ['inputShape [5] for Dense(4, 3)', () => new Sequential([new Dense(4, 3)], { inputShape: [5] }),
    /layer 0 \(Dense 4->3\) expects 4 input features per sample, but its input has shape \[5\] \(5 values\)/],
  ['Dense 4->8 then Dense 7->3', () => new Sequential([new Dense(4, 8), new ReLU(), new Dense(7, 3)]),
    /layer 2 \(Dense 7->3\) expects 7 input features per sample, but its input has shape \[8\]/],
  ['last layer outputs a map', () => new Sequential([new Conv2D(1, 2, 3)], { inputShape: [1, 6, 6] }),
    /the last layer must output a vector of class scores, got shape \[2, 4, 4\] \(add Flatten and a Dense layer\)/],
  ['Conv2D after Dense', () => new Sequential([new Dense(4, 36), new Conv2D(1, 2, 3), new Flatten(), new Dense(32, 3)]),
    /layer 1 \(Conv2D 1->2 3x3\) expects a per-sample input of shape \[channels, height, width\], got \[36\]/],
  ['Conv2D channel mismatch', () => new Sequential([new Conv2D(3, 2, 3), new Flatten(), new Dense(32, 3)], { inputShape: [1, 6, 6] }),
    /expects 3 input channels, but its input has shape \[1, 6, 6\] \(1 channels\)/],
  ['Conv2D kernel larger than input', () => new Sequential([new Conv2D(1, 2, 7), new Flatten(), new Dense(2, 3)], { inputShape: [1, 6, 6] }),
    /the 7x7 kernel window .* is larger than the padded input 6x6/],
  ['MaxPool2D window larger than input', () => new Sequential([new MaxPool2D(8), new Flatten(), new Dense(36, 3)], { inputShape: [1, 6, 6] }),
    /MaxPool2D 8x8\): the 8x8 window is larger than the input 6x6/],
  ['first layer cannot infer its input', () => new Sequential([new ReLU(), new Dense(4, 3)]),
    /cannot infer the input shape from the first layer \(ReLU\); pass \{ inputShape \}/],
  ['no square input fits the conv stack', () => new Sequential([new Conv2D(1, 2, 3), new Flatten(), new Dense(7, 3)]),
    /cannot infer the input size of Conv2D: no square input up to 1024x1024 fits the layers; pass \{ inputShape: \[C, H, W\] \}/],
] as [string, () => unknown, RegExp][]) {
  add({ cat: 'Sequential', name, err: ShapeError, msg: [re], run: mk });
}
// Found a bug (fixed): `new Sequential(layers, null)` dereferences null (TypeError) instead of an ArgumentError about options.
add({ cat: 'Sequential', name: 'options null', err: ArgumentError, msg: [/options/], run: () => new Sequential([new Dense(4, 3)], null as Any), bug: 'null options -> TypeError' });

// ---------------------------------------------------------------------------------------------
// 3. optimizer constructors and hyperparameters

type OptCtor = (m: Sequential, o: Any) => Optimizer;
const OPT: Record<string, OptCtor> = {
  SGD: (m, o) => new SGD(m, o), Momentum: (m, o) => new Momentum(m, o), Adam: (m, o) => new Adam(m, o),
  ECSGD: (m, o) => new ECSGD(m, o), ECMomentum: (m, o) => new ECMomentum(m, o), ECAdam: (m, o) => new ECAdam(m, o),
  PathSGD: (m, o) => new PathSGD(m, o),
};
const LR_REQUIRED = ['SGD', 'Momentum', 'ECSGD', 'ECMomentum', 'PathSGD'];
const cat3 = 'optimizer constructors';
for (const [kind, mk] of Object.entries(OPT)) {
  for (const model of [null, undefined, {}, 'model']) {
    add({ cat: cat3, name: `${kind}(${fmt(model)})`, err: ArgumentError,
      msg: [new RegExp(`${kind}: the first argument must be a model \\(Sequential or Model\\)`)], run: () => mk(model as Any, { lr: 0.1 }) });
  }
  for (const lr of [0, -0.1, -0, NaN, Infinity, -Infinity, '0.1']) {
    add({ cat: cat3, name: `${kind} lr ${fmt(lr)}`, err: ArgumentError,
      msg: [new RegExp(`${kind}: lr must be a finite number in \\(0, Infinity\\]`), new RegExp(`got ${shown(lr)}$`)],
      run: (f) => mk(f.mlp, { lr }) });
  }
  if (LR_REQUIRED.includes(kind)) {
    add({ cat: cat3, name: `${kind} without lr`, err: ArgumentError, msg: [new RegExp(`${kind}: lr must be a finite number`), /got undefined/],
      run: (f) => mk(f.mlp, {}) });
    add({ cat: cat3, name: `${kind} options undefined`, err: ArgumentError, msg: [new RegExp(`${kind}: lr must be a finite number`), /got undefined/],
      run: (f) => mk(f.mlp, undefined) });
  }
  if (kind !== 'PathSGD') {
    for (const wd of [-1e-4, NaN, Infinity, '0']) {
      add({ cat: cat3, name: `${kind} weightDecay ${fmt(wd)}`, err: ArgumentError,
        msg: [new RegExp(`${kind}: weightDecay must be a finite number in \\[0, Infinity\\]`), new RegExp(`got ${shown(wd)}$`)],
        run: (f) => mk(f.mlp, { lr: 0.01, weightDecay: wd }) });
    }
  }
  if (['Momentum', 'ECSGD', 'ECMomentum'].includes(kind)) {
    for (const mu of [-0.1, 1, 1.5, NaN, '0.9']) {
      add({ cat: cat3, name: `${kind} momentum ${fmt(mu)}`, err: ArgumentError,
        msg: [new RegExp(`${kind}: momentum must be a finite number in \\[0, 1\\)`), new RegExp(`got ${shown(mu)}$`)],
        run: (f) => mk(f.mlp, { lr: 0.01, momentum: mu }) });
    }
  }
  if (kind === 'Adam' || kind === 'ECAdam') {
    for (const [b, re] of [
      [[1, 0.999], /betas\[0\] must be a finite number in \[0, 1\), got 1$/],
      [[0.9, 1], /betas\[1\] must be a finite number in \[0, 1\), got 1$/],
      [[-0.1, 0.999], /betas\[0\] must be a finite number in \[0, 1\), got -0.1$/],
      [[0.9, -1], /betas\[1\] must be a finite number in \[0, 1\), got -1$/],
      [[NaN, 0.999], /betas\[0\] must be a finite number in \[0, 1\), got NaN$/],
      [[0.9, Infinity], /betas\[1\] must be a finite number in \[0, 1\), got Infinity$/],
      [[0.9], /betas must be a pair \[beta1, beta2\]/],
      [[0.9, 0.99, 0.5], /betas must be a pair \[beta1, beta2\]/],
      ['0.9,0.999', /betas must be a pair \[beta1, beta2\]/],
    ] as [unknown, RegExp][]) {
      add({ cat: cat3, name: `${kind} betas ${fmt(b)}`, err: ArgumentError, msg: [new RegExp(kind), re], run: (f) => mk(f.mlp, { lr: 1e-3, betas: b }) });
    }
    for (const eps of [0, -1e-8, NaN, Infinity]) {
      add({ cat: cat3, name: `${kind} eps ${fmt(eps)}`, err: ArgumentError,
        msg: [new RegExp(`${kind}: eps must be a finite number in \\(0, Infinity\\]`), new RegExp(`got ${shown(eps)}$`)],
        run: (f) => mk(f.mlp, { lr: 1e-3, eps }) });
    }
  }
  if (kind.startsWith('EC')) {
    for (const tr of [0, -0.1, NaN, Infinity, 'yes']) {
      add({ cat: cat3, name: `${kind} trustRegion ${fmt(tr)}`, err: ArgumentError,
        msg: [new RegExp(`${kind}: trustRegion must be a finite number in \\(0, Infinity\\]`)], run: (f) => mk(f.mlp, { lr: 0.01, trustRegion: tr }) });
    }
    for (const fl of [-0.1, 1, 2, NaN, true]) {
      add({ cat: cat3, name: `${kind} skeletonFloor ${fmt(fl)}`, err: ArgumentError,
        msg: [new RegExp(`${kind}: skeletonFloor must be a finite number in \\[0, 1\\)`)], run: (f) => mk(f.mlp, { lr: 0.01, skeletonFloor: fl }) });
    }
    add({ cat: cat3, name: `${kind} init "random"`, err: ArgumentError, msg: [new RegExp(`${kind}: init must be 'unit-skeleton' or 'preserve', got random`)],
      run: (f) => mk(f.mlp, { lr: 0.01, init: 'random' }) });
  }
  if (kind.startsWith('EC') || kind === 'PathSGD') {
    add({
      cat: cat3, name: `${kind} on a network without Dense/Conv2D`, err: ArgumentError, msg: [new RegExp(`${kind}: the network has no Dense or Conv2D layer`)],
      setup: () => ({ model: new Sequential([new Flatten()], { inputShape: [4] }) }),
      run: (_f, s) => mk(s.model, { lr: 0.01 }), cleanup: (_f, s) => s.model.dispose(),
    });
  }
}
// Found a bug (fixed): Adam/ECAdam dereference a null options object (TypeError) instead of an ArgumentError.
add({ cat: cat3, name: 'Adam options null', err: ArgumentError, msg: [/Adam.*options/], run: (f) => new Adam(f.mlp, null as Any), bug: 'null options -> TypeError' });
// Found a bug (fixed): same for ECAdam.
add({ cat: cat3, name: 'ECAdam options null', err: ArgumentError, msg: [/ECAdam.*options/], run: (f) => new ECAdam(f.mlp, null as Any), bug: 'null options -> TypeError' });
add({ cat: cat3, name: 'SGD options null', err: ArgumentError, msg: [/SGD: lr must be a finite number/], run: (f) => new SGD(f.mlp, null as Any) });
// Found a bug (fixed): init 'preserve' rescales hidden units one by one and throws at the first zero frozen skeleton
// weight, leaving the units before it rescaled: the weights change although the constructor failed.
add({
  cat: cat3, name: "ECSGD init 'preserve' with a zero frozen skeleton weight", err: ArgumentError,
  msg: [/ECSGD: init 'preserve' cannot normalise unit 5 of layer 2 \(Dense 8->6\): its frozen skeleton weight is 0/],
  setup: () => {
    const m = new Sequential([new Dense(4, 8), new ReLU(), new Dense(8, 6), new ReLU(), new Dense(6, 3)], { seed: 1 });
    const ws = m.getWeights();
    ws[4][(5 % 3) * 6 + 5] = 0; // out-edge of unit 5 of layer 2 into the output layer: its frozen skeleton weight
    m.setWeights(ws);
    return { model: m };
  },
  run: (_f, s) => new ECSGD(s.model, { lr: 0.01, init: 'preserve' }),
  cleanup: (_f, s) => s.model.dispose(),
  bug: 'partial rescaling before the error',
});

const cat4 = 'setLearningRate / mutated hyperparameters';
for (const o of ['sgd', 'adam', 'ecsgd', 'path'] as const) {
  // 0 is legal between steps (a step that changes no weight; cosineDecay() ends there): test/schedules.test.ts
  for (const lr of [-1, -1e-9, NaN, Infinity, -Infinity, '0.1']) {
    add({ cat: cat4, name: `${o}.setLearningRate(${fmt(lr)})`, err: ArgumentError,
      msg: [/lr must be a finite number in \[0, Infinity\]/, new RegExp(`got ${shown(lr)}$`)], run: (f) => f[o].setLearningRate(lr as Any) });
  }
}
// Found a bug (fixed): `lr` is a public, documented-as-settable field, but a negative value is used as is: the step
// silently does gradient ascent instead of being refused with an ArgumentError.
add({
  cat: cat4, name: 'sgd.lr = -0.1 then trainBatch', err: ArgumentError, msg: [/SGD: lr must be a finite number in \[0, Infinity\], got -0.1$/],
  setup: (f) => { const lr = f.sgd.lr; f.sgd.lr = -0.1; return { lr }; },
  run: (f) => f.mlp.trainBatch(f.x, f.y, f.sgd), cleanup: (f, s) => { f.sgd.lr = s.lr; }, bug: 'unvalidated lr field',
});
// Found a bug (fixed): `momentum` is a public field; 1.5 makes the heavy ball diverge but the step is taken.
add({
  cat: cat4, name: 'momentum.momentum = 1.5 then trainBatch', err: ArgumentError, msg: [/momentum/, /\[0, 1\)/],
  setup: (f) => { const mu = f.momentum.momentum; f.momentum.momentum = 1.5; return { mu }; },
  run: (f) => f.mlp.trainBatch(f.x, f.y, f.momentum), cleanup: (f, s) => { f.momentum.momentum = s.mu; }, bug: 'unvalidated momentum field',
});

// ---------------------------------------------------------------------------------------------
// 4. predict / trainBatch / computeGradients

const X_BAD: [string, (f: Fixture) => unknown, RegExp][] = [
  ['Float64Array', () => new Float64Array(8), /x must be a Float32Array, got Float64Array\(8\)/],
  ['Array', () => Array(8).fill(0), /x must be a Float32Array, got Array\(8\)/],
  ['Int32Array', () => new Int32Array(8), /x must be a Float32Array, got Int32Array\(8\)/],
  ['null', () => null, /x must be a Float32Array, got null/],
  ['undefined', () => undefined, /x must be a Float32Array, got undefined/],
  ['string', () => 'x'.repeat(8), /x must be a Float32Array, got string/],
  ['too short', () => new Float32Array(7), /x has 7 values, expected batch × \[4\] = 2 × 4 = 8/],
  ['too long', () => new Float32Array(12), /x has 12 values, expected batch × \[4\] = 2 × 4 = 8/],
  ['empty', () => new Float32Array(0), /x has 0 values, expected batch × \[4\] = 2 × 4 = 8/],
];
const withVal = (f: Fixture, i: number, v: number) => { const x = f.x.slice(); x[i] = v; return x; };
const NONFINITE: [string, number][] = [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]];

for (const [name, x, re] of X_BAD) {
  add({ cat: 'predict', name: `x ${name}`, err: ShapeError, msg: [/^predict: /, re], run: (f) => f.mlp.predict(x(f) as Any, 2) });
}
// batch undefined (or omitted) is inferred from x.length: test/predict.test.ts
for (const b of [0, -1, 1.5, NaN, Infinity, '2', null]) {
  add({ cat: 'predict', name: `batch ${fmt(b)}`, err: ArgumentError, msg: [/predict: batch must be a positive integer/, new RegExp(`got ${shown(b)}$`)],
    run: (f) => f.mlp.predict(f.x, b as Any) });
}
// without a batch size: x must be a whole, non-zero number of samples
for (const [name, x, re] of [
  ['7 values', () => new Float32Array(7), /^predict: x has 7 values, which is not a whole number of samples of 4 values \(inputShape \[4\]\)/],
  ['empty', () => new Float32Array(0), /^predict: x has 0 values; expected at least one sample of 4 values \(inputShape \[4\]\)/],
  ['Float64Array', () => new Float64Array(8), /^predict: x must be a Float32Array, got Float64Array\(8\)/],
  ['undefined', () => undefined, /^predict: x must be a Float32Array, got undefined/],
] as [string, () => unknown, RegExp][]) {
  add({ cat: 'predict', name: `predict(x ${name}) without batch`, err: ShapeError, msg: [re], run: (f) => f.mlp.predict(x() as Any) });
}
add({ cat: 'predict', name: 'predictProba(x of 10 values) without batch', err: ShapeError,
  msg: [/^predictProba: x has 10 values, which is not a whole number of samples of 4 values \(inputShape \[4\]\)/], run: (f) => f.mlp.predictProba(new Float32Array(10)) });
add({ cat: 'predict', name: 'cnn predict(MLP-sized x) without batch', err: ShapeError,
  msg: [/^predict: x has 8 values, which is not a whole number of samples of 36 values \(inputShape \[1, 6, 6\]\)/], run: (f) => f.cnn.predict(f.x) });
for (const [vn, v] of NONFINITE) {
  add({ cat: 'predict', name: `x holds ${vn}`, err: ShapeError, msg: [new RegExp(`predict: input sample 1 has a non-finite value \\(${vn}\\) at index 6`)],
    run: (f) => f.mlp.predict(withVal(f, 6, v), 2) });
}
add({ cat: 'predict', name: 'cnn x of an MLP-sized batch', err: ShapeError, msg: [/predict: x has 8 values, expected batch × \[1, 6, 6\] = 2 × 36 = 72/],
  run: (f) => f.cnn.predict(f.x, 2) });
// Found a bug (fixed): predict works in chunks of 512 and reports the sample and index relative to the chunk
// (sample 38, index 153 here) instead of the caller's sample 550, index 2201.
add({
  cat: 'predict', name: 'NaN in sample 550 of 600', err: ShapeError, msg: [/predict: input sample 550 has a non-finite value \(NaN\) at index 2201/],
  run: (f) => { const x = new Float32Array(600 * 4); x[550 * 4 + 1] = NaN; return f.mlp.predict(x, 600); }, bug: 'chunk-relative index',
});

const Y_BAD: [string, () => unknown, RegExp][] = [
  ['Float32Array', () => new Float32Array(2), /labels must be a Uint8Array or Int32Array of class indices, got Float32Array\(2\)/],
  ['Array', () => [0, 1], /labels must be a Uint8Array or Int32Array of class indices, got Array\(2\)/],
  ['Int16Array', () => new Int16Array(2), /labels must be a Uint8Array or Int32Array of class indices, got Int16Array\(2\)/],
  ['Uint8ClampedArray', () => new Uint8ClampedArray(2), /labels must be a Uint8Array or Int32Array of class indices, got Uint8ClampedArray\(2\)/],
  ['null', () => null, /labels must be a Uint8Array or Int32Array of class indices, got null/],
  ['undefined', () => undefined, /labels must be a Uint8Array or Int32Array of class indices, got undefined/],
  ['string', () => '01', /labels must be a Uint8Array or Int32Array of class indices, got string/],
];
const LABELS_OOR: [string, () => Uint8Array | Int32Array, RegExp][] = [
  ['Int32Array -1', () => Int32Array.from([0, -1]), /label -1 at index 1 is not a class index in \[0, 3\)/],
  ['Int32Array 3 (= classes)', () => Int32Array.from([3, 0]), /label 3 at index 0 is not a class index in \[0, 3\)/],
  ['Int32Array 2^31-1', () => Int32Array.from([0, 2 ** 31 - 1]), /label 2147483647 at index 1 is not a class index in \[0, 3\)/],
  ['Int32Array -2^31', () => Int32Array.from([-(2 ** 31), 0]), /label -2147483648 at index 0 is not a class index in \[0, 3\)/],
  ['Uint8Array 3', () => Uint8Array.from([0, 3]), /label 3 at index 1 is not a class index in \[0, 3\)/],
  ['Uint8Array 255', () => Uint8Array.from([255, 1]), /label 255 at index 0 is not a class index in \[0, 3\)/],
];
for (const api of ['trainBatch', 'computeGradients'] as const) {
  const call = (f: Fixture, x: unknown, y: unknown, m = f.mlp) =>
    api === 'trainBatch' ? m.trainBatch(x as Any, y as Any, m === f.mlp ? f.momentum : f.cnnAdam) : m.computeGradients(x as Any, y as Any);
  const cat = api;
  for (const [name, x, re] of X_BAD) {
    add({ cat, name: `x ${name}`, err: ShapeError, msg: [new RegExp(`^${api}: `), re], run: (f) => call(f, x(f), f.y) });
  }
  for (const [name, y, re] of Y_BAD) {
    add({ cat, name: `labels ${name}`, err: ShapeError, msg: [new RegExp(`^${api}: `), re], run: (f) => call(f, f.x, y()) });
  }
  for (const [name, y, re] of LABELS_OOR) {
    add({ cat, name: `label ${name}`, err: ShapeError, msg: [new RegExp(`^${api}: `), re], run: (f) => call(f, f.x, y()) });
  }
  add({ cat, name: 'cnn label 3', err: ShapeError, msg: [new RegExp(`^${api}: label 3 at index 1 is not a class index in \\[0, 3\\)`)],
    run: (f) => call(f, f.xc, Uint8Array.from([0, 3]), f.cnn) });
  add({ cat, name: '3 labels for 2 samples', err: ShapeError, msg: [/x has 8 values, expected batch × \[4\] = 3 × 4 = 12/],
    run: (f) => call(f, f.x, new Uint8Array(3)) });
  add({ cat, name: 'empty batch', err: ArgumentError, msg: [new RegExp(`${api}: batch must be a positive integer, got 0`)],
    run: (f) => call(f, new Float32Array(0), new Uint8Array(0)) });
  for (const [vn, v] of NONFINITE) {
    add({ cat, name: `x holds ${vn}`, err: ShapeError, msg: [new RegExp(`${api}: input sample 0 has a non-finite value \\(${vn}\\) at index 2`)],
      run: (f) => call(f, withVal(f, 2, v), f.y) });
  }
  add({ cat, name: 'cnn x holds NaN', err: ShapeError, msg: [new RegExp(`${api}: input sample 1 has a non-finite value \\(NaN\\) at index 40`)],
    run: (f) => { const x = f.xc.slice(); x[40] = NaN; return call(f, x, f.y, f.cnn); } });
}
for (const [name, o, re] of [
  ['null', () => null, /trainBatch: the optimizer must be created for this model/],
  ['undefined', () => undefined, /trainBatch: the optimizer must be created for this model/],
  ['{}', () => ({}), /trainBatch: the optimizer must be created for this model/],
  ["another model's optimizer", (f: Fixture) => f.cnnAdam, /trainBatch: the optimizer must be created for this model \(new SGD\(model, \.\.\.\)\)/],
] as [string, (f: Fixture) => unknown, RegExp][]) {
  add({ cat: 'trainBatch', name: `optimizer ${name}`, err: ArgumentError, msg: [re], run: (f) => f.mlp.trainBatch(f.x, f.y, o(f) as Any) });
}

// ---------------------------------------------------------------------------------------------
// 5. setWeights

const SPEC_LIST = /0\.weight \[8, 4\], 0\.bias \[8\], 2\.weight \[6, 8\], 2\.bias \[6\], 3\.weight \[6\], 4\.weight \[3, 6\], 4\.bias \[3\]/;
const wsWith = (f: Fixture, edit: (ws: Any[]) => unknown) => { const ws: Any[] = f.mlp.getWeights(); edit(ws); return ws; };
for (const [name, ws, err, re] of [
  ['null', () => null, ShapeError, /setWeights: expected an array of 7 Float32Arrays, got null/],
  ['undefined', () => undefined, ShapeError, /setWeights: expected an array of 7 Float32Arrays, got undefined/],
  ['a string', () => 'weights', ShapeError, /setWeights: expected an array of 7 Float32Arrays, got string/],
  ['one Float32Array', (f: Fixture) => f.mlp.getWeights()[0], ShapeError, /setWeights: expected an array of 7 Float32Arrays, got Float32Array\(32\)/],
  ['[]', () => [], ShapeError, /setWeights: expected 7 arrays \(.*\), got 0/],
  ['one array too few', (f: Fixture) => f.mlp.getWeights().slice(1), ShapeError, /setWeights: expected 7 arrays \(.*\), got 6/],
  ['one array too many', (f: Fixture) => [...f.mlp.getWeights(), new Float32Array(3)], ShapeError, /setWeights: expected 7 arrays \(.*\), got 8/],
  ['the cnn weights', (f: Fixture) => f.cnn.getWeights(), ShapeError, /setWeights: expected 7 arrays \(.*\), got 4/],
  ['array 0 one value short', (f: Fixture) => wsWith(f, (w) => { w[0] = w[0].subarray(1); }), ShapeError,
    /setWeights: array 0 \(0\.weight\) must have 32 values \(shape \[8, 4\]\), got 31/],
  ['array 6 one value long', (f: Fixture) => wsWith(f, (w) => { w[6] = new Float32Array(4); }), ShapeError,
    /setWeights: array 6 \(4\.bias\) must have 3 values \(shape \[3\]\), got 4/],
  ['arrays 0 and 1 swapped', (f: Fixture) => wsWith(f, (w) => { [w[0], w[1]] = [w[1], w[0]]; }), ShapeError,
    /setWeights: array 0 \(0\.weight\) must have 32 values \(shape \[8, 4\]\), got 8/],
  ['array 2 a Float64Array', (f: Fixture) => wsWith(f, (w) => { w[2] = Float64Array.from(w[2]); }), ShapeError,
    /setWeights: array 2 \(2\.weight\) must be a Float32Array, got Float64Array\(48\)/],
  ['array 4 a plain Array', (f: Fixture) => wsWith(f, (w) => { w[4] = Array.from(w[4]); }), ShapeError,
    /setWeights: array 4 \(3\.weight\) must be a Float32Array, got Array\(6\)/],
  ['array 5 null', (f: Fixture) => wsWith(f, (w) => { w[5] = null; }), ShapeError, /setWeights: array 5 \(4\.weight\) must be a Float32Array, got null/],
  ['array 3 undefined', (f: Fixture) => wsWith(f, (w) => { w[3] = undefined; }), ShapeError, /setWeights: array 3 \(2\.bias\) must be a Float32Array, got undefined/],
  ['NaN in the last array', (f: Fixture) => wsWith(f, (w) => { w[6][2] = NaN; }), ShapeError,
    /setWeights: array 6 \(4\.bias\) has a non-finite value \(NaN\) at index 2/],
  ['Infinity in array 0', (f: Fixture) => wsWith(f, (w) => { w[0][31] = Infinity; }), ShapeError,
    /setWeights: array 0 \(0\.weight\) has a non-finite value \(Infinity\) at index 31/],
  ['-Infinity in the PReLU slope', (f: Fixture) => wsWith(f, (w) => { w[4][0] = -Infinity; }), ShapeError,
    /setWeights: array 4 \(3\.weight\) has a non-finite value \(-Infinity\) at index 0/],
  ['valid arrays 0-5, NaN in 6', (f: Fixture) => wsWith(f, (w) => { for (const a of w) a.fill(0.5); w[6][0] = NaN; }), ShapeError,
    /setWeights: array 6 \(4\.bias\) has a non-finite value \(NaN\) at index 0/],
] as [string, (f: Fixture) => unknown, ErrClass, RegExp][]) {
  add({ cat: 'setWeights', name, err, msg: [re], run: (f) => f.mlp.setWeights(ws(f) as Any) });
}
add({ cat: 'setWeights', name: 'count message lists every expected array', err: ShapeError, msg: [SPEC_LIST], run: (f) => f.mlp.setWeights([]) });

// ---------------------------------------------------------------------------------------------
// 6. evaluate and fit

const ds = (f: Fixture, over: Record<string, unknown> = {}) => ({ ...f.ds, ...over });
const DS_BAD: [string, (f: Fixture) => unknown, ErrClass, RegExp[], string?][] = [
  ['null', () => null, ArgumentError, [/expected a dataset \{ images, labels, count \}, got null/]],
  ['undefined', () => undefined, ArgumentError, [/expected a dataset \{ images, labels, count \}, got undefined/]],
  ['a string', () => 'mnist', ArgumentError, [/expected a dataset \{ images, labels, count \}, got string/]],
  ['{}', () => ({}), ShapeError, [/images must be a Float32Array or a Uint8Array \(bytes 0\.\.255\), got undefined/]],
  ['images Float64Array', (f) => ds(f, { images: Float64Array.from(f.ds.images) }), ShapeError, [/images must be a Float32Array or a Uint8Array \(bytes 0\.\.255\), got Float64Array\(40\)/]],
  ['images Array', (f) => ds(f, { images: Array.from(f.ds.images) }), ShapeError, [/images must be a Float32Array or a Uint8Array \(bytes 0\.\.255\), got Array\(40\)/]],
  ['labels Float32Array', (f) => ds(f, { labels: new Float32Array(10) }), ShapeError, [/labels must be a Uint8Array or Int32Array, got Float32Array\(10\)/]],
  ['labels Array', (f) => ds(f, { labels: Array(10).fill(0) }), ShapeError, [/labels must be a Uint8Array or Int32Array, got Array\(10\)/]],
  ['labels null', (f) => ds(f, { labels: null }), ShapeError, [/labels must be a Uint8Array or Int32Array, got null/]],
  ['empty dataset', () => ({ images: new Float32Array(0), labels: new Uint8Array(0), count: 0 }), ShapeError, [/the dataset is empty \(count = 0\)/]],
  ['empty dataset without count', () => ({ images: new Float32Array(0), labels: new Uint8Array(0) }), ShapeError, [/the dataset is empty/]],
  ['count 11 for 10 labels', (f) => ds(f, { count: 11 }), ShapeError, [/10 labels for count = 11 samples/]],
  ['count 9 for 10 labels', (f) => ds(f, { count: 9 }), ShapeError, [/10 labels for count = 9 samples/]],
  ['images one value short', (f) => ds(f, { images: f.ds.images.subarray(1) }), ShapeError,
    [/images has 39 values, expected count × sample size = 10 × 4 = 40/]],
  ['cnn-sized images', (f) => ds(f, { images: new Float32Array(360) }), ShapeError, [/images has 360 values, expected count × sample size = 10 × 4 = 40/]],
  // Found a bug (fixed): a negative count is reported as "the dataset is empty (count = -1)": the message should say count must be a positive integer.
  ['count -1', (f) => ds(f, { count: -1 }), ShapeError, [/count must be a positive integer/, /-1/], 'misleading message'],
  // Found a bug (fixed): a fractional count is reported as "the dataset is empty (count = 2.5)".
  ['count 2.5', (f) => ds(f, { count: 2.5 }), ShapeError, [/count must be a positive integer/, /2\.5/], 'misleading message'],
  // Found a bug (fixed): a string count is reported as "the dataset is empty (count = string)".
  ['count "10"', (f) => ds(f, { count: '10' }), ShapeError, [/count must be a positive integer/], 'misleading message'],
];
const VALIDATION_TOO = ['a string', '{}', 'images Float64Array', 'labels Float32Array', 'empty dataset', 'count 11 for 10 labels', 'images one value short'];
for (const [name, d, err, msg, bug] of DS_BAD) {
  add({ cat: 'evaluate', name: `dataset ${name}`, err, msg: [/^evaluate: /, ...msg], run: (f) => f.mlp.evaluate(d(f) as Any), bug });
  add({ cat: 'fit', name: `dataset ${name}`, err, msg: [/^fit: /, ...msg], run: (f) => f.mlp.fit(d(f) as Any, { optimizer: f.sgd }), bug });
  if (VALIDATION_TOO.includes(name)) {
    add({ cat: 'fit', name: `validation ${name}`, err, msg: [/^fit: validation: /, ...msg],
      run: (f) => f.mlp.fit(f.ds, { optimizer: f.sgd, validation: d(f) as Any }) });
  }
}
const labelsWith = (f: Fixture, i: number, v: number, T: typeof Uint8Array | typeof Int32Array = Uint8Array) => {
  const l = T.from(f.ds.labels); l[i] = v; return ds(f, { labels: l });
};
const imagesWith = (f: Fixture, i: number, v: number) => { const im = f.ds.images.slice(); im[i] = v; return ds(f, { images: im }); };
for (const [name, d, re] of [
  ['Uint8Array label 3', (f: Fixture) => labelsWith(f, 4, 3), /evaluate: label 3 at index 4 is not a class index in \[0, 3\)/],
  ['Uint8Array label 255', (f: Fixture) => labelsWith(f, 0, 255), /evaluate: label 255 at index 0 is not a class index in \[0, 3\)/],
  ['Int32Array label -1', (f: Fixture) => labelsWith(f, 9, -1, Int32Array), /evaluate: label -1 at index 9 is not a class index in \[0, 3\)/],
  ['Int32Array label 3', (f: Fixture) => labelsWith(f, 2, 3, Int32Array), /evaluate: label 3 at index 2 is not a class index in \[0, 3\)/],
  ['NaN image value', (f: Fixture) => imagesWith(f, 13, NaN), /evaluate: input sample 3 has a non-finite value \(NaN\) at index 13/],
  ['-Infinity image value', (f: Fixture) => imagesWith(f, 39, -Infinity), /evaluate: input sample 9 has a non-finite value \(-Infinity\) at index 39/],
] as [string, (f: Fixture) => unknown, RegExp][]) {
  add({ cat: 'evaluate', name, err: ShapeError, msg: [re], run: (f) => f.mlp.evaluate(d(f) as Any) });
}
// Found a bug (fixed): evaluate works in chunks of 512 and reports the label index relative to the chunk (88, not 600).
add({
  cat: 'evaluate', name: 'label 7 at index 600 of 700', err: ShapeError, msg: [/evaluate: label 7 at index 600 is not a class index in \[0, 3\)/],
  run: (f) => { const labels = new Uint8Array(700); labels[600] = 7; return f.mlp.evaluate({ images: new Float32Array(2800), labels, count: 700 } as Any); },
  bug: 'chunk-relative index',
});
for (const b of [0, -1, 1.5, NaN, '8']) {
  add({ cat: 'evaluate', name: `batchSize ${fmt(b)}`, err: ArgumentError, msg: [/evaluate: batchSize must be a positive integer/, new RegExp(`got ${shown(b)}$`)],
    run: (f) => f.mlp.evaluate(f.ds, { batchSize: b as Any }) });
}
// Found a bug (fixed): `evaluate(data, null)` dereferences null (TypeError) instead of an ArgumentError.
add({ cat: 'evaluate', name: 'options null', err: ArgumentError, msg: [/evaluate.*options/], run: (f) => f.mlp.evaluate(f.ds, null as Any), bug: 'null options -> TypeError' });

for (const [name, o, re] of [
  ['options undefined', () => undefined, /fit: options\.optimizer must be an optimizer created for this model/],
  ['options null', () => null, /fit: options\.optimizer must be an optimizer created for this model/],
  ['no optimizer', () => ({}), /fit: options\.optimizer must be an optimizer created for this model/],
  ["another model's optimizer", (f: Fixture) => ({ optimizer: f.cnnAdam }), /fit: options\.optimizer must be an optimizer created for this model/],
  ['optimizer {}', () => ({ optimizer: {} }), /fit: options\.optimizer must be an optimizer created for this model/],
] as [string, (f: Fixture) => unknown, RegExp][]) {
  add({ cat: 'fit', name, err: ArgumentError, msg: [re], run: (f) => f.mlp.fit(f.ds, o(f) as Any) });
}
for (const [opt, vals] of [['epochs', [0, -1, 1.5, NaN, Infinity, '2']], ['batchSize', [0, -2, 2.5, NaN, '8']]] as [string, unknown[]][]) {
  for (const v of vals) {
    add({ cat: 'fit', name: `${opt} ${fmt(v)}`, err: ArgumentError, msg: [new RegExp(`fit: ${opt} must be a positive integer`), new RegExp(`got ${shown(v)}$`)],
      run: (f) => f.mlp.fit(f.ds, { optimizer: f.sgd, [opt]: v } as Any) });
  }
}
for (const seed of [-1, 1.5, NaN, '0']) {
  add({ cat: 'fit', name: `seed ${fmt(seed)}`, err: ArgumentError, msg: [/fit: seed must be a non-negative integer/, new RegExp(`got ${shown(seed)}$`)],
    run: (f) => f.mlp.fit(f.ds, { optimizer: f.sgd, seed: seed as Any }) });
}
// Regression (found by this catalogue, fixed in src/graph/model.ts): fit validates every label and sample
// before the first step, so a bad last sample no longer leaves earlier batches applied.
add({
  cat: 'fit', name: 'label 3 in the last sample (batchSize 4)', err: ShapeError, msg: [/fit: label 3 of sample 9 is not a class index in \[0, 3\)/],
  run: (f) => f.mlp.fit(labelsWith(f, 9, 3) as Any, { optimizer: f.sgd, batchSize: 4, shuffle: false }),
});
// Regression: same for a NaN in the images of the last sample.
add({
  cat: 'fit', name: 'NaN in the last sample (batchSize 4)', err: ShapeError, msg: [/fit: sample 9 has a non-finite value/],
  run: (f) => f.mlp.fit(imagesWith(f, 38, NaN) as Any, { optimizer: f.sgd, batchSize: 4, shuffle: false }),
});
add({
  cat: 'fit', name: 'Int32Array label -1 in the first batch', err: ShapeError, msg: [/fit: label -1 of sample 1 is not a class index in \[0, 3\)/],
  run: (f) => f.mlp.fit(labelsWith(f, 1, -1, Int32Array) as Any, { optimizer: f.sgd, batchSize: 4, shuffle: false }),
});
// Found a bug (fixed): a non-function onProgress is only discovered when it is called after the first step (TypeError "is not a function", weights changed).
add({
  cat: 'fit', name: 'onProgress "log"', err: ArgumentError, msg: [/fit: .*onProgress must be a function/],
  run: (f) => f.mlp.fit(f.ds, { optimizer: f.sgd, onProgress: 'log' as Any }), bug: 'unvalidated callback',
});
// Found a bug (fixed): same for onEpochEnd (called after the first epoch).
add({
  cat: 'fit', name: 'onEpochEnd 42', err: ArgumentError, msg: [/fit: .*onEpochEnd must be a function/],
  run: (f) => f.mlp.fit(f.ds, { optimizer: f.sgd, onEpochEnd: 42 as Any }), bug: 'unvalidated callback',
});

// ---------------------------------------------------------------------------------------------
// 7. rescaleHiddenUnit

const cat7 = 'rescaleHiddenUnit';
for (const li of [-1, 5, 1.5, NaN, '0', null]) {
  add({ cat: cat7, name: `layerIndex ${fmt(li)}`, err: ArgumentError, msg: [/rescaleHiddenUnit: layerIndex must be an integer in \[0, 4\]/, new RegExp(`got ${esc(String(li))}$`)],
    run: (f) => f.mlp.rescaleHiddenUnit(li as Any, 0, 2) });
}
for (const li of [4]) {
  add({ cat: cat7, name: `layerIndex ${li} (the output layer)`, err: ArgumentError,
    msg: [/rescaleHiddenUnit: layer 4 produces the network's outputs, which are not hidden units/], run: (f) => f.mlp.rescaleHiddenUnit(li, 0, 2) });
}
for (const [li, u, hi] of [[0, -1, 7], [0, 8, 7], [1, 8, 7], [2, 6, 5], [0, 1.5, 7], [0, NaN, 7], [3, '0', 5]] as [number, Any, number][]) {
  add({ cat: cat7, name: `layer ${li} unit ${fmt(u)}`, err: ArgumentError,
    msg: [new RegExp(`rescaleHiddenUnit: unit must be an integer in \\[0, ${hi}\\] for layer ${li < 2 ? 0 : 2} \\(Dense`), new RegExp(`got ${esc(String(u))}$`)],
    run: (f) => f.mlp.rescaleHiddenUnit(li, u, 2) });
}
add({ cat: cat7, name: 'cnn conv unit 2 of 2 channels', err: ArgumentError, msg: [/unit must be an integer in \[0, 1\] for layer 0 \(Conv2D 1->2 3x3, padding 1\), got 2/],
  run: (f) => f.cnn.rescaleHiddenUnit(0, 2, 2) });
for (const c of [0, -0, -1, NaN, Infinity, -Infinity, '2', null]) {
  add({ cat: cat7, name: `c ${fmt(c)}`, err: ArgumentError, msg: [/rescaleHiddenUnit: c must be a finite number in \(0, Infinity\]/, new RegExp(`got ${shown(c)}$`)],
    run: (f) => f.mlp.rescaleHiddenUnit(0, 0, c as Any) });
}
// Found a bug (fixed): c = 1e39 passes the check (finite as a JS number) but is Infinity as the kernel's f32: the
// incoming weights of the unit become Infinity. Expected: refused (c and 1/c must be finite f32), weights unchanged.
add({ cat: cat7, name: 'c 1e39 (Infinity as f32)', err: ArgumentError, msg: [/rescaleHiddenUnit: c/], run: (f) => f.mlp.rescaleHiddenUnit(0, 0, 1e39), bug: 'weights become Infinity' });
// Found a bug (fixed): c = 1e-39: 1/c = 1e39 is Infinity as f32: the outgoing weights of the unit become Infinity.
add({ cat: cat7, name: 'c 1e-39 (1/c is Infinity as f32)', err: ArgumentError, msg: [/rescaleHiddenUnit: c/], run: (f) => f.mlp.rescaleHiddenUnit(0, 0, 1e-39), bug: 'weights become Infinity' });

// ---------------------------------------------------------------------------------------------
// 8. init, loadMNIST, parseIDX, datasetFromIDX

for (const th of [0, -1, 1.5, NaN, 'x']) {
  // Found a bug (fixed): init() rejects bad thread counts with a plain RangeError; the README promises typed errors (ArgumentError).
  add({ cat: 'init', name: `threads ${fmt(th)}`, err: ArgumentError, msg: [/ecopt\.init: threads must be a positive integer/, new RegExp(`got ${esc(String(th))}`)],
    run: () => init({ threads: th as Any }), bug: 'RangeError instead of ArgumentError' });
}
// Found a bug (fixed): asking for another thread count than the loaded runtime's throws a plain Error, not ArgumentError.
add({ cat: 'init', name: 'threads other than the loaded runtime', err: ArgumentError, msg: [/ecopt\.init: already initialised with \d+ thread\(s\)/],
  run: () => init({ threads: getRuntime().threads + 1 }), bug: 'Error instead of ArgumentError' });
// Found a bug (fixed): asking for the debug build after another build was loaded throws a plain Error, not ArgumentError.
add({ cat: 'init', name: 'debug after release', err: ArgumentError, msg: [/ecopt\.init: already initialised with the (release|threads) build/],
  run: () => init({ debug: true }), bug: 'Error instead of ArgumentError' });
// Found a bug (fixed): init(null) dereferences null (TypeError).
add({ cat: 'init', name: 'options null', err: ArgumentError, msg: [/init.*options/], run: () => init(null as Any), bug: 'null options -> TypeError' });

const mnist = (o: Any) => loadMNIST(inBrowser && o && o.baseURL === undefined ? { ...o, baseURL: '/mnist/' } : o);
for (const [opt, v] of [['trainLimit', 0], ['trainLimit', -5], ['trainLimit', 1.5], ['trainLimit', '100'], ['testLimit', NaN], ['testLimit', 0]] as [string, unknown][]) {
  add({ cat: 'loadMNIST', name: `${opt} ${fmt(v)}`, err: ArgumentError, msg: [new RegExp(`${opt} must be a positive integer`), new RegExp(`got ${shown(v)}$`)],
    run: () => mnist({ [opt]: v }) });
}
add({ cat: 'loadMNIST', name: 'baseURL without the files', err: Error, msg: [/no-such-dir\/(train|t10k)-(images|labels)-idx[13]-ubyte/],
  run: () => loadMNIST({ baseURL: inBrowser ? '/no-such-dir/' : '/no-such-dir' }) });
// Found a bug (fixed): loadMNIST(null) dereferences null (TypeError).
add({ cat: 'loadMNIST', name: 'options null', err: ArgumentError, msg: [/loadMNIST.*options/], run: () => loadMNIST(null as Any), bug: 'null options -> TypeError' });

const idx = (type: number, dims: number[], data: number[] | Uint8Array) => {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, type, dims.length]);
  const v = new DataView(out.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
};
const IMG = () => idx(8, [2, 2, 2], [0, 255, 128, 1, 2, 3, 4, 5]);
const LAB = () => idx(8, [2], [1, 9]);
for (const [name, bytes, re] of [
  ['null', () => null, /IDX file: expected a Uint8Array, got null/],
  ['undefined', () => undefined, /IDX file: expected a Uint8Array, got undefined/],
  ['Array', () => Array.from(IMG()), /IDX file: expected a Uint8Array, got Array\(24\)/],
  ['ArrayBuffer', () => IMG().buffer, /IDX file: expected a Uint8Array, got object/],
  ['Float32Array', () => new Float32Array(20), /IDX file: expected a Uint8Array, got Float32Array\(20\)/],
  ['string', () => '\0\0\x08\x01', /IDX file: expected a Uint8Array, got string/],
  ['0 bytes', () => new Uint8Array(0), /IDX file: truncated \(0 bytes; an IDX header has at least 4\)/],
  ['3 bytes', () => new Uint8Array([0, 0, 8]), /IDX file: truncated \(3 bytes; an IDX header has at least 4\)/],
  ['wrong magic', () => { const b = IMG(); b[0] = 1; return b; }, /IDX file: wrong magic number \(first two bytes must be 0, got 1, 0\)/],
  ['element type 0x09', () => idx(9, [2], [1, 2]), /IDX file: unsupported element type 0x9 \(only unsigned byte 0x08 is supported\)/],
  ['element type 0x0d (float)', () => idx(0x0d, [1], [0, 0, 0, 0]), /IDX file: unsupported element type 0xd/],
  ['0 dimensions', () => new Uint8Array([0, 0, 8, 0]), /IDX file: unsupported number of dimensions 0 \(1 to 4\)/],
  ['5 dimensions', () => idx(8, [1, 1, 1, 1, 1], [7]), /IDX file: unsupported number of dimensions 5 \(1 to 4\)/],
  ['header cut in a size', () => IMG().subarray(0, 10), /IDX file: truncated header \(10 bytes, need 16\)/],
  ['data truncated', () => IMG().subarray(0, 23), /IDX file: header says \[2, 2, 2\] = 8 bytes of data, but the file has 7 after the header \(truncated\)/],
  ['trailing bytes', () => idx(8, [2], [1, 2, 3]), /IDX file: header says \[2\] = 2 bytes of data, but the file has 3 after the header \(trailing bytes\)/],
  ['sizes overflowing 2^32', () => idx(8, [65536, 65536, 2], []), /IDX file: header says \[65536, 65536, 2\] = 8589934592 bytes of data, but the file has 0 after the header \(truncated\)/],
] as [string, () => unknown, RegExp][]) {
  add({ cat: 'parseIDX', name, err: FormatError, msg: [re], run: () => parseIDX(bytes() as Any) });
}
for (const [name, run, err, re, bug] of [
  ['images not a Uint8Array', () => datasetFromIDX(null as Any, LAB()), FormatError, /image IDX file: expected a Uint8Array, got null/],
  ['labels truncated', () => datasetFromIDX(IMG(), LAB().subarray(0, 9)), FormatError, /label IDX file: header says \[2\] = 2 bytes of data, but the file has 1/],
  ['1-D image file', () => datasetFromIDX(idx(8, [8], [1, 2, 3, 4, 5, 6, 7, 8]), LAB()), FormatError, /image IDX file: expected 3 dimensions \(N, H, W\), got \[8\]/],
  ['2-D label file', () => datasetFromIDX(IMG(), idx(8, [2, 1], [1, 2])), FormatError, /label IDX file: expected 1 dimension \(N\), got \[2, 1\]/],
  ['3 labels for 2 images', () => datasetFromIDX(IMG(), idx(8, [3], [1, 2, 3])), FormatError, /IDX files disagree: 2 images but 3 labels/],
  ['no samples', () => datasetFromIDX(idx(8, [0, 2, 2], []), idx(8, [0], [])), FormatError, /IDX files hold no samples/],
  ['label 10 with 10 classes', () => datasetFromIDX(IMG(), idx(8, [2], [1, 10])), FormatError, /label IDX file: label 10 at index 1 is not a class in \[0, 10\)/],
  ['label 9 with classes 5', () => datasetFromIDX(IMG(), LAB(), 5), FormatError, /label IDX file: label 9 at index 1 is not a class in \[0, 5\)/],
  // Found a bug (fixed): classes = 0 is not validated; the message blames label 1 instead of the classes argument.
  ['classes 0', () => datasetFromIDX(IMG(), LAB(), 0), ArgumentError, /datasetFromIDX: classes must be a positive integer, got 0/, 'unvalidated classes'],
  // Found a bug (fixed): classes = -1, same.
  ['classes -1', () => datasetFromIDX(IMG(), LAB(), -1), ArgumentError, /datasetFromIDX: classes must be a positive integer, got -1/, 'unvalidated classes'],
  // Found a bug (fixed): classes = NaN is accepted: every `label >= NaN` is false, so a dataset with classes NaN is returned.
  ['classes NaN', () => datasetFromIDX(IMG(), LAB(), NaN), ArgumentError, /datasetFromIDX: classes must be a positive integer, got NaN/, 'unvalidated classes'],
  // Found a bug (fixed): classes = 10.5 is accepted and stored in the dataset.
  ['classes 10.5', () => datasetFromIDX(IMG(), LAB(), 10.5), ArgumentError, /datasetFromIDX: classes must be a positive integer, got 10\.5/, 'unvalidated classes'],
  // Found a bug (fixed): classes = '10' (a string) is accepted and stored in the dataset.
  ['classes "10"', () => datasetFromIDX(IMG(), LAB(), '10' as Any), ArgumentError, /datasetFromIDX: classes must be a positive integer, got string/, 'unvalidated classes'],
] as [string, () => unknown, ErrClass, RegExp, string?][]) {
  add({ cat: 'datasetFromIDX', name, err, msg: [re], run, bug });
}

// ---------------------------------------------------------------------------------------------
// 9. use after dispose (last: the bugs here write into freed or foreign memory)

const DEAD = /this model has been disposed/;
for (const [name, run] of [
  ['predict', (m: Sequential, f: Fixture) => m.predict(f.x, 2)],
  ['trainBatch', (m: Sequential, f: Fixture) => m.trainBatch(f.x, f.y, f.sgd)],
  ['computeGradients', (m: Sequential, f: Fixture) => m.computeGradients(f.x, f.y)],
  ['getWeights', (m: Sequential) => m.getWeights()],
  ['setWeights', (m: Sequential, f: Fixture) => m.setWeights(f.mlp.getWeights())],
  ['evaluate', (m: Sequential, f: Fixture) => m.evaluate(f.ds)],
  ['fit', (m: Sequential, f: Fixture) => m.fit(f.ds, { optimizer: f.sgd })],
  ['rescaleHiddenUnit', (m: Sequential) => m.rescaleHiddenUnit(0, 0, 2)],
  ['new SGD', (m: Sequential) => new SGD(m, { lr: 0.1 })],
  ['new Adam', (m: Sequential) => new Adam(m, { lr: 0.1 })],
  ['new ECAdam', (m: Sequential) => new ECAdam(m, { lr: 0.1 })],
] as [string, (m: Sequential, f: Fixture) => unknown][]) {
  add({ cat: 'use after dispose', name: `${name} on a disposed model`, err: StateError, msg: [DEAD], setup: () => ({ dead: newDisposedMlp() }), run: (f, s) => run(s.dead, f) });
}
// Found a bug (fixed): PathSGD allocates its gamma buffers before attaching, so on a disposed model it throws but leaks them (arena bytesInUse grows by 160).
add({ cat: 'use after dispose', name: 'new PathSGD on a disposed model', err: StateError, msg: [DEAD], setup: () => ({ dead: newDisposedMlp() }),
  run: (_f, s) => new PathSGD(s.dead, { lr: 0.1 }), bug: 'leak' });
// Found a bug (fixed): ECSGD init 'preserve' rescales the disposed model's weights before noticing it is disposed: it
// writes into memory that now belongs to another model (here `model`, created after the dispose).
add({
  cat: 'use after dispose', name: "new ECSGD init 'preserve' on a disposed model", err: StateError, msg: [DEAD],
  setup: () => { const dead = newDisposedMlp(); const model = newMlp(5); return { dead, model }; },
  run: (_f, s) => new ECSGD(s.dead, { lr: 0.1, init: 'preserve' }), cleanup: (_f, s) => s.model.dispose(), bug: 'writes into another model',
});
// Found a bug (fixed): a disposed optimizer still steps: its state pointers are gone, so Momentum writes its velocity
// at address 0 of wasm memory (the module's static data), and the weights change.
add({
  cat: 'use after dispose', name: 'trainBatch with a disposed Momentum', err: StateError, msg: [/disposed/],
  setup: (f) => { const o = new Momentum(f.mlp, { lr: 0.1 }); f.mlp.trainBatch(f.x, f.y, o); o.dispose(); return { o }; },
  run: (f, s) => f.mlp.trainBatch(f.x, f.y, s.o), bug: 'memory corruption',
});

// ---------------------------------------------------------------------------------------------

let f: Fixture;

/** Everything a case could damage, to put back afterwards so one bug does not cascade into later cases. */
function save() {
  const { arena, kernels } = getRuntime();
  return {
    mlp: f.mlp.getWeights(), cnn: f.cnn.getWeights(), opts: f.opts.map((o) => o.stateDict()),
    low: arena.u8(0, kernels.heap_base()).slice(),
  };
}
function restore(s: ReturnType<typeof save>): void {
  const { arena } = getRuntime();
  arena.u8(0, s.low.length).set(s.low);
  f.mlp.setWeights(s.mlp);
  f.cnn.setWeights(s.cnn);
  f.opts.forEach((o, i) => o.loadStateDict(s.opts[i]));
}

function snapshot(extra?: Sequential): string {
  const { arena, kernels } = getRuntime();
  const arrs: ArrayBufferView[] = [...f.mlp.getWeights(), ...f.cnn.getWeights()];
  for (const o of f.opts) arrs.push(...o.stateDict().buffers);
  let extraState = 'none';
  if (extra) {
    try { extraState = hashArrays(extra.getWeights()); } catch (e) { extraState = String(e); }
  }
  arrs.push(arena.u8(0, kernels.heap_base()).slice()); // the module's static data: nothing may write there
  return JSON.stringify({
    hash: hashArrays(arrs), extra: extraState, t: f.opts.map((o) => o.t), options: f.opts.map((o) => o.options()),
    bytesInUse: arena.bytesInUse, memoryBytes: arena.memoryBytes,
  });
}

describe('bad-input catalogue', () => {
  beforeAll(async () => {
    await runtime();
    const r = rng(42);
    const mlp = newMlp(1);
    const cnn = new Sequential([new Conv2D(1, 2, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(18, 3)], { seed: 2, inputShape: [1, 6, 6] });
    const sgd = new SGD(mlp, { lr: 0.05 });
    const momentum = new Momentum(mlp, { lr: 0.05 });
    const adam = new Adam(mlp, { lr: 1e-3 });
    const ecsgd = new ECSGD(mlp, { lr: 0.01, momentum: 0.5 });
    const ecadam = new ECAdam(mlp, { lr: 1e-3 });
    const path = new PathSGD(mlp, { lr: 0.01 });
    const cnnAdam = new Adam(cnn, { lr: 1e-3 });
    const x = r.uniform(8);
    const y = Uint8Array.from([0, 2]);
    const xc = r.uniform(72);
    const images = r.uniform(40);
    const labels = Uint8Array.from(r.int(10, 3));
    f = { mlp, cnn, opts: [sgd, momentum, adam, ecsgd, ecadam, path, cnnAdam], sgd, momentum, adam, ecsgd, ecadam, path, cnnAdam, x, y, xc,
      ds: { images, labels, count: 10, shape: [4], classes: 3 } };
    // warm up: every buffer a valid call can need (activations for 512-sample chunks, the step backup) exists before the snapshots
    for (const o of f.opts) (o.model === mlp ? mlp.trainBatch(x, y, o) : cnn.trainBatch(xc, y, o));
    mlp.predict(new Float32Array(600 * 4), 600);
    cnn.predict(new Float32Array(600 * 36), 600);
    mlp.evaluate(f.ds);
    const counts = new Map<string, number>();
    for (const c of cases) counts.set(c.cat, (counts.get(c.cat) ?? 0) + 1);
    const bugs = cases.filter((c) => c.bug).length;
    console.log(`bad-input catalogue: ${cases.length} cases (${bugs} marked BUG)\n` +
      [...counts].map(([k, v]) => `  ${k}: ${v}`).join('\n'));
  });

  afterAll(() => {
    f?.mlp.dispose();
    f?.cnn.dispose();
  });

  it('has a catalogue of at least 300 cases with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    const names = cases.map((c) => `${c.cat}: ${c.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(cases.map((c) => [`${c.cat}: ${c.name}`, c] as const))('%s', async (_title, c) => {
    const saved = save();
    const s = c.setup ? c.setup(f) : undefined;
    try {
      const before = snapshot(s?.model);
      let thrown: unknown = null;
      try {
        await c.run(f, s);
      } catch (e) {
        thrown = e;
      }
      const after = snapshot(s?.model);
      expect(thrown, 'the call did not throw').not.toBeNull();
      const e = thrown as Error;
      expect(`${e.name}: ${e.message}`).toMatch(new RegExp(`^${c.err.name}: `));
      expect(e).toBeInstanceOf(c.err);
      for (const re of c.msg) expect(e.message).toMatch(re);
      expect(after, 'weights, optimizer state or arena changed').toBe(before);
    } finally {
      c.cleanup?.(f, s);
      restore(saved);
    }
  });
});
