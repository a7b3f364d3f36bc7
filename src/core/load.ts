// Finds, reads and checks the wasm modules for init(): where each build is (the default next to
// the package's dist/, or the wasmURL / threadsWasmURL / *Bytes options), fetching or reading it,
// checking it is WebAssembly of the right kind (single-thread vs threads), compiling it, and the
// messages that say what was fetched from where and how to fix it.
import { ArgumentError, FormatError, describeValue } from './errors.js';
import type { InitOptions } from './init-options.js';

/** Whether this runs in Node (not a browser or a worker there). */
export const inNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** A wasm module to load: given bytes, or a URL (with what it is, for messages). */
export interface WasmSource {
  kind: 'single' | 'threads';
  /** The package file it should be, e.g. build/ecopt.wasm. */
  file: string;
  bytes?: Uint8Array;
  /** The option the bytes came from (wasmBytes, threadsWasmBytes). */
  bytesOption?: string;
  url?: URL;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

const moduleName = (src: WasmSource) => (src.kind === 'single' ? 'the single-thread wasm module' : 'the threads wasm module');

/** How to give init() the module (and for threads the worker) when the default location does not work. */
function fix(src: WasmSource): string {
  return src.kind === 'single'
    ? `Serve ${src.file} of the ecopt package with your app (e.g. copy node_modules/ecopt/build/*.wasm next to your bundle) and pass its URL as init({ wasmURL }), or pass the module itself as init({ wasmBytes })`
    : `Serve ${src.file} and dist/pool-worker.js of the ecopt package with your app (e.g. copy node_modules/ecopt/build/*.wasm and node_modules/ecopt/dist/pool-worker.js next to your bundle) and pass their URLs as init({ threadsWasmURL, workerURL }) (and wasmURL for the one-thread fallback), or pass the module itself as init({ threadsWasmBytes })`;
}

/** `url` for a message: file: URLs as paths, long data: URLs cut. */
export function showURL(url: URL): string {
  if (url.protocol === 'file:') return decodeURIComponent(url.pathname);
  const s = url.href;
  return url.protocol === 'data:' && s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function where(src: WasmSource, http?: string): string {
  if (src.bytes) return `${moduleName(src)} given as init({ ${src.bytesOption} })`;
  const u = src.url!;
  return `${moduleName(src)} ${u.protocol === 'file:' ? 'read from' : 'fetched from'} ${showURL(u)}${http ? ` (${http})` : ''}`;
}

/** The start of `bytes` as text, for messages (printable ASCII, whitespace collapsed). */
function preview(bytes: Uint8Array, n = 60): string {
  let t = '';
  for (let i = 0; i < Math.min(bytes.length, 4 * n) && t.length < n; i++) {
    const c = bytes[i];
    t += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 9 || c === 10 || c === 13 ? ' ' : '';
  }
  return t.replace(/\s+/g, ' ').trim();
}

const looksLikeHTML = (bytes: Uint8Array) =>
  /^<(?:!doctype\s+html|!--|(?:html|head|body|meta|title|script|link|div)[\s>/])/i.test(preview(bytes, 200));

/**
 * Throws a FormatError naming the source unless `bytes` start with the wasm magic `\0asm`: an
 * HTML page (an SPA fallback or an error page served for a missing file) is called HTML.
 */
function checkWasmBytes(bytes: Uint8Array, src: WasmSource, http?: string, contentType?: string | null): void {
  if (bytes.length >= 4 && WASM_MAGIC.every((b, i) => bytes[i] === b)) return;
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  let what: string;
  let why = '';
  if (bytes.length === 0) what = 'it is empty (0 bytes)';
  else if (looksLikeHTML(bytes) || (contentType && /html/i.test(contentType))) {
    what = `it is an HTML page (${bytes.length} bytes starting '${preview(bytes)}')`;
    why = src.url && !src.bytes
      ? '. The server answered with a page instead of the file: the file is most likely not there and the server sends its index.html for unknown paths (an SPA fallback), as happens when a bundler (e.g. esbuild) does not rewrite the library\'s new URL(\'../../build/*.wasm\', import.meta.url) or copy the .wasm files'
      : '';
  } else {
    what = `its first bytes are ${hex}${bytes.length < 4 ? ` (only ${bytes.length} bytes)` : ''}, not the wasm magic 00 61 73 6d ('\\0asm')` +
      (preview(bytes).length >= 8 ? `; it starts '${preview(bytes)}'` : '');
  }
  throw new FormatError(`ecopt.init: ${where(src, http)} is not a WebAssembly module: ${what}${why}. ${fix(src)}.`);
}

/** The module's bytes (fetched, read from disk, or as given), checked to be wasm. */
export async function readWasm(src: WasmSource): Promise<Uint8Array> {
  if (src.bytes) {
    checkWasmBytes(src.bytes, src);
    return src.bytes;
  }
  const url = src.url!;
  if (url.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ fsName);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(url));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err?.code && String(err.message).startsWith(err.code) ? err.message : `${err?.code ?? err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
      throw new Error(`ecopt.init: could not read ${moduleName(src)} at ${showURL(url)} (${why}). ${fix(src)} (in a checkout of ecopt, npm run build makes the build/ files).`, { cause: e });
    }
    checkWasmBytes(bytes, src);
    return bytes;
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`ecopt.init: could not fetch ${moduleName(src)} from ${showURL(url)} (${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}). ${fix(src)}.`, { cause: e });
  }
  const type = res.headers.get('content-type');
  const http = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}, Content-Type ${type ?? 'none'}`;
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`ecopt.init: could not fetch ${moduleName(src)} from ${showURL(url)} (${http}). ${fix(src)}.`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  checkWasmBytes(bytes, src, http, type);
  return bytes;
}

/** Compiles checked bytes; a CompileError names the source (and for relaxed SIMD, the engine flag). */
export async function compileWasm(bytes: Uint8Array, src: WasmSource, relaxed = false): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    if (relaxed && e instanceof WebAssembly.CompileError) {
      throw new Error(`ecopt.init: this engine does not run relaxed SIMD (${e.message}); Node 20 needs the flag --experimental-wasm-relaxed-simd`, { cause: e });
    }
    throw new Error(`ecopt.init: ${where(src)} could not be compiled (${(e as Error)?.name}: ${(e as Error)?.message}); it must be ${src.file} of the same ecopt version as this library. ${fix(src)}.`, { cause: e });
  }
}

