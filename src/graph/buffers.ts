// The batch buffers of a model for one capacity: the blocks of a BatchLayout allocated all or
// nothing (a failure releases what was allocated and names the batch and the total), owned by the
// model, bound to byte offsets for the executor.
import type { Arena, Block } from '../core/arena.js';
import { MemoryError } from '../core/errors.js';
import type { BoundBuffers } from './execute.js';
import type { BatchLayout } from './plan.js';

/** Byte offsets of one capacity's buffers and the blocks that hold them. */
export interface BatchBuffers extends BoundBuffers {
  labels: number;
  misc: number;
  blocks: Block[];
}

/** Allocates every block of `plan` for `owner`, or none (MemoryError naming the batch). */
export function allocateBatch(arena: Arena, owner: object, plan: BatchLayout, B: number, who: string): BatchBuffers {
  const blocks: Block[] = [];
  try {
    for (const z of plan.sizes) blocks.push(arena.allocBlock(z.bytes, z.what, owner));
  } catch (e) {
    for (const b of blocks) arena.release(b);
    if (e instanceof MemoryError) {
      throw new MemoryError(`${who}: cannot plan the buffers for a batch of ${B} (${plan.total} bytes in all): ${e.message}`, e.requestedBytes, e.availableBytes);
    }
    throw e;
  }
  const ptr = (i: number) => (i < 0 ? 0 : blocks[i].ptr);
  return {
    act: plan.act.map(ptr), cache: plan.cache.map(ptr), grad: plan.grad.map(ptr), temp: ptr(plan.temp),
    scratch: ptr(plan.scratch), labels: ptr(plan.labels), misc: ptr(plan.misc), blocks,
  };
}
