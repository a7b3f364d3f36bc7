// The losses (src/graph/loss.ts; kernels in assembly/loss.ts, bce.ts, regression.ts): each kernel
// against its float64 reference (test/reference/loss.ts) at odd sizes and extreme values, then the
// model option end to end: training, evaluate's metrics, predictProba, specs and files, errors that
// leave the model untouched, and the EC optimizers on every loss. torch itself is the reference in
// test/torch/roundtrip.node.test.ts (one case per loss).
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import {
  Sequential, Model, input, Dense, ReLU, Tanh, SGD, Adam, ECSGD, ECMomentum, ArgumentError, ShapeError, StateError, FormatError,
  type Kernels, type TargetDataset, type Dataset,
} from '../../src/index.js';
import { runtime, rng, put, get, getI32, free, closeness } from '../helpers.js';
import { smoothed_xent_ref, softmax_xent_ref, bce_logits_ref, mse_ref, huber_ref } from '../reference/loss.js';

let k: Kernels;
const live: number[] = [];
const inp = (a: Float32Array | Int32Array) => (live.push(put(a)), live[live.length - 1]);
const outp = (n: number) => (live.push(put(n)), live[live.length - 1]);
beforeAll(async () => { k = (await runtime()).kernels; });
afterEach(() => free(...live.splice(0)));

const SHAPES: [number, number][] = [[1, 1], [1, 2], [3, 3], [5, 4], [7, 5], [13, 7], [2, 33]];