/** True when the module imports its memory (the shared-memory threads builds do; the others define their own). */
const importsMemory = (m: WebAssembly.Module) => WebAssembly.Module.imports(m).some((i) => i.kind === 'memory');

/** Throws when a module of the other kind (threads vs single-thread) was given in `src`'s place. */
export function checkKind(module: WebAssembly.Module, src: WasmSource): void {
  const threaded = importsMemory(module);
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  if (src.kind === 'single' && threaded) {
    throw new FormatError(`ecopt.init: ${where(src)} is the threads build (it imports a shared memory), not the single-thread build: wasmURL / wasmBytes must be build/ecopt.wasm (ecopt.debug.wasm with debug: true); pass the threads build as init({ threadsWasmURL }) or init({ threadsWasmBytes }) with threads > 1.`);
  }
  if (src.kind === 'threads' && (!threaded || !exports.has('worker_run') || !exports.has('pool_attach'))) {
    throw new FormatError(`ecopt.init: ${where(src)} is not the threads build (it ${threaded ? 'lacks the pool exports' : 'does not import a shared memory'}): threadsWasmURL / threadsWasmBytes must be build/ecopt.threads.wasm (build/ecopt.threads.debug.wasm with debug: true); the single-thread build goes to wasmURL / wasmBytes.`);
  }
}

/** `v` as bytes (a view on it, no copy). */
export function asBytes(v: ArrayBuffer | Uint8Array | ArrayBufferView): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(v);
}

const isBuffer = (v: unknown) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer ||
  (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) ||
  ['[object ArrayBuffer]', '[object SharedArrayBuffer]'].includes(Object.prototype.toString.call(v));
const isURL = (v: unknown) => typeof v === 'string' || v instanceof URL || Object.prototype.toString.call(v) === '[object URL]';

/** ArgumentError for source options of the wrong type. */
export function checkSources(options: InitOptions): void {
  for (const k of ['wasmURL', 'threadsWasmURL', 'workerURL'] as const) {
    const v = options[k];
    if (v !== undefined && !isURL(v)) throw new ArgumentError(`ecopt.init: ${k} must be a string or URL, got ${describeValue(v)}`);
  }
  for (const k of ['wasmBytes', 'threadsWasmBytes'] as const) {
    const v = options[k];
    if (v !== undefined && !isBuffer(v)) throw new ArgumentError(`ecopt.init: ${k} must be an ArrayBuffer or Uint8Array, got ${describeValue(v)}`);
  }
}

/**
 * The default location of a build: next to the package's dist/. Each URL is written out literally,
 * as bundlers that do handle assets (Vite, webpack 5) only see `new URL('literal', import.meta.url)`.
 */
export function defaultURL(file: string): URL {
  switch (file) {
    case 'build/ecopt.debug.wasm': return new URL('../../build/ecopt.debug.wasm', import.meta.url);
    case 'build/ecopt.relaxed.wasm': return new URL('../../build/ecopt.relaxed.wasm', import.meta.url);
    case 'build/ecopt.threads.wasm': return new URL('../../build/ecopt.threads.wasm', import.meta.url);
    case 'build/ecopt.threads.debug.wasm': return new URL('../../build/ecopt.threads.debug.wasm', import.meta.url);
    default: return new URL('../../build/ecopt.wasm', import.meta.url);
  }
}

/** A URL option resolved like the defaults: against this module's URL. */
export const resolveURL = (v: string | URL) => new URL(/* webpackIgnore: true */ String(v), import.meta.url);

/** The `abort` import of an instance: a wasm abort (a failed assertion in a debug build) as an Error. */
export const abortImport = (where: string) => (_msg: number, _file: number, line: number, col: number) => {
  throw new Error(`ecopt: wasm abort in ${where} at line ${line}:${col}`);
};
