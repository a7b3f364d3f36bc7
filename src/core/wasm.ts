// Loads the ecopt wasm module once (Node or browser) and owns its linear memory through an Arena;
// in the threads builds it also starts, guards and stops the thread pool (init, shutdown, and the
// kernel wrapper that turns a trap on any pool thread into an error on the caller's thread).
import { Arena } from './arena.js';
import { ArgumentError, FormatError, checkOptions, describeValue } from './errors.js';
import { PoolSlot, type Kernels } from './abi.gen.js';

export type { Kernels } from './abi.gen.js';

/**
 * Options of init(): thread count, build (debug, relaxed SIMD) and, for bundled apps, where the wasm
 * modules and the pool worker script are (wasmURL / wasmBytes, threadsWasmURL / threadsWasmBytes,
 * workerURL). With none, init() finds them next to the package's dist/.
 */
export interface InitOptions {
  /**
   * Threads for the kernels (GEMM work is split over them; results are bit-identical for any
   * count). Default: the available cores in Node (override with the ECOPT_THREADS environment
   * variable), 1 in browsers; at most MAX_THREADS (32), more is capped (and `runtime.note` says so).
   * More than 1 needs SharedArrayBuffer: in browsers the page must be cross-origin isolated (COOP
   * same-origin + COEP require-corp), otherwise init falls back to one thread and says why in
   * `runtime.note`.
   */
  threads?: number;
  /**
   * Load a debug build (assertions, names) instead of the optimized release build: single-thread
   * by default; with `threads` > 1 the debug threads build (same pool, same bits).
   */
  debug?: boolean;
  /**
   * Where the single-thread module (build/ecopt.wasm of the package) is fetched from: a URL, or a
   * path in Node. Relative values resolve against the library's own module URL (in a bundle: the
   * bundle file's URL). Default: `new URL('../../build/ecopt.wasm', import.meta.url)`, which bundlers
   * that do not rewrite `new URL(..., import.meta.url)` (esbuild) leave pointing next to the
   * bundle's parent directory. Set it when bundling, e.g. to the URL of a copy of
   * node_modules/ecopt/build/ecopt.wasm served with your app. Used when the runtime runs on one
   * thread (the default in browsers, and the fallback when a page is not cross-origin isolated);
   * given without `threadsWasmURL`/`threadsWasmBytes`, init runs one thread.
   */
  wasmURL?: string | URL;
  /** Raw bytes of the single-thread module (build/ecopt.wasm), for environments that cannot fetch. Wins over `wasmURL`. */
  wasmBytes?: ArrayBuffer | Uint8Array;
  /**
   * Where the threads build (build/ecopt.threads.wasm; with `debug: true`,
   * build/ecopt.threads.debug.wasm) is fetched from, resolved like `wasmURL`. Needed with
   * `threads` > 1 in a bundled app, together with `workerURL`.
   */
  threadsWasmURL?: string | URL;
  /** Raw bytes of the threads build, instead of `threadsWasmURL` (it wins when both are given). */
  threadsWasmBytes?: ArrayBuffer | Uint8Array;
  /**
   * The pool worker script (dist/pool-worker.js of the package, a standalone ES module that
   * imports nothing: copy it, do not bundle it), resolved like `wasmURL`; in browsers it must be
   * same-origin (or CORP) and served as JavaScript. Default: `new URL('../pool-worker.js',
   * import.meta.url)`, i.e. next to the library's (or the bundle's) own file.
   */
  workerURL?: string | URL;
  /**
   * Opt in to the relaxed-SIMD build (GEMM with f32x4.relaxed_madd: faster where the CPU fuses,
   * but results then depend on the hardware, so they are NOT bit-identical across machines or
   * engines). Single-threaded. Node 20 needs --experimental-wasm-relaxed-simd. Never the default.
   */
  relaxedSimd?: boolean;
}

/** The loaded runtime init() resolves to: the kernels, the arena over linear memory, the threads in use, the build, and why fewer threads than asked, if so. */
export interface Runtime {
  kernels: Kernels;
  arena: Arena;
  /** Threads actually in use (the caller's thread included). */
  threads: number;
  build: 'release' | 'debug' | 'threads' | 'threads-debug' | 'relaxed';
  /** Why fewer threads than requested are used, if so. */
  note?: string;
}

