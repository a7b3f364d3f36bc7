// Loads the ecopt wasm module once (Node or browser) and owns its linear memory through an Arena:
// init() (which build, how many threads), getRuntime() and shutdown(). Finding and checking the
// module bytes is src/core/load.ts; the threads builds' pool (workers, traps) is src/core/pool.ts.
import { Arena } from './arena.js';
import type { InitOptions } from './init-options.js';

export type { InitOptions } from './init-options.js';
import { ArgumentError, checkOptions } from './errors.js';
import { PoolSlot, type Kernels } from './abi.gen.js';
import {
  inNode, abortImport, asBytes, checkKind, checkSources, compileWasm, defaultURL, readWasm, resolveURL, type WasmSource,
} from './load.js';
import { detach, startWorkers, stopPool, wrapKernels, type PoolState } from './pool.js';

export type { Kernels } from './abi.gen.js';


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

let runtime: Runtime | null = null;
let loading: Promise<Runtime> | null = null;
let stopping: Promise<void> | null = null;
const pools = new WeakMap<Runtime, PoolState>();

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
