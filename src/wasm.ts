// Loads the ecopt wasm module once (Node or browser) and owns its linear memory through an Arena.
import { Arena } from './arena.js';
import { ArgumentError, checkOptions } from './errors.js';

/** Every kernel the wasm module exports, by name. Pointers are byte offsets into linear memory. */
export interface Kernels {
  memory: WebAssembly.Memory;
  heap_base(): number;
  gemm_nn(c: number, a: number, b: number, M: number, N: number, K: number, accumulate: number, scratch: number): void;
  gemm_nt(c: number, a: number, b: number, M: number, N: number, K: number, accumulate: number, scratch: number): void;
  gemm_tn(c: number, a: number, b: number, M: number, N: number, K: number, accumulate: number, scratch: number): void;
  gemm_scratch_bytes(M: number, N: number, K: number): number;
  dense_forward(y: number, x: number, w: number, bias: number, B: number, inF: number, outF: number, scratch: number): void;
  dense_backward(dx: number, dw: number, dbias: number, dy: number, x: number, w: number, B: number, inF: number, outF: number, scratch: number): void;
  bias_add_rows(y: number, bias: number, R: number, C: number): void;
  col_sums(out: number, x: number, R: number, C: number): void;
  relu_forward(y: number, x: number, n: number): void;
  relu_backward(dx: number, dy: number, x: number, n: number): void;
  leaky_relu_forward(y: number, x: number, n: number, alpha: number): void;
  leaky_relu_backward(dx: number, dy: number, x: number, n: number, alpha: number): void;
  prelu_forward(y: number, x: number, slope: number, B: number, C: number, inner: number): void;
  sigmoid_forward(y: number, x: number, n: number): void;
  sigmoid_backward(dx: number, dy: number, y: number, n: number): void;
  tanh_forward(y: number, x: number, n: number): void;
  tanh_backward(dx: number, dy: number, y: number, n: number): void;
  prelu_backward(dx: number, dslope: number, dy: number, x: number, slope: number, B: number, C: number, inner: number): void;
  softmax_xent_forward_backward(dlogits: number, logits: number, labels: number, B: number, K: number): number;
  softmax_xent_eval(correct: number, logits: number, labels: number, B: number, K: number): number;
  softmax_forward(probs: number, logits: number, B: number, K: number): void;
  argmax_rows(out: number, x: number, B: number, K: number): void;
  sgd_update(w: number, g: number, n: number, lr: number, wd: number): void;
  momentum_update(w: number, v: number, g: number, n: number, lr: number, mu: number, wd: number, nesterov: number): void;
  adam_update(w: number, m: number, v: number, g: number, n: number, lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: number, t: number): void;
  init_uniform(x: number, n: number, seedLo: number, seedHi: number, stream: number, variance: number): void;
  init_normal(x: number, n: number, seedLo: number, seedHi: number, stream: number, variance: number): void;
  permutation(idx: number, n: number, seedLo: number, seedHi: number, stream: number): void;
  fill_f32(x: number, n: number, v: number): void;
  scale_f32(x: number, n: number, a: number): void;
  axpy_f32(y: number, x: number, n: number, a: number): void;
  copy_bytes(dst: number, src: number, bytes: number): void;
  count_nonfinite(x: number, n: number): number;
  first_nonfinite(x: number, n: number): number;
  first_bad_label(labels: number, n: number, classes: number): number;
  sum_f32(x: number, n: number): number;
  sumsq_f32(x: number, n: number): number;
  gather_rows_f32(dst: number, src: number, idx: number, start: number, rows: number, rowLen: number): void;
  ec_hyper_prepare(h: number, t: number): void;
  ec_chain_beta(betaOut: number, betaIn: number, w: number, O: number, I: number, T: number, dtap: number): void;
  ec_chain_phi(phiIn: number, phiOut: number, w: number, O: number, I: number, T: number, dtap: number): void;
  ec_set_skeleton(w: number, O: number, I: number, T: number, dtap: number, mode: number, value: number): void;
  ec_make_mask(mask: number, O: number, I: number, T: number, dtap: number, mode: number): void;
  ec_recip(dst: number, src: number, n: number): void;
  ec_pass1(w: number, dw: number, mask: number, s1: number, s2: number, sb: number, O: number, I: number, T: number, betaIn: number, ibetaIn: number, phiOut: number, iphiOut: number, rowS: number, colS: number, h: number, norms: number, sums: number, args: number, rowNorms: number): void;
  ec_sums(w: number, dw: number, mask: number, O: number, I: number, T: number, rowS: number, colS: number): void;
  ec_args_bytes(): number;
  ec_pass2(w: number, dw: number, s1: number, s2: number, sb: number, O: number, I: number, T: number, betaIn: number, ibetaIn: number, phiOut: number, iphiOut: number, irbIn: number, irpOut: number, h: number, lrk: number, args: number): void;
  ec_skeleton_u(skU: number, w: number, dw: number, O: number, I: number, T: number, dtap: number, mode: number, rule: number, tailHidden: number, AdnIn: number, rowS: number, colS: number): void;
  ec_skeleton_save_state(sk1: number, sk2: number, s1: number, s2: number, O: number, I: number, T: number, dtap: number, mode: number): void;
  ec_skeleton_unbulk(sk1: number, sk2: number, w: number, dw: number, s1: number, s2: number, O: number, I: number, T: number, dtap: number, mode: number, betaIn: number, ibetaIn: number, phiOut: number, iphiOut: number, h: number, norms: number): void;
  ec_accum_down(Adn: number, rowS: number, AdnIn: number, O: number, I: number, tailHidden: number): void;
  ec_accum_up(Aup: number, colS: number, AupNext: number, I: number, Onext: number, nextHidden: number): void;
  ec_skeleton_step(skU: number, skV: number, skS: number, w: number, s1: number, s2: number, O: number, I: number, T: number, dtap: number, mode: number, rule: number, headHidden: number, AupOut: number, betaIn: number, phiOut: number, h: number, norms: number): void;
  ec_trust_lr(norms: number, lr: number, rho: number): number;
  ec_skeleton_ratio(skR: number, skV: number, skS: number, O: number, I: number, mode: number, rule: number, lrk: number, rmin: number): void;
  ec_ratio_phi(rpIn: number, rpOut: number, skR: number, O: number, I: number, mode: number, rule: number): void;
  ec_ratio_beta(rbOut: number, rbIn: number, rpOut: number, skR: number, O: number, I: number, mode: number, rule: number): void;
  ec_skeleton_save(skW: number, w: number, O: number, I: number, T: number, dtap: number, mode: number): void;
  ec_skeleton_apply(w: number, skW: number, skR: number, O: number, I: number, T: number, dtap: number, mode: number, rule: number, rbIn: number, rpOut: number): void;
  ec_scale_head(w: number, O: number, I: number, T: number, o: number, c: number): void;
  ec_scale_tail(w: number, O: number, I: number, T: number, i: number, c: number): void;
  path_gamma_forward(gOut: number, gIn: number, w: number, bias: number, O: number, I: number, T: number): void;
  path_gamma_backward(gIn: number, gOut: number, w: number, O: number, I: number, T: number): void;
  path_sgd_update(w: number, dw: number, O: number, I: number, T: number, igIn: number, gOut: number, lr: number): void;
  conv2d_desc(desc: number, C: number, H: number, W: number, O: number, KH: number, KW: number, strideH: number, strideW: number, padTop: number, padLeft: number, dilH: number, dilW: number, Ho: number, Wo: number): void;
  conv2d_desc_bytes(): number;
  conv2d_scratch_bytes(desc: number): number;
  conv2d_forward(y: number, x: number, w: number, bias: number, B: number, desc: number, scratch: number): void;
  conv2d_backward(dx: number, dw: number, dbias: number, dy: number, x: number, w: number, B: number, desc: number, scratch: number): void;
  maxpool2d_forward(y: number, argmax: number, x: number, B: number, C: number, H: number, W: number, KH: number, KW: number, sh: number, sw: number, Ho: number, Wo: number): void;
  maxpool2d_backward(dx: number, dy: number, argmax: number, B: number, C: number, H: number, W: number, Ho: number, Wo: number): void;
  avgpool2d_forward(y: number, x: number, B: number, C: number, H: number, W: number, KH: number, KW: number, sh: number, sw: number, Ho: number, Wo: number): void;
  avgpool2d_backward(dx: number, dy: number, B: number, C: number, H: number, W: number, KH: number, KW: number, sh: number, sw: number, Ho: number, Wo: number): void;
  global_avgpool_forward(y: number, x: number, B: number, C: number, HW: number): void;
  global_avgpool_backward(dx: number, dy: number, B: number, C: number, HW: number): void;
  pool_attach(pool: number): void;
  lr_schedule(kind: number, lr0: number, a: number, b: number, t: number, T: number): number;
  pool_worker_scratch_bytes(): number;
}

