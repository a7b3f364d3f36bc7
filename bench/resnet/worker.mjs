// Child process of bench/resnet.mjs: one peer, one net, one thread count. Sets up, warms up (>=
// `warmup` s and >= 2 steps: the first step of every library is special, JIT tiers, XNNPACK operator
// creation, jit compiles), then answers { type: 'run', seconds } with { type: 'result', steps, ms,
// loss, cpu } (>= 1 step), { type: 'profile', steps } with the time-share profile (ecopt only), and
// exits on { type: 'exit' } or when the parent goes away.
// Usage (forked by bench/resnet.mjs): node worker.mjs '<json config>'
//   config: { peer, net, threads, batch, lr, warmup, maxStep, autogroupNice }
import { readFileSync, writeFileSync } from 'node:fs';
import { PEERS } from './peers.mjs';

const cfg = JSON.parse(process.argv[2]);
const send = (m) => new Promise((resolve) => process.send(m, resolve));
const errInfo = (phase, e) => ({ type: 'error', phase, message: String(e?.message ?? e), stack: String(e?.stack ?? '') });
process.on('disconnect', () => process.exit(0));

// With scheduler autogroups (Linux, sched_autogroup_enabled), CPU time is shared fairly between
// sessions before nice values count: a `nice 15` job in another session still gets half the CPU.
// The runner starts workers in sessions of their own (detached); --autogroup-nice weights them.
let autogroup = null;
try {
  if (cfg.autogroupNice != null) writeFileSync('/proc/self/autogroup', String(cfg.autogroupNice));
  autogroup = readFileSync('/proc/self/autogroup', 'utf8').trim();
} catch (e) {
  if (cfg.autogroupNice != null) { await send(errInfo('setup', new Error(`cannot set /proc/self/autogroup to ${cfg.autogroupNice}: ${e.message}`))); process.exit(1); }
}

let impl;
let i = 0;
try {
  const p = PEERS[cfg.peer];
  if (!p) throw new Error(`unknown peer '${cfg.peer}'`);
  impl = await (await import(p.module)).setup({ ...cfg, variant: p.variant });
} catch (e) {
  await send(errInfo('setup', e));
  process.exit(1);
}

try {
  const t0 = performance.now();
  const stepMs = [];
  let loss;
  for (;;) {
    const s = performance.now();
    loss = await impl.step(i++);
    stepMs.push(performance.now() - s);
    if (cfg.maxStep && i >= 2 && stepMs[i - 1] > cfg.maxStep * 1000) {
      throw Object.assign(new Error(`too slow: warm-up steps took ${stepMs.map((m) => (m / 1000).toFixed(1)).join(', ')} s (limit --max-step ${cfg.maxStep} s after the first)`), { tooSlow: true });
    }
    if (performance.now() - t0 >= cfg.warmup * 1000 && i >= 2) break;
  }
  await send({ type: 'ready', warmupMs: stepMs, loss, info: { ...impl.info, autogroup, pid: process.pid } });
} catch (e) {
  await send(errInfo(e.tooSlow ? 'too slow' : 'warm-up (first training steps)', e));
  process.exit(1);
}

process.on('message', async (m) => {
  if (m.type === 'exit') process.exit(0);
  try {
    if (m.type === 'run') {
      // cpu: CPU time this process got (all its threads) per wall-clock second: ~1 for one thread and
      // up to ~2 for two on an idle machine; less means the scheduler gave the time to someone else.
      let steps = 0, loss;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      do { loss = await impl.step(i++); steps++; } while (performance.now() - t0 < m.seconds * 1000);
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      await send({ type: 'result', steps, ms, loss, cpu: (c.user + c.system) / 1000 / ms });
    } else if (m.type === 'profile') {
      if (!impl.profile) throw new Error(`${cfg.peer} has no profile`);
      const r = impl.profile(m.steps, i);
      i += m.steps;
      await send({ type: 'profile', ...r });
    }
  } catch (e) {
    await send(errInfo(m.type === 'profile' ? 'profile' : 'timed run', e));
    process.exit(1);
  }
});
