// Same seed -> bit-identical weights across runs in Node. Writes the hashes for the browser
// project, which must reproduce them exactly in Chromium (determinism.browser.test.ts).
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { init } from '../src/index.js';
import { determinismRun, parallelRun, graphRun } from './determinism-run.js';

describe('determinism (node)', () => {
  beforeAll(async () => { await init({ threads: 1 }); });

  it('gives identical weights for the same seed and different ones for another seed', () => {
    const a = determinismRun(7);
    const b = determinismRun(7);
    const c = determinismRun(8);
    expect(b).toEqual(a);
    expect(c.init).not.toBe(a.init);
    expect(c.final).not.toBe(a.final);
    expect(a.losses.every(Number.isFinite)).toBe(true);
    mkdirSync(new URL('./.artifacts/', import.meta.url), { recursive: true });
    const p = parallelRun(5);
    expect(parallelRun(5)).toEqual(p);
    const g = graphRun(5);
    expect(graphRun(5)).toEqual(g);
    expect(graphRun(6).graph).not.toBe(g.graph);
    writeFileSync(new URL('./.artifacts/determinism-node.json', import.meta.url), JSON.stringify({ ...a, parallel: p, graph: g }, null, 1));
  });
});
