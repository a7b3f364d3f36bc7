// Files of functional Models: the 'ecopt.graph' v1 spec (round trip, validation of hostile specs),
// safetensors with the layers' names, checkpoints that resume bit-identically, and models loaded
// for inference only ({ training: false }: no gradient memory, no optimizer). Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  input, Model, Sequential, Dense, ReLU, Conv2D, GlobalAvgPool2D, Add, Concat, SGD, Adam, FormatError, StateError,
  readSafetensors, loadCheckpoint, getRuntime,
} from '../../src/index.js';
import { runtime, rng } from '../helpers.js';

beforeAll(async () => { await runtime(); });

/** A small residual CNN with named layers (torchvision-style names) and one unnamed join. */
function residualNet(seed = 7) {
  const x = input([2, 6, 6]);
  const stem = new ReLU().apply(new Conv2D(2, 4, 3, { padding: 1, name: 'conv1' }).apply(x));
  const body = new Conv2D(4, 4, 3, { padding: 1, bias: false, name: 'layer1.0.conv2' }).apply(
    new ReLU().apply(new Conv2D(4, 4, 3, { padding: 1, name: 'layer1.0.conv1' }).apply(stem)));
  const joined = new ReLU().apply(new Add().apply([body, stem]));
  const pooled = new GlobalAvgPool2D().apply(joined);
  const y = new Dense(8, 3, { name: 'fc' }).apply(new Concat().apply([pooled, pooled]));
  return new Model({ inputs: x, outputs: y, seed });
}

const batch = (seed: number, B = 5) => {
  const r = rng(seed);
  return { x: r.uniform(B * 72), y: r.int(B, 3) };
};

const modelBytes = (m: object) => getRuntime().arena.blocksOf(m).reduce((a, b) => a + b.size, 0);

