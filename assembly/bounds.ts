// Debug-build bounds checks of kernel arguments: a buffer a kernel is about to read or write must
// have a non-negative size and end inside linear memory (computed in 64 bits, so a wrapped size
// cannot pass). Release builds compile with noAssert and drop them entirely; TypeScript has
// already checked every size against the limits (src/core/sizes.ts) before any call.

// @ts-ignore: decorator
@inline export function assertSpan(ptr: usize, count: i64, bytesPer: i64): void {
  if (!ASC_NO_ASSERT) {
    assert(count >= 0, 'kernel: a negative size');
    assert(<i64>ptr + count * bytesPer <= (<i64>memory.size() << 16), 'kernel: a buffer runs past the end of linear memory');
  }
}
