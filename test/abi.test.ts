// The wasm ABI against its generated binding (src/core/abi.gen.ts, written by scripts/gen-abi.mjs
// from assembly/): every build exports exactly KERNEL_NAMES, memory and the enum members as globals;
// each kernel takes as many arguments as KERNEL_PARAMS lists; each enum member's value in the module
// is the generated one; the runtime's kernel table is that surface. Node and Chromium.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  KERNEL_NAMES, KERNEL_PARAMS, KERNEL_POINTER_ARGS, ABI_ENUMS, ABI_GLOBALS, ECHyper, ECLayerDesc, ECGraphDesc, PoolSlot, ConvDesc,
} from '../src/core/abi.gen.js';
import { runtime } from './helpers.js';

const inBrowser = typeof window !== 'undefined';
const asset = (rel: string) => (inBrowser ? new URL(rel.replace(/^\.\.\//, '/'), location.origin) : new URL(rel, import.meta.url));

async function bytesOf(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (url.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = await import(/* @vite-ignore */ fsName);
    return new Uint8Array(await fs.readFile(url));
  }
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

/** Instantiates a build with stub imports (a shared memory for the threads builds). */
async function load(file: string): Promise<{ module: WebAssembly.Module; exports: WebAssembly.Exports } | null> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(await bytesOf(asset(`../build/${file}`)));
  } catch (e) {
    // Node 20 runs relaxed SIMD only behind a flag
    if (file.includes('relaxed') && e instanceof WebAssembly.CompileError) return null;
    throw e;
  }
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const i of WebAssembly.Module.imports(module)) {
    imports[i.module] ??= {};
    imports[i.module][i.name] = i.kind === 'memory'
      ? new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true })
      : () => { throw new Error(`${i.module}.${i.name} called`); };
  }
  const instance = await WebAssembly.instantiate(module, imports);
  return { module, exports: instance.exports };
}

const BUILDS = ['ecopt.wasm', 'ecopt.debug.wasm', 'ecopt.threads.wasm', 'ecopt.threads.debug.wasm', 'ecopt.relaxed.wasm'];

describe('the wasm ABI matches src/core/abi.gen.ts', () => {
  for (const file of BUILDS) {
    it(`build/${file}: exports exactly KERNEL_NAMES, memory and the enum members; arities and enum values agree`, async (ctx) => {
      const m = await load(file);
      if (!m) { ctx.skip(); return; }
      const exports = WebAssembly.Module.exports(m.module);
      expect(exports.filter((e) => e.kind === 'function').map((e) => e.name).sort()).toEqual([...KERNEL_NAMES].sort());
      expect(exports.filter((e) => e.kind === 'global').map((e) => e.name).sort()).toEqual(Object.keys(ABI_GLOBALS).sort());
      expect(exports.filter((e) => e.kind !== 'function' && e.kind !== 'global').map((e) => `${e.name}:${e.kind}`)).toEqual(['memory:memory']);
      for (const name of KERNEL_NAMES) {
        expect((m.exports[name] as (...a: unknown[]) => unknown).length, `arity of ${name}`).toBe(KERNEL_PARAMS[name].length);
      }
      for (const [name, value] of Object.entries(ABI_GLOBALS)) {
        expect((m.exports[name] as WebAssembly.Global).value, name).toBe(value);
      }
    });
  }

  it('the generated tables are consistent: pointer arguments are the usize parameters, enum globals are the enum objects', () => {
    for (const name of KERNEL_NAMES) {
      const ptrs = KERNEL_PARAMS[name].flatMap((p, i) => (p.endsWith(': usize') ? [i] : []));
      expect(KERNEL_POINTER_ARGS[name], name).toEqual(ptrs);
    }
    const enums = ABI_ENUMS as Record<string, Record<string, number>>;
    const flat = Object.entries(enums).flatMap(([e, members]) => Object.entries(members).map(([k, v]) => [`${e}.${k}`, v] as const));
    expect(Object.fromEntries(flat)).toEqual(ABI_GLOBALS);
    expect(new Set(KERNEL_NAMES).size).toBe(KERNEL_NAMES.length);
  });

  it('block layouts the TypeScript side relies on', () => {
    expect(PoolSlot.Count * 4).toBe(384);
    expect(PoolSlot.Results + 32).toBeLessThanOrEqual(PoolSlot.RangeOp); // one result per thread, MAX_THREADS = 32
    expect(PoolSlot.RangeArg0 + 14).toBeLessThanOrEqual(PoolSlot.Count); // a range job's 14 arguments (assembly/threads.ts)
    expect(ConvDesc.Count).toBe(ConvDesc.Direct + 1);
    expect(ECHyper.Count).toBeGreaterThan(ECHyper.ISBC2);
    expect(ECLayerDesc.Count).toBe(ECLayerDesc.V2 + 1);
    expect(ECGraphDesc.Count).toBe(ECGraphDesc.TW + 1);
  });

  describe('the runtime', () => {
    let kernels: Record<string, unknown>;
    beforeAll(async () => { kernels = (await runtime()).kernels as unknown as Record<string, unknown>; });

    it('its kernel table is the generated surface', () => {
      for (const name of KERNEL_NAMES) expect(typeof kernels[name], name).toBe('function');
      expect(Object.keys(kernels).filter((k) => typeof kernels[k] === 'function').sort()).toEqual([...KERNEL_NAMES].sort());
      expect(kernels.memory).toBeInstanceOf(WebAssembly.Memory);
      expect((kernels.conv2d_desc_bytes as () => number)()).toBe(ConvDesc.Count * 4);
      expect((kernels.ec_layer_desc_bytes as () => number)()).toBe(ECLayerDesc.Count * 4);
      expect((kernels.ecg_desc_bytes as () => number)()).toBe(ECGraphDesc.Count * 4);
    });
  });
});
