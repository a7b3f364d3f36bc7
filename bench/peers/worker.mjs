// Child process of run.mjs: one peer on one workload. Sets up, warms up, then answers
// { type: 'run', seconds } with { type: 'result', steps, ms, loss } until told { type: 'exit' }.
// Usage (normally forked by run.mjs): node worker.mjs <peer-id> <workload> <warmup-seconds>
import { PEERS } from './peers.mjs';

const [id, workload, warmupArg] = process.argv.slice(2);
const warmupSec = Number(warmupArg ?? 1);
const send = (m) => new Promise((resolve) => process.send(m, resolve));
const errInfo = (phase, e) => ({ type: 'error', phase, message: String(e?.message ?? e), stack: String(e?.stack ?? '') });

let impl;
let i = 0;
try {
  const p = PEERS[id];
  if (!p) throw new Error(`unknown peer '${id}'`);
  impl = await (await import(p.module)).setup(p.variant, workload, p.opts ?? {});
} catch (e) {
  await send(errInfo('setup', e));
  process.exit(1);
}

try {
  // Warm up: >= warmupSec of stepping and >= 2 steps (1 if a step takes over 3 s): V8 tiers up JS and
  // wasm, tfjs creates its XNNPACK operators and kernels, allocators reach their steady state.
  const t0 = performance.now();
  let loss;
  for (;;) {
    loss = await impl.step(i++);
    const el = performance.now() - t0;
    if (el >= warmupSec * 1000 && (i >= 2 || el > 3000)) break;
  }
  impl.report?.(); // drop warm-up timings
  await send({ type: 'ready', warmupSteps: i, warmupMs: performance.now() - t0, loss, info: impl.info ?? {} });
} catch (e) {
  await send(errInfo('warmup (first training steps)', e));
  process.exit(1);
}

process.on('message', async (m) => {
  if (m.type === 'exit') process.exit(0);
  if (m.type !== 'run') return;
  try {
    let steps = 0, loss;
    const t0 = performance.now();
    do { loss = await impl.step(i++); steps++; } while (performance.now() - t0 < m.seconds * 1000);
    const ms = performance.now() - t0;
    await send({ type: 'result', steps, ms, loss, extra: impl.report?.() });
  } catch (e) {
    await send(errInfo('timed run', e));
    process.exit(1);
  }
});
