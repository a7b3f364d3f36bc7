// The residual-network benchmark (bench/resnet.mjs) compares like with like: its tf.layers ResNet-20 and
// PlainNet-20 (bench/resnet/nets.mjs) have exactly ecopt's trainable parameter count, and the
// Conv2DBackpropFilter SHIM it trains them with on tfjs-wasm (bench/peers/conv-filter-shim.mjs) gives
// tfjs-cpu's filter gradients at the nets' stride-2 shapes (3x3 'same' and the 1x1 projection).
// Node only (tfjs-backend-wasm loads its binaries from node_modules).
import { describe, it, expect, beforeAll } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as E from '../src/index.js';
import { runtime } from './helpers.js';
// @ts-expect-error plain ESM benchmark modules without type declarations
import { buildEcopt, buildTfjs, tfjsTrainableCount, NETS } from '../bench/resnet/nets.mjs';
// @ts-expect-error plain ESM benchmark modules without type declarations
import { registerConv2DBackpropFilterShim } from '../bench/peers/conv-filter-shim.mjs';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');

beforeAll(async () => { await runtime(); });

describe('bench/resnet', () => {
  it.each(Object.keys(NETS))('%s: the tf.layers net has ecopt\'s trainable parameter count', async (net) => {
    await tf.setBackend('cpu');
    const m = buildEcopt(E, net);
    const t = buildTfjs(tf, net);
    expect(tfjsTrainableCount(t)).toBe(m.parameterCount);
    expect(m.parameterCount).toBe(net === 'resnet20' ? 272474 : 269722);
    t.dispose();
    m.dispose();
  });

  it('the filter-gradient SHIM on tfjs-wasm matches tfjs-cpu at stride 2', async () => {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)));
    registerConv2DBackpropFilterShim(tf);
    const fill = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s));
    for (const [xs, fs] of [[[3, 8, 8, 4], [3, 3, 4, 6]], [[3, 8, 8, 4], [1, 1, 4, 6]], [[2, 9, 9, 3], [3, 3, 3, 5]]]) {
      const grads: Float32Array[] = [];
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const x = tf.tensor(fill(xs.reduce((a, b) => a * b), 1), xs);
        const w = tf.tensor(fill(fs.reduce((a, b) => a * b), 2), fs);
        grads.push(tf.grad((v: unknown) => tf.conv2d(x, v, 2, 'same').square().sum())(w).dataSync());
      }
      const scale = Math.max(...grads[0].map(Math.abs));
      grads[1].forEach((g, i) => expect(Math.abs(g - grads[0][i])).toBeLessThan(1e-5 * scale));
    }
    await tf.setBackend('cpu');
  });
});
