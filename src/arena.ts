// The arena: TypeScript's allocator over wasm linear memory above the module's heap base.
// Kernels never allocate; every buffer (parameters, gradients, activations, optimizer state,
// scratch) is a block handed out here, 16-byte aligned. Freed blocks are reused (first fit,
// neighbours merged). Views are built on demand from the current memory.buffer, so they are
// always valid after memory.grow.

const PAGE = 65536;
const ALIGN = 16;
/** Hard limit of 32-bit wasm memory. */
export const MAX_MEMORY_BYTES = 4 * 1024 * 1024 * 1024;

interface FreeBlock { ptr: number; size: number }

export class Arena {
  readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  private free: FreeBlock[] = [];
  private readonly sizes = new Map<number, number>();
  /** Number of alloc() calls so far (tests use it to prove training steps allocate nothing). */
  allocations = 0;
  /** Number of memory.grow calls so far. */
  grows = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.base = align(heapBase);
    this.top = this.base;
  }

  /** Allocates `bytes` (rounded up to 16) and returns the byte offset. Contents are zeroed. */
  alloc(bytes: number, what = 'buffer'): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`ecopt: invalid allocation size ${bytes} for ${what}`);
    const size = Math.max(ALIGN, align(bytes));
    this.allocations++;
    for (let i = 0; i < this.free.length; i++) {
      const blk = this.free[i];
      if (blk.size >= size) {
        const ptr = blk.ptr;
        if (blk.size === size) this.free.splice(i, 1);
        else { blk.ptr += size; blk.size -= size; }
        this.sizes.set(ptr, size);
        new Uint8Array(this.memory.buffer, ptr, size).fill(0);
        return ptr;
      }
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `ecopt: out of wasm memory allocating ${what}: needs ${fmtBytes(size)} more, ` +
        `${fmtBytes(end)} in total, but WebAssembly memory is limited to 4 GiB`);
    }
    this.ensure(end);
    this.top = end;
    this.sizes.set(ptr, size);
    // memory below the old top may have been used and released before: zero it
    new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    return ptr;
  }

  /** Returns a block to the arena. */
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
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

  /** Bytes currently handed out. */
  get bytesInUse(): number {
    let s = 0;
    for (const v of this.sizes.values()) s += v;
    return s;
  }

  /** Current size of linear memory in bytes. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      throw new RangeError(`ecopt: the engine refused to grow wasm memory to ${fmtBytes(end)}`);
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
