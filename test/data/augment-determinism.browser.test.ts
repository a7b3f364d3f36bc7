// Chromium must reproduce, bit for bit, the augmented training run the Node project wrote
// (npm test runs the node project first).
import { describe, it, expect, beforeAll } from 'vitest';
import { commands } from 'vitest/browser';
import { runtime } from '../helpers.js';
import { augmentRun } from './augment-run.js';

describe('augmentation determinism (Chromium vs Node)', () => {
  beforeAll(runtime);

  it('reproduces the Node weight hash of a fit with augment, normalize and bytes', async () => {
    let text: string;
    try {
      text = await commands.readFile('test/.artifacts/augment-node.json');
    } catch (e) {
      throw new Error(`test/.artifacts/augment-node.json could not be read (${String(e)}): run the node project first (npm test does)`);
    }
    expect(await augmentRun()).toEqual(JSON.parse(text));
  });
});
