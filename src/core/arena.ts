// The arena: TypeScript's allocator over wasm linear memory above the module's heap base.
// Kernels never allocate; every buffer (parameters, gradients, activations, optimizer state,
// scratch) is a block handed out here, 16-byte aligned. Freed blocks are reused (first fit,
// neighbours merged). Views are built on demand from the current memory.buffer, so they are
// always valid after memory.grow.
//
// Ownership (docs/reliability.md, "memory rules"): every block records its owner (a model, the
// runtime) and a generation number that is never reused. Objects keep `Block`s, not bare offsets,
// and check them (`isLive`) before use, so a use after free is an error, not a corruption; in
// checked mode (debug builds, tests) every pointer a kernel receives is looked up here.
import { ArgumentError, MemoryError, StateError } from './errors.js';

const PAGE = 65536;
const ALIGN = 16;
/**
 * Hard limit of 32-bit wasm memory (4 GiB), the largest `Arena.limitBytes`.
 *
 * @internal Part of the allocator, not of the documented API: no compatibility promise.
 */
export const MAX_MEMORY_BYTES = 4 * 1024 * 1024 * 1024;

interface FreeBlock { ptr: number; size: number }

/**
 * A live allocation: where it is, how large, who owns it, and its never-reused generation.
 *
 * @internal Part of the allocator, not of the documented API: no compatibility promise.
 */
export interface Block {
  readonly ptr: number;
  readonly size: number;
  readonly gen: number;
  readonly owner: object | null;
  readonly what: string;
}

