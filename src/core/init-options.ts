// The options of init(): thread count, build (debug, relaxed SIMD) and, for bundled apps, where the
// wasm modules and the pool worker are fetched from.

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
