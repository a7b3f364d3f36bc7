// Chromium must reproduce, bit for bit, the weight hashes the Node project wrote
// (npm test runs the node project first).
import { describe, it, expect, beforeAll } from 'vitest';
import { commands } from 'vitest/browser';
import { runtime } from './helpers.js';
import { determinismRun, graphRun } from './determinism-run.js';

describe('determinism (Chromium vs Node)', () => {
  beforeAll(runtime);

  it('reproduces the Node weight hashes exactly', async () => {
    let text: string;
    try {
      text = await commands.readFile('test/.artifacts/determinism-node.json');
    } catch (e) {
      throw new Error(`test/.artifacts/determinism-node.json could not be read (${String(e)}): run the node project first (npm test does)`);
    }
    const node = JSON.parse(text);
    const here = determinismRun(7);
    expect(here.init).toBe(node.init);
    expect(here.final).toBe(node.final);
    expect(here.losses).toEqual(node.losses);
  });

  it('reproduces the Node weight hash of a residual graph (fan-out gradients summed in a fixed order)', async () => {
    const node = JSON.parse(await commands.readFile('test/.artifacts/determinism-node.json'));
    expect(graphRun(5)).toEqual(node.graph);
  });
});
