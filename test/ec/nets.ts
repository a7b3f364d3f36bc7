// Tiny graph nets for the EC-on-graphs tests (identity and projection shortcuts, bias on/off, a
// 3-tap conv with pooling, Concat with LeakyReLU and Flatten+Dense, BatchNorm), small enough to
// enumerate every source->sink path, and their plain-data description for test/reference/ec-graph.ts.
import {
  Model, input, Dense, ReLU, LeakyReLU, Conv2D, MaxPool2D, Flatten, Add, Concat, BatchNorm1D, BatchNorm2D, GlobalAvgPool2D,
} from '../../src/index.js';
import type { RefNet } from '../reference/ec-graph.js';

export interface GraphCase { name: string; inputShape: number[]; make: (seed?: number, eps?: number) => Model; bn?: boolean }

const relu = (t: any) => new ReLU().apply(t);

export const GRAPHS: GraphCase[] = [
  {
    name: 'identity shortcuts 3-4-[3-4]x2-2, bias', inputShape: [3],
    make: (seed = 0) => {
      const x = input([3]);
      let h = relu(new Dense(3, 4).apply(x));
      for (let b = 0; b < 2; b++) h = relu(new Add().apply([new Dense(3, 4).apply(relu(new Dense(4, 3).apply(h))), h]));
      return new Model({ inputs: x, outputs: new Dense(4, 2).apply(h), seed });
    },
  },
  {
    name: 'projection shortcut, no bias', inputShape: [3],
    make: (seed = 0) => {
      const x = input([3]);
      const h = relu(new Dense(3, 4, { bias: false }).apply(x));
      const body = new Dense(3, 5, { bias: false }).apply(relu(new Dense(4, 3, { bias: false }).apply(h)));
      const y = relu(new Add().apply([body, new Dense(4, 5, { bias: false }).apply(h)]));
      return new Model({ inputs: x, outputs: new Dense(5, 2, { bias: false }).apply(y), seed });
    },
  },
  {
    name: '3-tap conv with pooling and a shortcut, flatten -> dense', inputShape: [2, 1, 6],
    make: (seed = 0) => {
      const x = input([2, 1, 6]);
      const a = relu(new Conv2D(2, 2, [1, 3], { padding: [0, 1] }).apply(x));
      const b = new Conv2D(2, 2, [1, 3], { padding: [0, 1], bias: false }).apply(a);
      const p = new MaxPool2D([1, 2]).apply(relu(new Add().apply([b, a])));
      return new Model({ inputs: x, outputs: new Dense(6, 2).apply(new Flatten().apply(p)), seed });
    },
  },
  {
    name: 'Concat with LeakyReLU, flatten -> dense', inputShape: [2, 1, 2],
    make: (seed = 0) => {
      const x = input([2, 1, 2]);
      const a = new LeakyReLU(0.1).apply(new Conv2D(2, 2, 1).apply(x));
      const b = relu(new Conv2D(2, 3, 1, { bias: false }).apply(x));
      const c = new Conv2D(5, 3, 1).apply(new Concat().apply([a, b]));
      return new Model({ inputs: x, outputs: new Dense(6, 2).apply(new Flatten().apply(relu(c))), seed });
    },
  },
  {
    name: 'BatchNorm, post-activation residual', inputShape: [3], bn: true,
    make: (seed = 0, eps = 1e-5) => {
      const x = input([3]);
      const h = relu(new BatchNorm1D(3, { eps }).apply(new Dense(3, 3, { bias: false }).apply(x)));
      const body = new BatchNorm1D(3, { eps }).apply(new Dense(2, 3, { bias: false }).apply(relu(new BatchNorm1D(2, { eps }).apply(new Dense(3, 2, { bias: false }).apply(h)))));
      return new Model({ inputs: x, outputs: new Dense(3, 2).apply(relu(new Add().apply([body, h]))), seed });
    },
  },
  {
    name: 'BatchNorm2D conv net with a projection and global pooling', inputShape: [1, 2, 2], bn: true,
    make: (seed = 0, eps = 1e-5) => {
      const x = input([1, 2, 2]);
      const h = relu(new BatchNorm2D(2, { eps }).apply(new Conv2D(1, 2, [1, 2], { padding: 'same', bias: false }).apply(x)));
      const body = new BatchNorm2D(3, { eps }).apply(new Conv2D(2, 3, [1, 2], { padding: 'same', bias: false }).apply(h));
      const proj = new BatchNorm2D(3, { eps }).apply(new Conv2D(2, 3, 1, { bias: false }).apply(h));
      const y = new GlobalAvgPool2D().apply(relu(new Add().apply([body, proj])));
      return new Model({ inputs: x, outputs: new Dense(3, 2).apply(y), seed });
    },
  },
];

/** The plain-data description of a model for the float64 reference. */
export function refNet(m: Model): RefNet {
  const g = (m as any).graph;
  return {
    shapes: g.shapes.map((s: number[]) => s.slice()),
    layers: g.nodes.map((n: any) => ({ kind: n.layer.kind, inputs: n.inputs.slice(), cfg: n.layer.config(), paramShapes: n.layer.params.map((p: any) => p.shape.slice()) })),
  };
}