/** Most threads init() starts (the caller's included); larger requests are capped. */
export const MAX_THREADS = 32;
/** How long init() waits for the pool workers to report ready before it gives up. */
const READY_TIMEOUT_MS = 30_000;
/** How long a failed kernel call waits for the pool workers to finish their shares. */
const DRAIN_LIMIT_MS = 60_000;

// pool block fields (byte offsets of PoolSlot slots; assembly/threads.ts)
const P_GEN = PoolSlot.Gen * 4, P_PENDING = PoolSlot.Pending * 4, P_SCRATCH = PoolSlot.Scratch * 4;
const P_SCRATCH_BYTES = PoolSlot.ScratchBytes * 4, P_EXIT = PoolSlot.Exit * 4, P_FAULT = PoolSlot.Fault * 4;

/** A started pool worker: `stop` ends it (terminate) and resolves when it is gone. */
interface PoolWorker { tid: number; stop(): Promise<void> }

/** The thread pool behind a threads-build runtime. */
interface PoolState {
  ptr: number;
  memory: WebAssembly.Memory;
  /** The main instance's exports (unwrapped). */
  raw: Kernels;
  workers: PoolWorker[];
  /** Set once the pool is detached from the main instance (shutdown, a lost worker, a drain timeout). */
  detached: string | null;
}

let runtime: Runtime | null = null;
let loading: Promise<Runtime> | null = null;
let stopping: Promise<void> | null = null;
const pools = new WeakMap<Runtime, PoolState>();

const inNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** A wasm module to load: given bytes, or a URL (with what it is, for messages). */
interface WasmSource {
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
function showURL(url: URL): string {
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
async function readWasm(src: WasmSource): Promise<Uint8Array> {
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
async function compileWasm(bytes: Uint8Array, src: WasmSource, relaxed = false): Promise<WebAssembly.Module> {
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
function checkKind(module: WebAssembly.Module, src: WasmSource): void {
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
function asBytes(v: ArrayBuffer | Uint8Array | ArrayBufferView): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(v);
}

const isBuffer = (v: unknown) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer ||
  (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) ||
  ['[object ArrayBuffer]', '[object SharedArrayBuffer]'].includes(Object.prototype.toString.call(v));
const isURL = (v: unknown) => typeof v === 'string' || v instanceof URL || Object.prototype.toString.call(v) === '[object URL]';

/** ArgumentError for source options of the wrong type. */
function checkSources(options: InitOptions): void {
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
function defaultURL(file: string): URL {
  switch (file) {
    case 'build/ecopt.debug.wasm': return new URL('../../build/ecopt.debug.wasm', import.meta.url);
    case 'build/ecopt.relaxed.wasm': return new URL('../../build/ecopt.relaxed.wasm', import.meta.url);
    case 'build/ecopt.threads.wasm': return new URL('../../build/ecopt.threads.wasm', import.meta.url);
    case 'build/ecopt.threads.debug.wasm': return new URL('../../build/ecopt.threads.debug.wasm', import.meta.url);
    default: return new URL('../../build/ecopt.wasm', import.meta.url);
  }
}

/** A URL option resolved like the defaults: against this module's URL. */
const resolveURL = (v: string | URL) => new URL(/* webpackIgnore: true */ String(v), import.meta.url);

/** The default thread count and where it came from (for the note when it is capped). */
async function defaultThreads(): Promise<{ n: number; source: (n: number) => string }> {
  if (!inNode) return { n: 1, source: (n) => `the default is ${n} threads` };
  const env = process.env.ECOPT_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`ecopt.init: ECOPT_THREADS must be a positive integer, got '${env}'`);
    return { n, source: (k) => `ECOPT_THREADS asked for ${k} threads` };
  }
  const osName = 'node:os';
  const os = await import(/* @vite-ignore */ /* webpackIgnore: true */ osName);
  const cores = Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  return { n: cores, source: (k) => `${k} cores are available` };
}

const abortImport = (where: string) => (_msg: number, _file: number, line: number, col: number) => {
  throw new Error(`ecopt: wasm abort in ${where} at line ${line}:${col}`);
};

interface NodeWorkerLike {
  on(ev: 'message', f: (m: WorkerMessage) => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  on(ev: 'exit', f: (code: number) => void): void;
  postMessage(m: unknown): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface WorkerMessage { ready?: number; error?: string; trapped?: number; exited?: number }

/**
 * Starts threads-1 pool workers on the shared memory; resolves with them when all are waiting for
 * work. Always settles: it rejects when a worker cannot be created, fails to start, exits before it
 * is ready, or the pool is not ready within READY_TIMEOUT_MS; it then terminates every worker it
 * started. `onLost(tid)` is called when a ready worker exits unexpectedly later.
 */
async function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, pool: number, threads: number,
  url: URL, onLost: (tid: number, why: string) => void): Promise<PoolWorker[]> {
  let NodeWorker: (new (url: URL, options: object) => NodeWorkerLike) | undefined;
  if (inNode) {
    const wtName = 'node:worker_threads';
    NodeWorker = (await import(/* @vite-ignore */ /* webpackIgnore: true */ wtName)).Worker;
  }
  const workers: PoolWorker[] = [];
  let readyCount = 0;
  let stopped = false;
  const startOne = (tid: number) => new Promise<void>((resolve, reject) => {
    let ready = false;
    let unref = () => {};
    const onMessage = (m: WorkerMessage) => {
      if (m?.ready === tid && !ready) { ready = true; readyCount++; unref(); resolve(); return; }
      if (m?.trapped !== undefined) return; // a job trapped: reported by the kernel call on the caller's thread
      if (m?.error) {
        if (!ready) reject(new StartError(tid, m.error));
        else if (!stopped) onLost(tid, m.error);
      }
    };
    // a throw in here (a Worker refused, postMessage failing) rejects this promise with a clear message
    try {
      if (NodeWorker) {
        // The worker is a plain .js file that needs no flags, and Node refuses many of the parent's
        // (e.g. --max-old-space-size, --stack-size, --expose-gc: ERR_WORKER_INVALID_EXEC_ARGV), so
        // it gets none.
        const w = new NodeWorker(url, { execArgv: [] });
        workers.push({ tid, stop: async () => { await w.terminate(); } });
        w.on('message', onMessage);
        w.on('error', (e) => {
          if (!ready) reject(new StartError(tid, e?.message ?? String(e)));
          else if (!stopped) onLost(tid, e?.message ?? String(e));
        });
        w.on('exit', (code) => {
          if (!ready) reject(new Error(`ecopt.init: pool worker ${tid} exited (code ${code}) before it was ready`));
          else if (!stopped) onLost(tid, `it exited (code ${code})`);
        });
        unref = () => w.unref(); // once serving, the worker must not keep the process alive
        w.postMessage({ module, memory, pool, tid });
      } else {
        const w = new Worker(url, { type: 'module' });
        workers.push({ tid, stop: async () => { w.terminate(); } });
        w.onmessage = (e) => onMessage(e.data);
        w.onerror = (e) => {
          e.preventDefault?.();
          const why = e.message || 'the worker script could not be loaded or threw';
          if (!ready) reject(new StartError(tid, why));
          else if (!stopped) onLost(tid, why);
        };
        w.onmessageerror = () => { if (!ready) reject(new Error(`ecopt.init: pool worker ${tid} could not receive its start message`)); };
        w.postMessage({ module, memory, pool, tid });
      }
    } catch (e) {
      reject(new Error(`ecopt.init: could not start pool worker ${tid}: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const ready: Promise<void>[] = [];
    for (let tid = 1; tid < threads; tid++) ready.push(startOne(tid));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(
        `ecopt.init: the thread pool was not ready after ${READY_TIMEOUT_MS / 1000} s (${readyCount} of ${threads - 1} workers ready)`)), READY_TIMEOUT_MS);
    });
    await Promise.race([Promise.all(ready), timeout]);
    return workers;
  } catch (e) {
    stopped = true;
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
    if (e instanceof StartError) {
      // most often the script is not where the URL points (a bundled app): say where, and what is there
      const seen = inNode ? '' : await diagnoseScript(url);
      throw new Error(`ecopt.init: pool worker ${e.tid} failed to start: ${e.why} (the pool worker script is ${showURL(url)}${seen}; ` +
        'a bundled app serves dist/pool-worker.js of the ecopt package and passes its URL as init({ workerURL }))');
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** A pool worker reported an error (or failed to load) before it was ready. */
class StartError extends Error {
  constructor(readonly tid: number, readonly why: string) { super(`pool worker ${tid} failed to start: ${why}`); }
}

/** What a browser gets from the worker script's URL, when that explains a failed start (bounded: 5 s). */
async function diagnoseScript(url: URL): Promise<string> {
  if (typeof fetch !== 'function') return '';
  const ctl = typeof AbortController === 'function' ? new AbortController() : undefined;
  const timer = setTimeout(() => ctl?.abort(), 5000);
  try {
    const res = await fetch(url, { signal: ctl?.signal, cache: 'no-store' });
    const type = res.headers.get('content-type') ?? 'none';
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) return `, which answers HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (/html/i.test(type)) return `, which answers an HTML page (Content-Type ${type}), not the script`;
    if (!/javascript|ecmascript/i.test(type)) return `, which is served as ${type}; module workers need a JavaScript MIME type (text/javascript)`;
    return '';
  } catch (e) {
    return `, which could not be fetched (${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)})`;
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a pool: detaches it, sets the exit flag, wakes the workers and terminates them. */
async function stopPool(st: PoolState): Promise<void> {
  detach(st, 'the runtime was shut down');
  const v = new Int32Array(st.memory.buffer);
  Atomics.store(v, (st.ptr + P_EXIT) >> 2, 1);
  Atomics.add(v, (st.ptr + P_GEN) >> 2, 1);
  Atomics.notify(v, (st.ptr + P_GEN) >> 2);
  await Promise.all(st.workers.map((w) => w.stop().catch(() => undefined)));
}

/** Detaches the pool from the main instance: from now on every kernel runs on the caller's thread. */
function detach(st: PoolState, why: string): void {
  if (st.detached !== null) return;
  st.detached = why;
  st.raw.pool_attach(0);
}

/** Waits (spinning, bounded) until no pool worker is busy; false when DRAIN_LIMIT_MS passed first. */
function drain(st: PoolState): boolean {
  const v = new Int32Array(st.memory.buffer);
  const at = (st.ptr + P_PENDING) >> 2;
  const t0 = Date.now();
  for (let i = 1; Atomics.load(v, at) > 0; i++) {
    if ((i & 1023) === 0 && Date.now() - t0 > DRAIN_LIMIT_MS) return false;
  }
  return true;
}

/** The trap message pool worker `tid` left at the start of its scratch (and clears it). */
function workerMessage(st: PoolState, tid: number): string {
  const buf = st.memory.buffer;
  const v = new Int32Array(buf);
  const at = Atomics.load(v, (st.ptr + P_SCRATCH) >> 2) + (tid - 1) * Atomics.load(v, (st.ptr + P_SCRATCH_BYTES) >> 2);
  if (at <= 0 || at + 4 > buf.byteLength) return 'no message';
  const n = Atomics.exchange(v, at >> 2, 0);
  if (n <= 0 || n > 400 || at + 4 + 2 * n > buf.byteLength) return 'no message';
  const u16 = new Uint16Array(buf, at + 4, n);
  let text = '';
  for (let i = 0; i < n; i++) text += String.fromCharCode(u16[i]);
  return text;
}

/**
 * After kernel `name` threw on the caller's thread: waits until every pool worker has finished
 * its share (so none still writes memory), clears the fault field and says who trapped.
 */
function poolError(st: PoolState, name: string, e: unknown): Error {
  const drained = drain(st);
  const v = new Int32Array(st.memory.buffer);
  const joined = st.raw.pool_fault(); // the worker whose trap made the caller's join trap
  const left = Atomics.exchange(v, (st.ptr + P_FAULT) >> 2, 0); // a worker's trap the caller never joined
  const cause = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  let what: string;
  if (joined > 0) what = `pool worker ${joined - 1} trapped (${workerMessage(st, joined - 1)})`;
  else {
    what = `the main thread (the caller) trapped (${cause})`;
    if (left > 0) what += `, and pool worker ${left - 1} trapped too (${workerMessage(st, left - 1)})`;
  }
  let tail: string;
  if (!drained) {
    detach(st, 'a failed kernel call did not drain');
    tail = `the pool workers did not finish within ${DRAIN_LIMIT_MS / 1000} s, so the pool was detached: kernels now run on this thread only`;
  } else if (st.detached !== null) tail = `the pool was already detached (${st.detached}); kernels run on this thread only`;
  else tail = 'every pool worker has finished its share; the pool is still usable';
  return new Error(`ecopt: kernel ${name} failed: ${what}; ${tail}`, { cause: e });
}

/**
 * The kernels of a threads build as the caller sees them: each export is called through a plain
 * try/catch; on a throw, the pool is drained and the error names the kernel and who trapped.
 */
function wrapKernels(st: PoolState): Kernels {
  const raw = st.raw as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    if (typeof value !== 'function' || name === 'heap_base') { out[name] = value; continue; }
    const f = value as (...args: number[]) => number;
    out[name] = (...args: number[]) => {
      try {
        return f(...args);
      } catch (e) {
        throw poolError(st, name, e);
      }
    };
  }
  return out as unknown as Kernels;
}

/** ArgumentError unless `rt` satisfies `options` (the check a second init() call makes). */
function compatible(rt: Runtime, options: InitOptions): Runtime {
  if (options.debug && rt.build !== 'debug' && rt.build !== 'threads-debug') {
    throw new ArgumentError(`ecopt.init: already initialised with the ${rt.build} build (call shutdown() first to change it)`);
  }
  if (options.relaxedSimd && rt.build !== 'relaxed') {
    throw new ArgumentError(`ecopt.init: already initialised with the ${rt.build} build (call shutdown() first to change it)`);
  }
  if (options.threads !== undefined && options.threads !== rt.threads && !rt.note) {
    throw new ArgumentError(`ecopt.init: already initialised with ${rt.threads} thread(s) (call shutdown() first to change it)`);
  }
  return rt;
}

/**
 * Loads the wasm kernels once. Safe to call repeatedly, also concurrently: later calls return the
 * same runtime (a later call asking for another build or thread count gets an ArgumentError; call
 * shutdown() first to change them).
 */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  options = checkOptions(options, 'ecopt.init');
  checkSources(options);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new ArgumentError(`ecopt.init: threads must be a positive integer, got ${String(options.threads)}`);
  }
  for (;;) {
    if (stopping) { await stopping; continue; }
    if (runtime) return compatible(runtime, options);
    if (loading) {
      const rt = await loading; // a concurrent init shares this one (and its failure)
      if (runtime === rt) return compatible(rt, options);
      continue; // shut down meanwhile
    }
    break;
  }
  const p: Promise<Runtime> = load(options).finally(() => { if (loading === p) loading = null; });
  loading = p;
  return p;
}

async function load(options: InitOptions): Promise<Runtime> {
  const customSingle = options.wasmURL !== undefined || options.wasmBytes !== undefined;
  const customThreads = options.threadsWasmURL !== undefined || options.threadsWasmBytes !== undefined;
  // custom sources for the single-thread build only: one thread, as before threadsWasm* existed
  const single = options.relaxedSimd || (customSingle && !customThreads);
  let threads: number;
  const notes: string[] = [];
  if (options.threads !== undefined) {
    threads = options.threads;
    if (threads > MAX_THREADS) notes.push(`asked for ${threads} threads; capped at ${MAX_THREADS} (MAX_THREADS)`);
  } else if (single || options.debug) threads = 1;
  else {
    const d = await defaultThreads();
    threads = d.n;
    if (threads > MAX_THREADS) notes.push(`${d.source(threads)}; capped at ${MAX_THREADS} (MAX_THREADS)`);
  }
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads > 1 && single) {
    threads = 1;
    notes.push(options.relaxedSimd
      ? 'the relaxed-SIMD build runs single-threaded'
      : 'wasmURL / wasmBytes give the single-thread build only, so this runs on one thread; to run threads, pass the threads build as threadsWasmURL (or threadsWasmBytes) and the pool worker script as workerURL too');
  }
  if (threads > 1 && (typeof SharedArrayBuffer === 'undefined' || (!inNode && !(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated))) {
    threads = 1;
    notes.push('SharedArrayBuffer is unavailable (the page is not cross-origin isolated: serve it with COOP same-origin and COEP require-corp); running on one thread');
  }
  const note = notes.length ? notes.join('; ') : undefined;
  const rt = threads > 1 ? await loadThreads(threads, options, note) : await loadSingle(options, note);
  runtime = rt;
  return rt;
}

async function loadThreads(threads: number, options: InitOptions, note: string | undefined): Promise<Runtime> {
  const debug = !!options.debug;
  const file = debug ? 'build/ecopt.threads.debug.wasm' : 'build/ecopt.threads.wasm';
  const src: WasmSource = options.threadsWasmBytes !== undefined
    ? { kind: 'threads', file, bytes: asBytes(options.threadsWasmBytes), bytesOption: 'threadsWasmBytes' }
    : { kind: 'threads', file, url: options.threadsWasmURL !== undefined ? resolveURL(options.threadsWasmURL) : defaultURL(file) };
  const workerURL = options.workerURL !== undefined ? resolveURL(options.workerURL) : new URL('../pool-worker.js', import.meta.url);
  const bytes = await readWasm(src);
  const module = await compileWasm(bytes, src);
  checkKind(module, src);
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: abortImport('the main thread') } });
  const raw = instance.exports as unknown as Kernels;
  const arena = new Arena(memory, raw.heap_base());
  const per = raw.pool_worker_scratch_bytes();
  const pool = arena.alloc(PoolSlot.Count * 4, 'thread pool block');
  const scratch = arena.alloc(per * (threads - 1), 'worker scratch');
  const p = arena.i32(pool, PoolSlot.Count);
  p[PoolSlot.Threads] = threads; p[PoolSlot.Scratch] = scratch; p[PoolSlot.ScratchBytes] = per;
  const st: PoolState = { ptr: pool, memory, raw, workers: [], detached: null };
  // a worker lost later: detach, so kernels run on this thread instead of waiting for it forever
  st.workers = await startWorkers(module, memory, pool, threads, workerURL, (tid, why) => detach(st, `pool worker ${tid} stopped: ${why}`));
  raw.pool_attach(pool);
  const rt: Runtime = { kernels: wrapKernels(st), arena, threads, build: debug ? 'threads-debug' : 'threads', note };
  pools.set(rt, st);
  return rt;
}

async function loadSingle(options: InitOptions, note: string | undefined): Promise<Runtime> {
  const file = options.debug ? 'build/ecopt.debug.wasm' : options.relaxedSimd ? 'build/ecopt.relaxed.wasm' : 'build/ecopt.wasm';
  const src: WasmSource = options.wasmBytes !== undefined
    ? { kind: 'single', file, bytes: asBytes(options.wasmBytes), bytesOption: 'wasmBytes' }
    : { kind: 'single', file, url: options.wasmURL !== undefined ? resolveURL(options.wasmURL) : defaultURL(file) };
  const bytes = await readWasm(src);
  const module = await compileWasm(bytes, src, !!options.relaxedSimd);
  checkKind(module, src);
  const instance = await WebAssembly.instantiate(module, { env: { abort: abortImport('a kernel') } });
  const kernels = instance.exports as unknown as Kernels;
  const build = options.debug ? 'debug' : options.relaxedSimd ? 'relaxed' : 'release';
  return { kernels, arena: new Arena(kernels.memory, kernels.heap_base()), threads: 1, build, note };
}

/**
 * Shuts the runtime down: stops the pool workers, closes the arena (every model and optimizer of
 * this runtime then refuses to run) and forgets the runtime, so init() may be called again, with
 * other options too. Resolves at once when nothing is initialised; while an init() is loading, it
 * waits for it first. Afterwards no worker keeps the process alive.
 */
export function shutdown(): Promise<void> {
  if (stopping) return stopping;
  if (!runtime && !loading) return Promise.resolve();
  const s: Promise<void> = stopRuntime().finally(() => { if (stopping === s) stopping = null; });
  stopping = s;
  return s;
}

async function stopRuntime(): Promise<void> {
  if (loading) await loading.catch(() => undefined); // a failed init leaves nothing to stop
  const rt = runtime;
  runtime = null;
  if (!rt) return;
  const st = pools.get(rt);
  if (st) await stopPool(st);
  rt.arena.close('the ecopt runtime was shut down (shutdown())');
}

/** The loaded runtime; throws a clear error when init() has not completed. */
export function getRuntime(): Runtime {
  if (!runtime) throw new Error('ecopt: call `await init()` before creating models or optimizers');
  return runtime;
}
