// The thread pool of a threads-build runtime: starting the pool workers (Node worker_threads or
// browser module Workers) on the shared memory, and guarding them: the kernel wrapper that turns a
// trap on any pool thread into an error on the caller's thread (after every worker has finished
// its share), detaching a pool whose worker was lost, and stopping it.
import { PoolSlot, type Kernels } from './abi.gen.js';
import { inNode, showURL } from './load.js';

/** How long init() waits for the pool workers to report ready before it gives up. */
const READY_TIMEOUT_MS = 30_000;
/** How long a failed kernel call waits for the pool workers to finish their shares. */
const DRAIN_LIMIT_MS = 60_000;

// pool block fields (byte offsets of PoolSlot slots; assembly/threads.ts)
const P_GEN = PoolSlot.Gen * 4, P_PENDING = PoolSlot.Pending * 4, P_SCRATCH = PoolSlot.Scratch * 4;
const P_SCRATCH_BYTES = PoolSlot.ScratchBytes * 4, P_EXIT = PoolSlot.Exit * 4, P_FAULT = PoolSlot.Fault * 4;
const P_CALLER_SHARE = PoolSlot.CallerShare * 4, P_CLAIM = PoolSlot.Claim * 4;

/** A started pool worker: `stop` ends it (terminate) and resolves when it is gone. */
interface PoolWorker { tid: number; stop(): Promise<void> }

/** The thread pool behind a threads-build runtime. */
export interface PoolState {
  ptr: number;
  memory: WebAssembly.Memory;
  /** The main instance's exports (unwrapped). */
  raw: Kernels;
  workers: PoolWorker[];
  /** Set once the pool is detached from the main instance (shutdown, a lost worker, a drain timeout). */
  detached: string | null;
}

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
export async function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, pool: number, threads: number,
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
export async function stopPool(st: PoolState): Promise<void> {
  detach(st, 'the runtime was shut down');
  const v = new Int32Array(st.memory.buffer);
  Atomics.store(v, (st.ptr + P_EXIT) >> 2, 1);
  Atomics.add(v, (st.ptr + P_GEN) >> 2, 1);
  Atomics.notify(v, (st.ptr + P_GEN) >> 2);
  await Promise.all(st.workers.map((w) => w.stop().catch(() => undefined)));
}

/** Detaches the pool from the main instance: from now on every kernel runs on the caller's thread. */
export function detach(st: PoolState, why: string): void {
  if (st.detached !== null) return;
  st.detached = why;
  st.raw.pool_attach(0);
}

/**
 * After a trap on the caller's thread inside a share of a job (assembly/threads.ts): that share
 * will never be done, and no thread may start the job's unclaimed ones, so they are all taken off
 * the job's pending count (the claim word is set to "all claimed" first). Shares running on workers
 * stay pending: drain() waits for them.
 */
function releaseCallerShares(st: PoolState): void {
  const buf = st.memory.buffer;
  const v = new Int32Array(buf);
  if (Atomics.load(v, (st.ptr + P_CALLER_SHARE) >> 2) === 0) return;
  const w = new BigInt64Array(buf, st.ptr + P_CLAIM, 1);
  let left = 0;
  for (;;) {
    const c = Atomics.load(w, 0);
    const shares = (c >> 16n) & 0xffffn, next = c & 0xffffn;
    left = Number(shares > next ? shares - next : 0n);
    if (Atomics.compareExchange(w, 0, c, (c & ~0xffffn) | shares) === c) break;
  }
  Atomics.sub(v, (st.ptr + P_PENDING) >> 2, left + 1);
  Atomics.store(v, (st.ptr + P_CALLER_SHARE) >> 2, 0);
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
 * After kernel `name` threw on the caller's thread: releases the shares the caller left, waits until
 * every pool worker has finished the shares it claimed (so none still writes memory), clears the
 * fault field and says who trapped.
 */
function poolError(st: PoolState, name: string, e: unknown): Error {
  releaseCallerShares(st);
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
export function wrapKernels(st: PoolState): Kernels {
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
