// Checked mode: a kernel table whose every pointer argument is looked up in the arena before the
// kernel runs. A pointer must lie inside a live block owned by the caller (a model) or by the
// runtime; anything else (a freed block, another model's block, a wild offset) throws a
// StateError instead of letting the kernel write there. On in the debug builds, in tests (the
// ECOPT_CHECKS=1 environment variable or setPointerChecks(true)), off in release by default.
import type { Arena } from './arena.js';
import { StateError } from './errors.js';
import { KERNEL_POINTER_ARGS, type Kernels } from './abi.gen.js';

let forced: boolean | null = null;

/** @internal Turns checked mode on or off for models created from now on (null: the default). */
export function setPointerChecks(on: boolean | null): void {
  forced = on;
}

/** Whether models created now use checked kernels: forced, else ECOPT_CHECKS=1, else debug builds. */
export function pointerChecksEnabled(build: string): boolean {
  if (forced !== null) return forced;
  const env = typeof process !== 'undefined' ? process.env?.ECOPT_CHECKS : undefined;
  if (env === '1') return true;
  if (env === '0') return false;
  return build.includes('debug');
}

/** Pointer checks performed so far (tests use it to prove checked mode is on). */
export const checkCounter = { pointers: 0 };

/**
 * `kernels` with every pointer argument checked against `arena`: it must lie inside a live block
 * whose owner is `owner` or null (the runtime's). `who` names the caller in messages.
 */
export function checkedKernels(kernels: Kernels, arena: Arena, owner: object, who: () => string): Kernels {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(kernels as unknown as Record<string, unknown>)) {
    const ptrs = (KERNEL_POINTER_ARGS as Readonly<Record<string, readonly number[]>>)[name];
    if (typeof value !== 'function' || !ptrs || ptrs.length === 0) {
      out[name] = typeof value === 'function' ? (value as Function).bind(kernels) : value;
      continue;
    }
    const fn = value as (...a: number[]) => unknown;
    out[name] = (...args: number[]) => {
      for (const i of ptrs) {
        const p = args[i];
        if (p === 0) continue; // "none"
        checkCounter.pointers++;
        const b = arena.blockAt(p);
        if (!b) {
          throw new StateError(`${who()}: kernel ${name} got pointer argument ${i} = ${p}, which lies in no live allocation ` +
            '(freed, never allocated, or out of bounds): call refused before it could write there');
        }
        if (b.owner !== null && b.owner !== owner) {
          throw new StateError(`${who()}: kernel ${name} got pointer argument ${i} = ${p} inside '${b.what}', which another ` +
            'model owns: call refused before it could write there');
        }
      }
      return fn.apply(kernels, args);
    };
  }
  return out as unknown as Kernels;
}
