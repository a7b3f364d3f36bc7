// The short ResNet-8 run on real Fashion-MNIST in Chromium (fashion-short.ts): trained on the bytes
// the Node project wrote (npm test runs it first), it must reach Node's weights bit for bit and
// Node's test accuracy (at least 60%).
import { describe, it, expect, beforeAll } from 'vitest';
import { commands } from 'vitest/browser';
import type { Dataset } from '../../src/index.js';
import { runtime } from '../helpers.js';
import { SHORT, shortRun } from './fashion-short.js';

const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const dataset = (d: { images: string; labels: string }): Dataset<Uint8Array> => {
  const labels = bytes(d.labels);
  return { images: bytes(d.images), labels, count: labels.length, shape: [1, 28, 28], classes: 10 };
};

describe('residual networks on Fashion-MNIST in Chromium', () => {
  beforeAll(runtime);

  it(`ResNet-8: ${SHORT.train} images, ${SHORT.epochs} epochs -> Node's weights bit for bit and at least 60% test accuracy`, async () => {
    let text: string;
    try {
      text = await commands.readFile('test/.artifacts/fashion-short.json');
    } catch (e) {
      throw new Error(`test/.artifacts/fashion-short.json could not be read (${String(e)}): run the node project first (npm test does)`);
    }
    const node = JSON.parse(text);
    const train = dataset(node.train), test = dataset(node.test);
    expect([train.count, test.count]).toEqual([SHORT.train, SHORT.test]);
    const here = await shortRun(train, test);
    expect(here.hash).toBe(node.hash);
    expect(here.accuracy).toBe(node.accuracy);
    expect(here.accuracy).toBeGreaterThanOrEqual(0.6);
  });
});
