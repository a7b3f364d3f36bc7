// The Chromium side of bench/jax/browser.mjs: on a cross-origin-isolated page, ecopt and jax-js's wasm
// backend train the demo models in interleaved rounds (core.mjs). Query: ?threads=T&models=mlp,cnn
// &rounds-mlp=..&steps-mlp=..&warmup-mlp=.. (same for cnn). Sets window.__result (or __error).
import * as ecopt from '/dist/index.js';
import * as jax from '/jax/index.js';
import { runPair } from './core.mjs';

const q = new URLSearchParams(location.search);
const logEl = document.getElementById('log');
const log = (m) => { logEl.textContent += m + '\n'; console.log(m); };
try {
  const T = Number(q.get('threads') ?? 1);
  const relaxed = q.get('relaxed') === '1';
  const rt = await ecopt.init({ threads: T, relaxedSimd: relaxed });
  const devices = await jax.init('wasm');
  jax.defaultDevice('wasm');
  const { train, test } = await ecopt.loadMNIST({ baseURL: '/mnist/' });
  const probe = new Uint8Array('0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b'.match(/../g).map((h) => parseInt(h, 16)));
  const out = {
    threads: T, relaxed, crossOriginIsolated, userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency,
    ecoptRuntime: { threads: rt.threads, build: rt.build, note: rt.note ?? null },
    jax: { devices, device: jax.defaultDevice(), workerPool: typeof Worker !== 'undefined' && typeof SharedArrayBuffer !== 'undefined', workers: navigator.hardwareConcurrency, relaxedSimd: WebAssembly.validate(probe) },
    models: {},
  };
  const D = { mlp: [9, 6, 6], cnn: [5, 2, 2] };
  for (const which of (q.get('models') ?? 'mlp,cnn').split(',')) {
    const [r, s, w] = D[which];
    out.models[which] = await runPair({
      jax, ecopt, which, train, test,
      rounds: Number(q.get(`rounds-${which}`) ?? q.get('rounds') ?? r), steps: Number(q.get(`steps-${which}`) ?? s), warmup: Number(q.get(`warmup-${which}`) ?? w),
      log: (m) => log(`[${T}T chromium] ${m}`),
    });
  }
  window.__result = out;
} catch (e) {
  log(`error: ${e?.stack ?? e}`);
  window.__error = String(e?.stack ?? e);
}