export interface InitOptions {
  /**
   * Threads for the kernels (GEMM work is split over them; results are bit-identical for any
   * count). Default: the available cores in Node (override with the ECOPT_THREADS environment
   * variable), 1 in browsers. More than 1 needs SharedArrayBuffer: in browsers the page must be
   * cross-origin isolated (COOP same-origin + COEP require-corp), otherwise init falls back to one
   * thread and says why in `runtime.note`.
   */
  threads?: number;
  /** Load the debug build (assertions, names) instead of the optimized release build (single thread). */
  debug?: boolean;
  /** Override where the .wasm file is fetched from (a URL or path), e.g. when bundling (single thread). */
  wasmURL?: string | URL;
  /** Raw bytes of the single-thread module, for environments that cannot fetch. */
  wasmBytes?: ArrayBuffer | Uint8Array;
  /**
   * Opt in to the relaxed-SIMD build (GEMM with f32x4.relaxed_madd: faster where the CPU fuses,
   * but results then depend on the hardware, so they are NOT bit-identical across machines or
   * engines). Single-threaded. Node 20 needs --experimental-wasm-relaxed-simd. Never the default.
   */
  relaxedSimd?: boolean;
}

export interface Runtime {
  kernels: Kernels;
  arena: Arena;
  /** Threads actually in use (the caller's thread included). */
  threads: number;
  build: 'release' | 'debug' | 'threads' | 'relaxed';
  /** Why fewer threads than requested are used, if so. */
  note?: string;
}