describe('loss kernels against float64 references', () => {
  it.each(SHAPES)('softmax_xent_smooth_forward_backward B=%i K=%i (eps 0.1 and 0.7); eval sums the same loss', (B, K) => {
    const r = rng(B * 31 + K);
    const z = r.uniform(B * K, -5, 5);
    const y = r.int(B, K);
    for (const eps of [0.1, 0.7]) {
      const pd = outp(B * K);
      const loss = k.softmax_xent_smooth_forward_backward(pd, inp(z), inp(y), B, K, eps);
      const ref = smoothed_xent_ref(z, y, B, K, Math.fround(eps));
      expect(closeness([loss], [ref.loss], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
      expect(closeness(get(pd, B * K), ref.dlogits, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
      const pc = outp(1);
      const sum = k.softmax_xent_smooth_eval(pc, inp(z), inp(y), B, K, eps);
      expect(closeness([sum], [ref.loss * B], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
      let hits = 0;
      for (let b = 0; b < B; b++) {
        let arg = 0;
        for (let j = 1; j < K; j++) if (z[b * K + j] > z[b * K + arg]) arg = j;
        if (arg === y[b]) hits++;
      }
      expect(getI32(pc, 1)[0]).toBe(hits);
    }
  });

  it('label smoothing 0 agrees with the plain cross-entropy; smoothing stays finite for logits of ±1e4', () => {
    const B = 6, K = 5;
    const r = rng(9);
    const z = r.uniform(B * K, -3, 3);
    const y = r.int(B, K);
    const a = outp(B * K), b = outp(B * K);
    const l0 = k.softmax_xent_smooth_forward_backward(a, inp(z), inp(y), B, K, 0);
    const l1 = k.softmax_xent_forward_backward(b, inp(z), inp(y), B, K);
    expect(closeness([l0], [l1], 1e-6, 0)).toBeLessThanOrEqual(1);
    expect(closeness(get(a, B * K), get(b, B * K), 1e-6, 1e-8)).toBeLessThanOrEqual(1);
    const big = z.map((v, i) => (i % 2 ? 1e4 : -1e4) + v);
    const pd = outp(B * K);
    const loss = k.softmax_xent_smooth_forward_backward(pd, inp(big), inp(y), B, K, 0.2);
    const ref = smoothed_xent_ref(big, y, B, K, Math.fround(0.2));
    expect(Number.isFinite(loss)).toBe(true);
    expect(closeness([loss], [ref.loss], 1e-5, 0)).toBeLessThanOrEqual(1);
    expect(closeness(get(pd, B * K), ref.dlogits, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
  });

  it.each(SHAPES)('bce_logits_forward_backward and bce_logits_eval B=%i K=%i (0/1 and soft targets)', (B, K) => {
    const r = rng(B * 7 + K * 11);
    const x = r.uniform(B * K, -6, 6);
    const t = r.uniform(B * K, 0, 1).map((v, i) => (i % 2 ? v : Math.round(v)));
    const pd = outp(B * K);
    const loss = k.bce_logits_forward_backward(pd, inp(x), inp(t), B, K);
    const ref = bce_logits_ref(x, t);
    expect(closeness([loss], [ref.loss], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(get(pd, B * K), ref.dlogits, 1e-5, 1e-7 / (B * K))).toBeLessThanOrEqual(1);
    const pc = outp(1);
    const sum = k.bce_logits_eval(pc, inp(x), inp(t), B, K);
    expect(closeness([sum], [ref.loss * B * K], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    let hits = 0;
    for (let i = 0; i < B * K; i++) if ((x[i] > 0) === (t[i] > 0.5)) hits++;
    expect(getI32(pc, 1)[0]).toBe(hits);
  });

  it('bce is stable where the naive form overflows or loses everything: logits of ±90 and ±1e4', () => {
    const x = Float32Array.of(90, -90, 1e4, -1e4, 1e-7, -1e-7, 0, 30);
    const t = Float32Array.of(0, 1, 0, 1, 1, 0, 0.5, 1);
    const pd = outp(8);
    const loss = k.bce_logits_forward_backward(pd, inp(x), inp(t), 2, 4);
    const ref = bce_logits_ref(x, t);
    expect(Number.isFinite(loss)).toBe(true);
    expect(closeness([loss], [ref.loss], 1e-6, 0)).toBeLessThanOrEqual(1);
    expect(closeness(get(pd, 8), ref.dlogits, 1e-6, 1e-9)).toBeLessThanOrEqual(1);
    // x = 30, t = 1: the loss is log1p(e^-30) = 9.4e-14, kept (1 - sigmoid(30) would round to 0)
    const one = outp(1);
    const tiny = k.bce_logits_forward_backward(one, inp(Float32Array.of(30)), inp(Float32Array.of(1)), 1, 1);
    expect(closeness([tiny], [Math.log1p(Math.exp(-30))], 1e-5, 0)).toBeLessThanOrEqual(1);
  });

  it.each(SHAPES)('mse, huber (delta 0.5 and 2) and regression_eval B=%i K=%i', (B, K) => {
    const r = rng(B * 3 + K * 5);
    const x = r.uniform(B * K, -3, 3);
    const t = r.uniform(B * K, -3, 3);
    const pd = outp(B * K);
    const mse = k.mse_forward_backward(pd, inp(x), inp(t), B, K);
    const mref = mse_ref(x, t);
    expect(closeness([mse], [mref.loss], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(get(pd, B * K), mref.dlogits, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
    let abs = 0;
    for (let i = 0; i < B * K; i++) abs += Math.abs(x[i] - t[i]);
    const pm = outp(2);
    expect(closeness([k.regression_eval(pm, inp(x), inp(t), B, K, 0)], [mref.loss * B * K], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness([new Float64Array(get(pm, 2).buffer)[0]], [abs], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    for (const delta of [0.5, 2]) {
      const ph = outp(B * K);
      const h = k.huber_forward_backward(ph, inp(x), inp(t), B, K, delta);
      const href = huber_ref(x, t, delta);
      expect(closeness([h], [href.loss], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
      expect(closeness(get(ph, B * K), href.dlogits, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
      expect(closeness([k.regression_eval(outp(2), inp(x), inp(t), B, K, delta)], [href.loss * B * K], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    }
  });
});

/** y = W x + b for a fixed W, b: a regression problem an MLP fits well. */
function regressionData(count: number, seed: number, outputs = 2): TargetDataset {
  const r = rng(seed);
  const images = r.uniform(count * 4, -1, 1);
  const targets = new Float32Array(count * outputs);
  for (let i = 0; i < count; i++) {
    for (let o = 0; o < outputs; o++) {
      let v = 0.3 * o;
      for (let j = 0; j < 4; j++) v += Math.sin(1 + j + 2 * o) * images[i * 4 + j];
      targets[i * outputs + o] = v;
    }
  }
  return { images, targets, count, shape: [4] };
}

/** Three independent binary labels per sample (multi-label): label o is on when x_o + x_{o+1} > 0. */
function multiLabelData(count: number, seed: number): TargetDataset {
  const r = rng(seed);
  const images = r.uniform(count * 4, -1, 1);
  const targets = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) for (let o = 0; o < 3; o++) targets[i * 3 + o] = images[i * 4 + o] + images[i * 4 + o + 1] > 0 ? 1 : 0;
  return { images, targets, count, shape: [4] };
}

const mlp = (outputs: number, options: ConstructorParameters<typeof Sequential>[1]) =>
  new Sequential([new Dense(4, 32), new ReLU(), new Dense(32, outputs)], { seed: 1, ...options });

describe('models with a loss option', () => {
  it("'mse' and 'huber' fit a regression: evaluate reports loss and mae (no accuracy); fit logs valMae", async () => {
    const train = regressionData(512, 1), test = regressionData(256, 2);
    for (const loss of ['mse', 'huber'] as const) {
      const m = mlp(2, { loss });
      expect(m.loss).toBe(loss);
      const before = m.evaluate(test);
      expect(Object.keys(before).sort()).toEqual(['loss', 'mae']);
      const { history } = await m.fit(train, { optimizer: new Adam(m, { lr: 0.01 }), epochs: 30, batchSize: 32, validation: test });
      const after = m.evaluate(test);
      expect(after.mae!).toBeLessThan(0.1);
      expect(after.mae!).toBeLessThan(before.mae! / 5);
      expect(history[history.length - 1].valMae).toBe(after.mae);
      expect(history[0].valAccuracy).toBeUndefined();
      // the loss evaluate reports is the training objective on that data (per element, as torch)
      const y = m.predict(test.images);
      let sq = 0;
      for (let i = 0; i < y.length; i++) sq += (y[i] - test.targets[i]) ** 2;
      if (loss === 'mse') expect(closeness([after.loss], [sq / y.length], 1e-5, 0)).toBeLessThanOrEqual(1);
      m.dispose();
    }
  });

  it("'bce-with-logits' learns multi-label targets; accuracy per output; predictProba is each output's sigmoid", async () => {
    const train = multiLabelData(1024, 3), test = multiLabelData(512, 4);
    const m = mlp(3, { loss: 'bce-with-logits' });
    await m.fit(train, { optimizer: new Adam(m, { lr: 0.01 }), epochs: 20, batchSize: 32 });
    const ev = m.evaluate(test);
    expect(Object.keys(ev).sort()).toEqual(['accuracy', 'loss']);
    expect(ev.accuracy).toBeGreaterThan(0.95);
    const logits = m.predict(test.images.subarray(0, 40));
    const p = m.predictProba(test.images.subarray(0, 40));
    const sig = Array.from(logits, (z) => 1 / (1 + Math.exp(-z)));
    expect(closeness(p, sig, 1e-6, 1e-7)).toBeLessThanOrEqual(1);
    let hits = 0;
    for (let i = 0; i < test.count * 3; i++) {
      const z = m.predict(test.images.subarray(Math.floor(i / 3) * 4, Math.floor(i / 3) * 4 + 4))[i % 3];
      if ((z > 0) === (test.targets[i] > 0.5)) hits++;
    }
    expect(ev.accuracy).toBeCloseTo(hits / (test.count * 3), 12);
    m.dispose();
  });

  it("'cross-entropy' with labelSmoothing: the loss matches the smoothed reference; accuracy as before", () => {
    const m = mlp(3, { labelSmoothing: 0.2 });
    const x = rng(5).uniform(6 * 4), y = Int32Array.from([0, 1, 2, 2, 1, 0]);
    const logits = m.predict(x);
    const loss = m.computeGradients(x, y);
    expect(closeness([loss], [smoothed_xent_ref(logits, y, 6, 3, Math.fround(0.2)).loss], 1e-5, 0)).toBeLessThanOrEqual(1);
    const plain = mlp(3, {});
    expect(closeness([plain.computeGradients(x, y)], [softmax_xent_ref(logits, y, 6, 3).loss], 1e-5, 0)).toBeLessThanOrEqual(1);
    const ev = m.evaluate({ images: x, labels: y, count: 6, shape: [4], classes: 3 });
    expect(ev.accuracy).toBe(plain.evaluate({ images: x, labels: y, count: 6, shape: [4], classes: 3 }).accuracy);
    expect(closeness([ev.loss], [loss], 1e-6, 0)).toBeLessThanOrEqual(1);
    m.dispose();
    plain.dispose();
  });

  it('predictProba is refused for regression losses; softmax for cross-entropy is unchanged', () => {
    const m = mlp(2, { loss: 'mse' });
    expect(() => m.predictProba(new Float32Array(8))).toThrow(StateError);
    expect(() => m.predictProba(new Float32Array(8))).toThrow(/loss 'mse'.*use predict\(\)/);
    m.dispose();
  });

  it('EC optimizers train with every loss (the loss only supplies the output gradient)', async () => {
    const cases: [ConstructorParameters<typeof Sequential>[1], TargetDataset | Dataset][] = [
      [{ loss: 'mse' }, regressionData(256, 6)],
      [{ loss: 'huber', huberDelta: 0.5 }, regressionData(256, 6)],
      [{ loss: 'bce-with-logits' }, multiLabelData(256, 7)],
    ];
    for (const [options, data] of cases) {
      const outputs = (data as TargetDataset).targets.length / data.count;
      for (const Opt of [ECSGD, ECMomentum]) {
        const m = new Sequential([new Dense(4, 16, { bias: false }), new ReLU(), new Dense(16, 16, { bias: false }), new ReLU(), new Dense(16, outputs, { bias: false })], { seed: 2, ...options });
        const before = m.evaluate(data).loss;
        await m.fit(data, { optimizer: new Opt(m, { lr: Opt === ECSGD ? 0.05 : 0.01 }), epochs: 10, batchSize: 16 });
        expect(m.evaluate(data).loss, `${Opt.name} with ${options!.loss}`).toBeLessThan(before * 0.7);
        m.dispose();
      }
    }
  });

  it('the loss is part of the spec and of the files (written only when not the default); bad spec fields are FormatErrors', () => {
    const plain = mlp(2, {});
    expect(Object.keys(plain.toSpec())).not.toContain('loss');
    const m = mlp(2, { loss: 'huber', huberDelta: 0.25 });
    const spec = m.toSpec();
    expect(spec).toMatchObject({ loss: 'huber', huberDelta: 0.25 });
    const again = Sequential.fromSafetensors(m.toSafetensors());
    expect(again.loss).toBe('huber');
    const x = rng(8).uniform(5 * 4), t = rng(9).uniform(5 * 2);
    expect(again.computeGradients(x, t)).toBe(m.computeGradients(x, t));
    const g = (() => {
      const i = input([4]);
      return new Model({ inputs: i, outputs: new Dense(4, 3).apply(i), loss: 'bce-with-logits' });
    })();
    expect(Model.fromSpec(JSON.stringify(g.toSpec())).loss).toBe('bce-with-logits');
    expect(() => Sequential.fromSpec({ ...spec, loss: 'hinge' } as never)).toThrow(FormatError);
    expect(() => Sequential.fromSpec({ ...spec, loss: 'hinge' } as never)).toThrow(/spec\.loss must be one of 'cross-entropy', 'bce-with-logits', 'mse', 'huber', got 'hinge'/);
    expect(() => Sequential.fromSpec({ ...spec, huberDelta: -1 } as never)).toThrow(/spec\.huberDelta must be a finite number > 0/);
    for (const x of [plain, m, again, g]) x.dispose();
  });
});

describe('loss errors name the problem; nothing changes', () => {
  it('bad options', () => {
    const layers = () => [new Dense(4, 2)];
    expect(() => new Sequential(layers(), { loss: 'l1' as never })).toThrow(ArgumentError);
    expect(() => new Sequential(layers(), { loss: 'l1' as never })).toThrow(/^Sequential: options\.loss must be one of 'cross-entropy', 'bce-with-logits', 'mse', 'huber', got 'l1'/);
    expect(() => new Sequential(layers(), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be a number in \[0, 1\], got 1\.5/);
    expect(() => new Sequential(layers(), { loss: 'mse', labelSmoothing: 0.1 })).toThrow(/labelSmoothing applies to loss 'cross-entropy' only/);
    expect(() => new Sequential(layers(), { loss: 'huber', huberDelta: 0 })).toThrow(/huberDelta must be a finite number > 0, got 0/);
    expect(() => new Sequential(layers(), { huberDelta: 2 })).toThrow(/huberDelta applies to loss 'huber' only/);
  });

  it('targets of the wrong kind, length or value', async () => {
    const ce = mlp(2, {});
    const mse = mlp(2, { loss: 'mse' });
    const w = [ce.getWeights(), mse.getWeights()];
    const x = new Float32Array(3 * 4);
    const sgd = new SGD(mse, { lr: 0.1 });
    expect(() => ce.computeGradients(x, new Float32Array(3))).toThrow(/labels must be a Uint8Array or Int32Array.*float targets need a model whose loss reads them/);
    expect(() => mse.computeGradients(x, Int32Array.of(0, 1, 0))).toThrow(/the model's loss trains on float targets: y must be a Float32Array of batch × 2 values, got Int32Array/);
    expect(() => mse.computeGradients(x, new Float32Array(5))).toThrow(/y has 5 values, which is not a whole, non-zero number of samples of 2 targets/);
    expect(() => mse.computeGradients(x, new Float32Array(4))).toThrow(ShapeError); // 2 samples of targets for 3 inputs
    expect(() => mse.trainBatch(x, Float32Array.of(0, 1, 2, NaN, 4, 5), sgd)).toThrow(/the target NaN of sample 1 \(output 1\) is not finite/);
    const ds = regressionData(10, 3);
    await expect(mse.fit({ ...ds, targets: ds.targets.subarray(1) }, { optimizer: sgd })).rejects.toThrow(/targets has 19 values, expected count × outputs = 10 × 2 = 20/);
    await expect(mse.fit({ images: ds.images, count: 10, shape: [4], labels: new Uint8Array(10), classes: 2 }, { optimizer: sgd })).rejects.toThrow(/needs targets, a Float32Array of count × 2 values/);
    await expect(ce.fit(ds as never, { optimizer: new SGD(ce, { lr: 0.1 }) })).rejects.toThrow(/labels must be.*the dataset has float targets/);
    const bad = { ...ds, targets: ds.targets.slice() };
    bad.targets[13] = Infinity;
    await expect(mse.fit(bad, { optimizer: sgd })).rejects.toThrow(/the target Infinity of sample 6 \(targets\[13\]\) is not finite/);
    await expect(mse.fit(ds, { optimizer: sgd, validation: ds, earlyStopping: { monitor: 'valAccuracy' } })).rejects.toThrow(/monitor must be 'loss', 'valLoss' or 'valMae'.*reports valMae/);
    expect(ce.getWeights()).toEqual(w[0]);
    expect(mse.getWeights()).toEqual(w[1]);
    ce.dispose();
    mse.dispose();
  });
});
