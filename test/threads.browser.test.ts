// Multi-core training in Chromium (module Workers on shared memory; the test page is served
// cross-origin isolated): the weights must match the single-thread Node run bit for bit.
import { describe, it, expect, beforeAll } from 'vitest';
import { commands } from 'vitest/browser';
import { init, getRuntime, shutdown } from '../src/index.js';
import { parallelRun, graphRun } from './determinism-run.js';

describe('threads (Chromium module workers)', () => {
  beforeAll(async () => { await init({ threads: 2 }); });

  it('trains on 2 threads with the same bits as one thread and as Node', async () => {
    const rt = getRuntime();
    expect(globalThis.crossOriginIsolated).toBe(true);
    expect(rt.note).toBeUndefined();
    expect(rt.threads).toBe(2);
    const two = parallelRun(5);
    const graphTwo = graphRun(5);
    (rt.kernels as unknown as { pool_attach(p: number): void }).pool_attach(0);
    const one = parallelRun(5);
    expect(two).toEqual(one);
    expect(graphTwo).toEqual(graphRun(5));
    const node = JSON.parse(await commands.readFile('test/.artifacts/determinism-node.json'));
    expect(two).toEqual(node.parallel);
  });

  it('the debug threads build (after shutdown) on 3 threads gives the same bits as Node', async () => {
    await shutdown();
    const rt = await init({ debug: true, threads: 3 });
    expect(rt.build).toBe('threads-debug');
    expect(rt.threads).toBe(3);
    const node = JSON.parse(await commands.readFile('test/.artifacts/determinism-node.json'));
    expect(parallelRun(5)).toEqual(node.parallel);
    await shutdown();
  });
});
