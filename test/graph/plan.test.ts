// The backward schedule and gradient-buffer plan of src/graph/plan.ts: which input gradients are
// written, summed or aliased, and how many gradient buffers a graph needs (shared by lifetime).
import { describe, it, expect, beforeAll } from 'vitest';
import { input, Dense, ReLU, Flatten, Add, Concat, Conv2D, MaxPool2D, type SymbolicTensor } from '../../src/index.js';
import { symbolicGraph, chainGraph } from '../../src/graph/graph.js';
import { backwardSchedule } from '../../src/graph/plan.js';
import { runtime } from '../helpers.js';

beforeAll(async () => { await runtime(); });

const unindex = (g: ReturnType<typeof symbolicGraph>) => g.nodes.forEach((n) => { n.layer.index = -1; });

describe('backward schedule', () => {
  it('a chain uses two gradient buffers (ping-pong, as v0.1) and never sums; the input gets none', () => {
    const layers = [new Conv2D(1, 4, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(36, 16), new ReLU(), new Dense(16, 10)];
    const g = chainGraph(layers, [1, 8, 8]);
    const s = backwardSchedule(g);
    expect(s.slotSizes.length).toBe(2);
    expect(s.tempSize).toBe(0);
    expect(s.modes.map((m) => m[0])).toEqual(['skip', 'write', 'write', 'alias', 'write', 'write', 'write']);
    expect(s.slotOf[0]).toBe(-1);
    // the largest tensor that needs a gradient sets a buffer's size: conv output [4, 6, 6]
    expect(Math.max(...s.slotSizes)).toBe(144);
    layers.forEach((l) => { l.index = -1; });
  });

  it('a fanned-out tensor: the last reader writes, earlier readers add through the temporary, in reverse node order', () => {
    const x = input([4]);
    const h = new Dense(4, 4).apply(x);                       // node 0 -> tensor 1, read by nodes 1, 2 and 3
    const a = new ReLU().apply(h);                            // node 1
    const b = new Dense(4, 4).apply(h);                       // node 2
    const y = new Add().apply([a, b, h]);                     // node 3
    const g = symbolicGraph(x, new Dense(4, 2).apply(y), 'test');
    const s = backwardSchedule(g);
    expect(s.modes[3]).toEqual(['write', 'write', 'write']);  // Add writes the gradients of a, b and h first
    expect(s.modes[2]).toEqual(['accumulate']);               // then b's Dense adds into h's
    expect(s.modes[1]).toEqual(['accumulate']);               // then the ReLU adds into h's
    expect(s.modes[0]).toEqual(['skip']);                     // the model input needs none
    expect(s.tempSize).toBe(4);
    unindex(g);
  });

  it('a residual stack reuses gradient buffers: far fewer than tensors', () => {
    const x = input([8]);
    let t: SymbolicTensor = new ReLU().apply(new Dense(8, 8).apply(x));
    for (let i = 0; i < 6; i++) t = new ReLU().apply(new Add().apply([new Dense(8, 8).apply(new ReLU().apply(new Dense(8, 8).apply(t))), t]));
    const g = symbolicGraph(x, new Dense(8, 3).apply(t), 'test');
    const s = backwardSchedule(g);
    expect(g.shapes.length).toBe(34);
    expect(s.slotSizes.length).toBeLessThanOrEqual(4);
    unindex(g);
  });

  it('Concat reading one tensor twice and a view of a fanned-out tensor: a view copies or adds instead of aliasing', () => {
    const x = input([2, 2, 2]);
    const c = new Conv2D(2, 2, 1).apply(x);                   // node 0, read by Flatten and Concat
    const f = new Flatten().apply(c);                          // node 1: its input has 2 readers, no alias
    const cat = new Concat().apply([new Flatten().apply(c), f]); // nodes 2 (Flatten), 3 (Concat)
    const g = symbolicGraph(x, new Dense(16, 2).apply(cat), 'test');
    const s = backwardSchedule(g);
    expect(s.modes[2]).toEqual(['write']);
    expect(s.modes[1]).toEqual(['accumulate']);
    unindex(g);
  });
});