let runtime: Runtime | null = null;
let loading: Promise<Runtime> | null = null;

const inNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

async function readWasm(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = await import(/* @vite-ignore */ fsName);
    return new Uint8Array(await fs.readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`ecopt: could not fetch the wasm module from ${url} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

async function defaultThreads(): Promise<number> {
  if (!inNode) return 1;
  const env = process.env.ECOPT_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`ecopt.init: ECOPT_THREADS must be a positive integer, got '${env}'`);
    return n;
  }
  const osName = 'node:os';
  const os = await import(/* @vite-ignore */ osName);
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

const abortImport = (where: string) => (_msg: number, _file: number, line: number, col: number) => {
  throw new Error(`ecopt: wasm abort in ${where} at line ${line}:${col}`);
};

/** Starts threads-1 pool workers on the shared memory; resolves when all are waiting for work. */
async function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, pool: number, threads: number): Promise<void> {
  const url = new URL('./pool-worker.js', import.meta.url);
  const ready: Promise<void>[] = [];
  for (let tid = 1; tid < threads; tid++) {
    ready.push(new Promise<void>((resolve, reject) => {
      let unref = () => {};
      const onMessage = (m: { ready?: number; error?: string }) => {
        if (m.error) reject(new Error(`ecopt: pool worker ${tid} failed: ${m.error}`));
        else if (m.ready === tid) { unref(); resolve(); }
      };
      if (inNode) {
        const wtName = 'node:worker_threads';
        import(/* @vite-ignore */ wtName).then(({ Worker }) => {
          // the worker is a file: flags for the parent's own entry (e.g. --input-type with -e) must not reach it
          const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval');
          const w = new Worker(url, { execArgv });
          w.on('message', onMessage);
          w.on('error', reject);
          unref = () => w.unref(); // once serving, the worker must not keep the process alive
          w.postMessage({ module, memory, pool, tid });
        }, reject);
      } else {
        const w = new Worker(url, { type: 'module' });
        w.onmessage = (e) => onMessage(e.data);
        w.onerror = (e) => reject(new Error(`ecopt: pool worker ${tid} failed to start: ${e.message}`));
        w.postMessage({ module, memory, pool, tid });
      }
    }));
  }
  await Promise.all(ready);
}

/**
 * Loads the wasm kernels once. Safe to call repeatedly: later calls return the same runtime
 * (a later call asking for another build or thread count gets an error).
 */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  options = checkOptions(options, 'ecopt.init');
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new ArgumentError(`ecopt.init: threads must be a positive integer, got ${String(options.threads)}`);
  }
  const single = options.debug || options.relaxedSimd || options.wasmURL !== undefined || options.wasmBytes !== undefined;
  const requested = options.threads ?? (single ? 1 : await defaultThreads());
  if (runtime) {
    const want = options.debug ? 'debug' : options.relaxedSimd ? 'relaxed' : undefined;
    if (want && runtime.build !== want) throw new ArgumentError(`ecopt.init: already initialised with the ${runtime.build} build`);
    if (options.threads !== undefined && options.threads !== runtime.threads && !runtime.note) {
      throw new ArgumentError(`ecopt.init: already initialised with ${runtime.threads} thread(s)`);
    }
    return runtime;
  }
  if (!loading) {
    loading = (async () => {
      let threads = requested;
      let note: string | undefined;
      if (threads > 1 && single) {
        threads = 1;
        note = 'the debug build, the relaxed-SIMD build and custom wasm sources run single-threaded';
      }
      if (threads > 1 && (typeof SharedArrayBuffer === 'undefined' || (!inNode && !(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated))) {
        threads = 1;
        note = 'SharedArrayBuffer is unavailable (the page is not cross-origin isolated: serve it with COOP same-origin and COEP require-corp); running on one thread';
      }
      if (threads > 1) {
        const bytes = await readWasm(new URL('../build/ecopt.threads.wasm', import.meta.url));
        const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
        const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
        const instance = await WebAssembly.instantiate(module, { env: { memory, abort: abortImport('the main thread') } });
        const kernels = instance.exports as unknown as Kernels;
        const arena = new Arena(memory, kernels.heap_base());
        const per = kernels.pool_worker_scratch_bytes();
        const pool = arena.alloc(64, 'thread pool block');
        const scratch = arena.alloc(per * (threads - 1), 'worker scratch');
        const p = arena.i32(pool, 16);
        p[10] = threads; p[11] = scratch; p[12] = per;
        await startWorkers(module, memory, pool, threads);
        kernels.pool_attach(pool);
        const rt: Runtime = { kernels, arena, threads, build: 'threads', note };
        runtime = rt;
        return rt;
      }
      let bytes: Uint8Array;
      if (options.wasmBytes) bytes = options.wasmBytes instanceof Uint8Array ? options.wasmBytes : new Uint8Array(options.wasmBytes);
      else {
        const url = options.wasmURL !== undefined
          ? new URL(String(options.wasmURL), import.meta.url)
          : options.debug
            ? new URL('../build/ecopt.debug.wasm', import.meta.url)
            : options.relaxedSimd
              ? new URL('../build/ecopt.relaxed.wasm', import.meta.url)
              : new URL('../build/ecopt.wasm', import.meta.url);
        bytes = await readWasm(url);
      }
      let instance: WebAssembly.Instance;
      try {
        ({ instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, { env: { abort: abortImport('a kernel') } }));
      } catch (e) {
        if (options.relaxedSimd && e instanceof WebAssembly.CompileError) {
          throw new Error(`ecopt.init: this engine does not run relaxed SIMD (${e.message}); Node 20 needs the flag --experimental-wasm-relaxed-simd`);
        }
        throw e;
      }
      const kernels = instance.exports as unknown as Kernels;
      const build = options.debug ? 'debug' : options.relaxedSimd ? 'relaxed' : 'release';
      const rt: Runtime = { kernels, arena: new Arena(kernels.memory, kernels.heap_base()), threads: 1, build, note };
      runtime = rt;
      return rt;
    })();
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** The loaded runtime; throws a clear error when init() has not completed. */
export function getRuntime(): Runtime {
  if (!runtime) throw new Error('ecopt: call `await init()` before creating models or optimizers');
  return runtime;
}
