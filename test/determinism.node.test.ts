// Same seed -> bit-identical weights across runs in Node. Writes the hashes for the browser
// project, which must reproduce them exactly in Chromium (determinism.browser.test.ts).
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runtime } from './helpers.js';
import { determinismRun } from './determinism-run.js';

describe('determinism (node)', () => {
  beforeAll(runtime);

  it('gives identical weights for the same seed and different ones for another seed', () => {
    const a = determinismRun(7);
    const b = determinismRun(7);
    const c = determinismRun(8);
    expect(b).toEqual(a);
    expect(c.init).not.toBe(a.init);
    expect(c.final).not.toBe(a.final);
    expect(a.losses.every(Number.isFinite)).toBe(true);
    mkdirSync(new URL('./.artifacts/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./.artifacts/determinism-node.json', import.meta.url), JSON.stringify(a, null, 1));
  });
});
