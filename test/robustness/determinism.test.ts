// Determinism guarantees: the same seeds give bit-identical weights across runs (fit with shuffling,
// every optimizer including the EC ones, MLP and CNN); different fit seeds give different batches
// (recovered exactly from which one-hot columns a step changed); predict is deterministic; and
// evaluate/predict/computeGradients calls interleaved with training do not change its result.
// The Node run writes its hashes to test/.artifacts/robustness-determinism-node.json and the
// Chromium run must reproduce them (Node may run several threads, Chromium one).
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, SGD, ECAdam, getRuntime, type Dataset } from '../../src/index.js';
import { runtime, rng, hashArrays } from '../helpers.js';
import { OPTS, NETS, type Mk } from '../nets.js';

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
const ARTIFACT = 'test/.artifacts/robustness-determinism-node.json';

function dataset(n: number, sample: number, seed: number): Dataset {
  const r = rng(seed);
  return { images: r.uniform(n * sample, 0, 1), labels: Uint8Array.from(r.int(n, 4)), count: n, shape: [sample], classes: 4 };
}

async function fitRun(net: (seed: number) => Sequential, sample: number, mk: Mk, modelSeed: number, fitSeed: number) {
  const m = net(modelSeed);
  const init = hashArrays(m.getWeights());
  const o = mk(m);
  const losses: number[] = [];
  // 23 samples, batch 5: the last batch of each epoch is partial
  const { history } = await m.fit(dataset(23, sample, 99), {
    optimizer: o, epochs: 3, batchSize: 5, seed: fitSeed, onProgress: (e) => losses.push(e.loss),
  });
  const out = { init, final: hashArrays(m.getWeights()), state: hashArrays(o.stateDict().buffers), losses, epochLosses: history.map((h) => h.loss) };
  m.dispose();
  return out;
}

/**
 * Which samples each fit step used: a bias-free Dense on one-hot inputs changes weight column i
 * exactly when sample i is in the batch (softmax cross-entropy gradients are never zero).
 */
async function batchesOf(fitSeed: number, shuffle = true, epochs = 2): Promise<number[][]> {
  const N = 24;
  const m = new Sequential([new Dense(N, 3, { bias: false })], { seed: 1 });
  const o = new SGD(m, { lr: 0.1 });
  const images = new Float32Array(N * N);
  for (let i = 0; i < N; i++) images[i * N + i] = 1;
  const labels = Uint8Array.from({ length: N }, (_, i) => i % 3);
  let prev = m.getWeights()[0];
  const batches: number[][] = [];
  await m.fit({ images, labels, count: N, shape: [N], classes: 3 }, {
    optimizer: o, epochs, batchSize: 4, seed: fitSeed, shuffle,
    onProgress: () => {
      const w = m.getWeights()[0];
      const used: number[] = [];
      for (let i = 0; i < N; i++) if (w[i] !== prev[i] || w[N + i] !== prev[N + i] || w[2 * N + i] !== prev[2 * N + i]) used.push(i);
      batches.push(used);
      prev = w;
    },
  });
  m.dispose();
  return batches;
}

