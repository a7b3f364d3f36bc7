// Error types with names users can test for. Messages say what was wrong and what was expected.

/** A tensor has the wrong length, shape or element type. */
export class ShapeError extends RangeError {
  override name = 'ShapeError';
}

/** A hyperparameter or argument is outside its valid range. */
export class ArgumentError extends RangeError {
  override name = 'ArgumentError';
}

/** A loss, gradient or weight would become NaN/Inf; the step was refused and the model left as it was. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** A file (IDX, safetensors) is corrupt, truncated or not what it claims to be. */
export class FormatError extends Error {
  override name = 'FormatError';
}

/**
 * An object was used in a state that does not allow the call: a disposed model or optimizer, a
 * model that is already training, a runtime that was shut down. The message names the object and
 * its state.
 */
export class StateError extends Error {
  override name = 'StateError';
}

/**
 * WebAssembly memory could not be had: the engine refused to grow memory, or the request exceeds
 * the 4 GiB of 32-bit wasm (or a limit set on the arena). The message states the cause, the bytes
 * asked for and what is available. A RangeError, as out-of-memory errors were before it existed.
 */
export class MemoryError extends RangeError {
  override name = 'MemoryError';
  /** Bytes the failed request asked for. */
  readonly requestedBytes: number;
  /** Bytes that could still have been had (limit minus what is in use), when known. */
  readonly availableBytes: number;
  constructor(message: string, requestedBytes: number, availableBytes: number) {
    super(message);
    this.requestedBytes = requestedBytes;
    this.availableBytes = availableBytes;
  }
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length: number }).length})`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (typeof v === 'number') return String(v);
  return typeof v;
}

export function checkPositiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(`${what} must be a positive integer, got ${describeValue(v)}`);
  }
  return v;
}

export function checkNumber(v: unknown, what: string, lo: number, hi: number, loOpen = false, hiOpen = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) &&
    (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) {
    const range = `${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? 'Infinity' : hi}${hiOpen ? ')' : ']'}`;
    throw new ArgumentError(`${what} must be a finite number in ${range}, got ${describeValue(v)}`);
  }
  return v as number;
}

/** `undefined` -> {}, an object -> itself, anything else (null included) -> ArgumentError. */
export function checkOptions<T extends object>(options: T | undefined | null, what: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(`${what}: options must be an object, got ${describeValue(options)}`);
  }
  return options;
}
