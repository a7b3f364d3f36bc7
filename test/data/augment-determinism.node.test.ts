// A fit with augment, normalize and a byte dataset replays bit for bit in Node, on one thread and on
// two; writes its hash for the browser project, which must reproduce it in Chromium
// (augment-determinism.browser.test.ts).
import { describe, it, expect } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { init, shutdown } from '../../src/index.js';
import { augmentRun } from './augment-run.js';

describe('augmentation determinism (node)', () => {
  it('the same run gives the same weights on 1 and 2 threads', async () => {
    await init({ threads: 1 });
    const a = await augmentRun();
    expect(await augmentRun()).toEqual(a);
    expect(a.losses.every(Number.isFinite)).toBe(true);
    await shutdown();
    await init({ threads: 2 });
    expect(await augmentRun()).toEqual(a);
    await shutdown();
    mkdirSync(new URL('../.artifacts/', import.meta.url), { recursive: true });
    writeFileSync(new URL('../.artifacts/augment-node.json', import.meta.url), JSON.stringify(a, null, 1));
  });
});