/**
 * The allocator over wasm linear memory that every model, optimizer and the runtime share
 * (`getRuntime().arena`). Blocks are 16-byte aligned, zeroed, owned and generation-stamped.
 *
 * @internal Exported for the package's own modules and tests; models and optimizers manage their
 * memory themselves (`dispose()`), so applications need none of this. No compatibility promise.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  private free: FreeBlock[] = [];
  private readonly blocks = new Map<number, Block>();
  private sortedStarts: number[] | null = [];
  private nextGen = 1;
  private closedWhy: string | null = null;
  /** Number of alloc() calls so far (tests use it to prove training steps allocate nothing). */
  allocations = 0;
  /** Number of memory.grow calls so far. */
  grows = 0;
  /**
   * Largest total of linear memory (bytes) the arena may use; default and maximum 4 GiB. Lower it
   * to cap an app's memory: requests above it fail with a MemoryError before memory is touched.
   */
  limitBytes = MAX_MEMORY_BYTES;
  /**
   * @internal Fault injection for tests: when a number, the allocation that many calls from now
   * fails with a MemoryError (0 = the next one); it then resets to null.
   */
  failAfter: number | null = null;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.base = align(heapBase);
    this.top = this.base;
  }

  /**
   * Allocates `bytes` (rounded up to 16) for `owner` and returns the byte offset. Contents are
   * zeroed. Throws MemoryError (nothing changed) when the memory cannot be had.
   */
  alloc(bytes: number, what = 'buffer', owner: object | null = null): number {
    return this.allocBlock(bytes, what, owner).ptr;
  }

  /** As alloc(), returning the Block record (pointer, size, owner, generation). */
  allocBlock(bytes: number, what = 'buffer', owner: object | null = null): Block {
    this.checkOpen(what);
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new ArgumentError(`ecopt: invalid allocation size ${bytes} for ${what} (expected a non-negative safe integer of bytes)`);
    }
    const size = Math.max(ALIGN, align(bytes));
    if (this.failAfter !== null) {
      if (this.failAfter <= 0) {
        this.failAfter = null;
        throw new MemoryError(`ecopt: out of wasm memory allocating ${what} (${fmtBytes(size)}): injected allocation failure`, size, 0);
      }
      this.failAfter--;
    }
    for (let i = 0; i < this.free.length; i++) {
      const blk = this.free[i];
      if (blk.size >= size) {
        const ptr = blk.ptr;
        if (blk.size === size) this.free.splice(i, 1);
        else { blk.ptr += size; blk.size -= size; }
        this.allocations++;
        const b = this.record(ptr, size, owner, what);
        new Uint8Array(this.memory.buffer, ptr, size).fill(0);
        return b;
      }
    }
    const ptr = this.top;
    const end = ptr + size;
    const limit = Math.min(this.limitBytes, MAX_MEMORY_BYTES);
    if (end > limit) {
      const cap = limit === MAX_MEMORY_BYTES ? 'WebAssembly memory is limited to 4 GiB' : `the arena's limit is ${fmtBytes(limit)} (arena.limitBytes)`;
      throw new MemoryError(
        `ecopt: out of wasm memory allocating ${what}: it needs ${fmtBytes(size)}, ${fmtBytes(end)} of linear memory in total, ` +
        `but ${cap}; ${fmtBytes(Math.max(0, limit - this.top) + this.freeBytes)} are free (${fmtBytes(this.bytesInUse)} in use)`,
        size, Math.max(0, limit - this.top) + this.freeBytes);
    }
    this.ensure(end, size, what);
    this.allocations++;
    this.top = end;
    const b = this.record(ptr, size, owner, what);
    // memory below the old top may have been used and released before: zero it
    new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    return b;
  }

  private record(ptr: number, size: number, owner: object | null, what: string): Block {
    const b: Block = { ptr, size, gen: this.nextGen++, owner, what };
    this.blocks.set(ptr, b);
    this.sortedStarts = null;
    return b;
  }

  /** Returns a block to the arena. Unknown offsets (already freed, never allocated) are ignored. */
  release(ptr: number | Block | null | undefined): void {
    if (ptr === null || ptr === undefined) return;
    if (typeof ptr !== 'number') {
      if (!this.isLive(ptr)) return;
      ptr = ptr.ptr;
    }
    const blk0 = this.blocks.get(ptr);
    if (blk0 === undefined) return;
    const size = blk0.size;
    this.blocks.delete(ptr);
    this.sortedStarts = null;
    this.free.push({ ptr, size });
    this.free.sort((a, b) => a.ptr - b.ptr);
    const merged: FreeBlock[] = [];
    for (const blk of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.ptr + last.size === blk.ptr) last.size += blk.size;
      else merged.push({ ...blk });
    }
    // give the tail back to the bump pointer
    const last = merged[merged.length - 1];
    if (last && last.ptr + last.size === this.top) { this.top = last.ptr; merged.pop(); }
    this.free = merged;
  }

  /** True when `b` is still allocated (same offset and generation: not freed, not re-used). */
  isLive(b: Block | null | undefined): boolean {
    if (!b) return false;
    return this.blocks.get(b.ptr)?.gen === b.gen;
  }

  /** The live block containing byte `addr`, or undefined (checked mode's pointer check). */
  blockAt(addr: number): Block | undefined {
    if (!this.sortedStarts) this.sortedStarts = [...this.blocks.keys()].sort((a, b) => a - b);
    const s = this.sortedStarts;
    let lo = 0, hi = s.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] <= addr) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const b = this.blocks.get(s[found])!;
    return addr < b.ptr + b.size ? b : undefined;
  }

  /** Every live block (leak reports). */
  liveBlocks(): Block[] {
    return [...this.blocks.values()];
  }

  /** Live blocks owned by `owner` (tests and leak reports). */
  blocksOf(owner: object | null): Block[] {
    return [...this.blocks.values()].filter((b) => b.owner === owner);
  }

  /** Bytes currently handed out. */
  get bytesInUse(): number {
    let s = 0;
    for (const v of this.blocks.values()) s += v.size;
    return s;
  }

  private get freeBytes(): number {
    let s = 0;
    for (const f of this.free) s += f.size;
    return s;
  }

  /** Current size of linear memory in bytes. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** False after close() (the runtime was shut down). */
  get isOpen(): boolean {
    return this.closedWhy === null;
  }

  /** @internal Marks the arena unusable (shutdown): every later alloc and check throws StateError. */
  close(why = 'the ecopt runtime was shut down'): void {
    this.closedWhy = why;
    this.blocks.clear();
    this.free = [];
    this.sortedStarts = [];
  }

  /** Throws StateError when the arena was closed. */
  checkOpen(what: string): void {
    if (this.closedWhy !== null) throw new StateError(`ecopt: cannot use ${what}: ${this.closedWhy}; call init() again and create new models`);
  }

  private ensure(end: number, size: number, what: string): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new MemoryError(
        `ecopt: out of wasm memory allocating ${what}: the engine refused to grow linear memory from ${fmtBytes(have)} to ` +
        `${fmtBytes(end)} (${(e as Error)?.message ?? e}); asked for ${fmtBytes(size)}, ${fmtBytes(have - this.top + this.freeBytes)} free`,
        size, have - this.top + this.freeBytes);
    }
    this.grows++;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

export function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB (${n} bytes)`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB (${n} bytes)`;
  return `${n} bytes`;
}