describe("the 'ecopt.graph' spec", () => {
  it('round-trips: the same layers, names, seed, weights and outputs', () => {
    const m = residualNet();
    const spec = m.toSpec();
    expect(spec.format).toBe('ecopt.graph');
    const json = JSON.parse(JSON.stringify(spec));
    expect(json.nodes.map((n: { name: string }) => n.name)).toEqual(['conv1', '1', 'layer1.0.conv1', '3', 'layer1.0.conv2', '5', '6', '7', '8', 'fc']);
    expect(json.nodes[5]).toEqual({ name: '5', type: 'Add', inputs: ['layer1.0.conv2', '1'] });
    const back = Model.fromSpec(JSON.stringify(spec));
    expect(back).not.toBeInstanceOf(Sequential);
    expect(back.toSpec()).toEqual(spec);
    expect(back.weightSpecs()).toEqual(m.weightSpecs());
    back.getWeights().forEach((w, i) => expect(w).toEqual(m.getWeights()[i]));
    const { x } = batch(1);
    expect(back.predict(x)).toEqual(m.predict(x));
    m.dispose();
    back.dispose();
  });

  it('Model.fromSpec reads a Sequential spec as a Sequential; Sequential.fromSpec refuses a graph spec, saying where it goes', () => {
    const s = new Sequential([new Dense(4, 3), new ReLU(), new Dense(3, 2)], { seed: 2 });
    const again = Model.fromSpec(s.toSpec());
    expect(again).toBeInstanceOf(Sequential);
    expect(again.getWeights()).toEqual(s.getWeights());
    const m = residualNet();
    expect(() => Sequential.fromSpec(m.toSpec() as never)).toThrow(FormatError);
    expect(() => Sequential.fromSpec(m.toSpec() as never)).toThrow(/Model\.fromSpec/);
    for (const x of [s, again, m]) x.dispose();
  });

  it('hostile specs are refused with a FormatError naming the field', () => {
    const m = residualNet();
    const good = JSON.parse(JSON.stringify(m.toSpec()));
    m.dispose();
    const cases: [string, (s: any) => void, RegExp][] = [
      ['unknown top field', (s) => { s.extra = 1; }, /unknown field 'extra'/],
      ['newer version', (s) => { s.version = 2; }, /version must be 1, got 2 \(written by a newer ecopt\)/],
      ['a node reading a later node', (s) => { s.nodes[1].inputs = ['fc']; }, /nodes\[1\]\.inputs\[0\]: 'fc' is neither the input nor an earlier node/],
      ['duplicate names', (s) => { s.nodes[2].name = 'conv1'; }, /nodes\[2\]: the name 'conv1' is used twice/],
      ['a numeric name that is not the index', (s) => { s.nodes[1].name = '4'; s.nodes[2].inputs = ['4']; }, /numeric name must be the node's index \(1\)/],
      ['outputs not the last node', (s) => { s.outputs = ['conv1']; }, /outputs must be \[the last node's name\]/],
      ['an unknown layer type', (s) => { s.nodes[1].type = 'Relu'; }, /unknown layer type "Relu"/],
      ['an unknown layer field', (s) => { s.nodes[0].padding2 = 1; }, /nodes\[0\] \(Conv2D\): unknown field 'padding2'/],
      ['a bad field value', (s) => { s.nodes[0].outChannels = -4; }, /outChannels must be a positive integer/],
      ['shapes that do not fit', (s) => { s.nodes[9].inFeatures = 9; }, /nodes\[9\] \('fc', Dense\): .*expects 9 input features/],
      ['a join of one input', (s) => { s.nodes[5].inputs = ['1']; }, /sums at least 2 inputs/],
      ['two inputs', (s) => { s.inputs.push({ name: 'b', shape: [3] }); }, /inputs must be an array of one/],
      ['a huge input', (s) => { s.inputs[0].shape = [2, 2 ** 25, 6]; }, /at most 16777216/],
      ['a node that does not lead to the output', (s) => { s.nodes.splice(9, 0, { name: 'dead', type: 'ReLU', inputs: ['8'] }); }, /do not lead to the output/],
    ];
    for (const [what, mutate, msg] of cases) {
      const s = JSON.parse(JSON.stringify(good));
      mutate(s);
      expect(() => Model.fromSpec(s), what).toThrow(FormatError);
      expect(() => Model.fromSpec(s), what).toThrow(msg);
    }
  });
});

describe('safetensors and checkpoints of a functional Model', () => {
  it("tensors are named after the layers (as a PyTorch module's state_dict) and load back bit for bit", () => {
    const m = residualNet();
    const bytes = m.toSafetensors();
    const names = readSafetensors(bytes).tensors.map((t) => t.name).sort();
    expect(names).toEqual(['conv1.bias', 'conv1.weight', 'fc.bias', 'fc.weight', 'layer1.0.conv1.bias', 'layer1.0.conv1.weight', 'layer1.0.conv2.weight']);
    const back = Model.fromSafetensors(bytes);
    const { x } = batch(2);
    expect(back.predict(x)).toEqual(m.predict(x));
    m.dispose();
    back.dispose();
  });

  it('a checkpoint resumes bit-identically to a run that never stopped', () => {
    const a = residualNet(3);
    const optA = new Adam(a, { lr: 0.01 });
    const b1 = batch(3), b2 = batch(4);
    a.trainBatch(b1.x, b1.y, optA);
    const file = a.toSafetensors({ optimizer: optA });
    a.trainBatch(b2.x, b2.y, optA);
    const { model, optimizer } = loadCheckpoint(file);
    expect(optimizer.kind).toBe('Adam');
    model.trainBatch(b2.x, b2.y, optimizer);
    model.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
    a.dispose();
    model.dispose();
  });

  it('{ training: false } loads for inference only: no gradient memory, predictions equal, training refused', () => {
    const m = residualNet();
    const bytes = m.toSafetensors();
    const full = Model.fromSafetensors(bytes);
    const lean = Model.fromSafetensors(bytes, undefined, { training: false });
    const specOnly = Model.fromSpec(m.toSpec(), { training: false });
    const { x, y } = batch(5, 40);
    expect(lean.predict(x)).toEqual(full.predict(x));
    expect(specOnly.predict(x)).toEqual(m.predict(x));
    // parameters once instead of twice, and no activation-gradient buffers
    expect(modelBytes(lean)).toBeLessThan(modelBytes(full) - 4 * lean.parameterCount);
    expect(() => new SGD(lean, { lr: 0.1 })).toThrow(StateError);
    expect(() => new SGD(lean, { lr: 0.1 })).toThrow(/loaded for inference only/);
    expect(() => lean.computeGradients(x, y)).toThrow(/inference only/);
    expect(() => lean.getGradients()).toThrow(StateError);
    expect(lean.evaluate({ images: x, labels: new Uint8Array(y), count: 40, shape: [2, 6, 6], classes: 3 }).loss).toBeGreaterThan(0);
    const seqBytes = new Sequential([new Dense(4, 3), new ReLU(), new Dense(3, 2)]).toSafetensors();
    const seqLean = Sequential.fromSafetensors(seqBytes, undefined, { training: false });
    expect(seqLean).toBeInstanceOf(Sequential);
    expect(() => seqLean.trainBatch(new Float32Array(4), new Uint8Array([1]), null as never)).toThrow(/inference only/);
    for (const z of [m, full, lean, specOnly, seqLean]) z.dispose();
  });
});