const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('determinism guarantees', () => {
  beforeAll(runtime);

  const results: Record<string, string> = {};

  describe('same seeds -> bit-identical weights across runs (fit with shuffling)', () => {
    for (const [netName, net, sample] of NETS) {
      for (const [optName, mk] of OPTS) {
        it(`${netName}, ${optName}`, async () => {
          const a = await fitRun(net, sample, mk, 7, 3);
          const b = await fitRun(net, sample, mk, 7, 3);
          expect(b).toEqual(a);
          expect(a.losses).toHaveLength(3 * 5);
          expect(a.losses.every(Number.isFinite)).toBe(true);
          const otherFit = await fitRun(net, sample, mk, 7, 4);
          expect(otherFit.init).toBe(a.init);
          expect(otherFit.final).not.toBe(a.final);
          const otherModel = await fitRun(net, sample, mk, 8, 3);
          expect(otherModel.init).not.toBe(a.init);
          expect(otherModel.final).not.toBe(a.final);
          results[`${netName}/${optName}`] = `${a.init} ${a.final} ${a.state} ${a.losses.join(',')}`;
        });
      }
    }
  });

  describe('fit shuffling', () => {
    it('each epoch visits every sample once, in batches fixed by the seed', async () => {
      const a = await batchesOf(0);
      expect(a).toHaveLength(12);
      for (const epoch of [a.slice(0, 6), a.slice(6)]) {
        expect(epoch.every((b) => b.length === 4)).toBe(true);
        expect(sorted(epoch.flat())).toEqual(range(24));
      }
      expect(await batchesOf(0)).toEqual(a);
      expect(a.slice(6)).not.toEqual(a.slice(0, 6)); // reshuffled every epoch
      expect(a.slice(0, 6)).not.toEqual(range(6).map((i) => range(4).map((j) => 4 * i + j))); // actually shuffled
      results['batches/seed0'] = JSON.stringify(a);
    });

    it('different fit seeds give different batches', async () => {
      const a = await batchesOf(0);
      const b = await batchesOf(1);
      const c = await batchesOf(2 ** 40 + 5); // seeds above 2^32 use the high word too
      expect(b.slice(0, 6)).not.toEqual(a.slice(0, 6));
      expect(c.slice(0, 6)).not.toEqual(a.slice(0, 6));
      expect(c.slice(0, 6)).not.toEqual(b.slice(0, 6));
      expect(sorted(c.slice(0, 6).flat())).toEqual(range(24));
    });

    it('shuffle: false visits the samples in order whatever the seed', async () => {
      const inOrder = range(6).map((i) => range(4).map((j) => 4 * i + j));
      expect(await batchesOf(0, false, 1)).toEqual(inOrder);
      expect(await batchesOf(5, false, 1)).toEqual(inOrder);
    });
  });

  describe('predict', () => {
    for (const [netName, net, sample] of NETS) {
      it(`${netName}: repeated calls, fresh models with the same seed and both sides of the 512-sample chunking agree bit for bit`, () => {
        const m1 = net(11);
        const m2 = net(11);
        const x = rng(5).uniform(700 * sample, -1, 1);
        const p1 = m1.predict(x, 700);
        expect(m1.predict(x, 700)).toEqual(p1);
        expect(m2.predict(x, 700)).toEqual(p1);
        expect(p1.every(Number.isFinite)).toBe(true);
        // the same samples in other batch sizes (and so other chunk splits) give the same logits
        const tail = m2.predict(x.subarray(512 * sample), 188);
        expect(tail).toEqual(p1.subarray(512 * 4));
        results[`predict/${netName}`] = hashArrays([p1]);
        m1.dispose();
        m2.dispose();
      });
    }
  });

  describe('interleaved evaluation does not change training', () => {
    for (const [netName, net, sample] of NETS) {
      for (const [optName, mk] of [OPTS[2], OPTS[5]]) {
        it(`${netName}, ${optName}: evaluate, predict (larger batches) and computeGradients between steps`, () => {
          const ds = dataset(40, sample, 3);
          const big = rng(8).uniform(900 * sample, -1, 1); // forces the activation buffers to be re-planned
          const run = (interleave: boolean) => {
            const m = net(21);
            const o = mk(m);
            const r = rng(77);
            const losses: number[] = [];
            for (let step = 0; step < 25; step++) {
              const B = 3 + (step % 6);
              const x = r.uniform(B * sample, 0, 1);
              const y = Uint8Array.from(r.int(B, 4));
              if (interleave) {
                m.evaluate(ds);
                if (step % 5 === 2) m.predict(big, 900);
                if (step % 7 === 3) m.computeGradients(ds.images.subarray(0, 7 * sample), ds.labels.subarray(0, 7));
                m.evaluate(ds, { batchSize: 7 });
              }
              losses.push(m.trainBatch(x, y, o));
            }
            const out = { w: hashArrays(m.getWeights()), s: hashArrays(o.stateDict().buffers), losses };
            m.dispose();
            return out;
          };
          const plain = run(false);
          expect(run(true)).toEqual(plain);
        });
      }
    }

    it('fit with a validation set gives the same weights as fit without', async () => {
      const [, net, sample] = NETS[0];
      const run = async (validation?: Dataset) => {
        const m = net(2);
        const o = new ECAdam(m, { lr: 3e-3 });
        await m.fit(dataset(30, sample, 4), { optimizer: o, epochs: 3, batchSize: 8, seed: 9, validation });
        const h = hashArrays(m.getWeights());
        m.dispose();
        return h;
      };
      expect(await run(dataset(600, sample, 5))).toBe(await run());
    });
  });

  describe('across engines', () => {
    it(inBrowser ? 'Chromium reproduces the Node hashes bit for bit' : 'Node writes its hashes for the Chromium run', async () => {
      expect(Object.keys(results).length).toBe(NETS.length * OPTS.length + 1 + NETS.length);
      const ours = { threads: getRuntime().threads, results };
      if (!inBrowser) {
        const fsName = 'node:fs';
        const fs = await import(/* @vite-ignore */ fsName);
        fs.mkdirSync('test/.artifacts', { recursive: true });
        fs.writeFileSync(ARTIFACT, JSON.stringify(ours, null, 1));
        return;
      }
      const { commands } = await import('vitest/browser');
      let text: string;
      try {
        text = await commands.readFile(ARTIFACT);
      } catch (e) {
        throw new Error(`${ARTIFACT} could not be read (${String(e)}): run the node project first`);
      }
      const node = JSON.parse(text) as typeof ours;
      expect(results).toEqual(node.results);
    });
  });
});
