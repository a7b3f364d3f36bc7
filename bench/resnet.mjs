// Residual-network training throughput (issue #18 part 4): ResNet-20 and PlainNet-20 (BatchNorm, 3x32x32,
// 10 classes, batch 128, SGD) in ecopt at 1 and 2 threads, with SGD and EC-SGD mode 'graph', side by
// side with TensorFlow.js tf.layers on its wasm backend (one thread in Node; filter-gradient SHIM) and,
// on request, jax-js. Every (peer, thread count) runs in its own child process (bench/resnet/worker.mjs),
// set up and warmed up one at a time; then `rounds` rounds run each once for >= `seconds` (>= 1 step),
// order rotated every round, the others idle. Ratios (ecopt / tfjs-wasm at one thread, 2 threads / 1
// thread, EC-SGD / SGD) are paired by round. After the rounds each ecopt worker profiles a few steps
// (time shares of conv, BN, Add, ReLU, pooling, dense, loss, optimizer, EC, other). Prints markdown
// (bench/resnet/report.mjs renders it from the JSON) and writes the result with raw per-round numbers.
//
//   npm run bench:resnet        (builds first)        node bench/resnet.mjs [options]
//     --rounds 5  --seconds 3  --warmup 2  --nets resnet20,plainnet20  --threads 1,2
//     --peers ecopt-sgd,ecopt-ecsgd,tfjs-wasm[,jax-js]  --profile-steps 4  --batch 128  --lr 0.1
//     --max-step 60 (drop a peer whose second warm-up step takes longer)  --autogroup-nice N
//     --out bench/results/resnet.json  --verbose
// Needs `cd bench && npm ci` only for jax-js. --autogroup-nice: see worker.mjs (Linux autogroups make a
// nice 15 background job in another session take half the CPU; -10 gives the workers most of it).
import { fork, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { PEERS } from './resnet/peers.mjs';
import { NETS } from './resnet/nets.mjs';
import { summarize, render } from './resnet/report.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const DEFAULT_PEERS = Object.keys(PEERS).filter((id) => !PEERS[id].skip);
const usage = 'usage: node bench/resnet.mjs [--rounds N] [--seconds S] [--warmup S] [--nets resnet20,plainnet20] [--threads 1,2] ' +
  '[--peers id,...] [--profile-steps N] [--batch B] [--lr X] [--max-step S] [--autogroup-nice N] [--out file] [--verbose]\n' +
  `peers: ${Object.keys(PEERS).join(', ')} (default: ${DEFAULT_PEERS.join(', ')})`;

function parseArgs(argv) {
  const o = {
    rounds: 5, seconds: 3, warmup: 2, nets: Object.keys(NETS), threads: [1, 2], peers: DEFAULT_PEERS, profileSteps: 4,
    batch: 128, lr: 0.1, maxStep: 60, autogroupNice: null, out: `${root}bench/results/resnet.json`, verbose: false,
  };
  const fail = (msg) => { console.error(`${msg}\n${usage}`); process.exit(2); };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const val = () => (k + 1 < argv.length ? argv[++k] : fail(`${a} needs a value`));
    const num = (min) => { const v = Number(val()); if (!(v >= min)) fail(`${a} must be a number >= ${min}`); return v; };
    const list = () => val().split(',').filter(Boolean);
    if (a === '--rounds') o.rounds = Math.round(num(1));
    else if (a === '--seconds') o.seconds = num(0.01);
    else if (a === '--warmup') o.warmup = num(0);
    else if (a === '--nets') o.nets = list();
    else if (a === '--threads') o.threads = list().map(Number);
    else if (a === '--peers') o.peers = list();
    else if (a === '--profile-steps') o.profileSteps = Math.round(num(0));
    else if (a === '--batch') o.batch = Math.round(num(1));
    else if (a === '--lr') o.lr = num(0);
    else if (a === '--max-step') o.maxStep = num(0);
    else if (a === '--autogroup-nice') { const v = val(); o.autogroupNice = v === 'off' ? null : Number(v); if (Number.isNaN(o.autogroupNice)) fail('--autogroup-nice takes a number (-20..19) or off'); }
    else if (a === '--out') o.out = val();
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--help' || a === '-h') { console.log(usage); process.exit(0); }
    else fail(`unknown argument '${a}'`);
  }
  for (const n of o.nets) if (!NETS[n]) fail(`unknown net '${n}' (have: ${Object.keys(NETS).join(', ')})`);
  for (const p of o.peers) if (!PEERS[p]) fail(`unknown peer '${p}'`);
  for (const t of o.threads) if (!(Number.isInteger(t) && t >= 1)) fail(`--threads takes positive integers, got ${t}`);
  return o;
}

const pkgVersion = (dir, name) => { try { return JSON.parse(readFileSync(`${dir}node_modules/${name}/package.json`, 'utf8')).version; } catch { return null; } };
const git = (args) => { try { return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; } };
const readText = (f) => { try { return readFileSync(f, 'utf8').trim(); } catch { return null; } };

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  cpu = /model name\s*:\s*(.*)/.exec(readText('/proc/cpuinfo') ?? '')?.[1] ?? cpu;
  return {
    cpu, logicalCores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    packages: {
      '@tensorflow/tfjs': pkgVersion(root, '@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': pkgVersion(root, '@tensorflow/tfjs-backend-wasm'),
      '@jax-js/jax': pkgVersion(`${root}bench/`, '@jax-js/jax'),
    },
    ecopt: JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    worktreeDirty: Boolean(git(['status', '--porcelain', '--', 'src', 'assembly', 'bench'])),
  };
}

/** Aggregate CPU time counters of /proc/stat (null elsewhere). */
function cpuTimes() {
  const line = (readText('/proc/stat') ?? '').split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { user, nice, system, idle: idle + iowait, irq: irq + softirq, steal };
}
/** Shares of CPU time between two cpuTimes(): busy (all non-idle), nice (niced processes: background jobs), steal (the hypervisor's). */
function cpuShares(a, b) {
  if (!a || !b) return null;
  const d = Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
  const total = d.user + d.nice + d.system + d.idle + d.irq + d.steal;
  return total > 0 ? { busy: 1 - d.idle / total, nice: d.nice / total, user: d.user / total, system: d.system / total, steal: d.steal / total } : null;
}

/** A forked worker with a message queue: `next()` resolves with the next message (or a synthetic error on exit). */
function spawnWorker(cfg, opts) {
  const child = fork(fileURLToPath(new URL('./resnet/worker.mjs', import.meta.url)), [JSON.stringify(cfg)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: cfg.autogroupNice != null, // a session (so an autogroup) of its own
  });
  const tag = `${cfg.peer}@${cfg.threads}`;
  child.stdout.on('data', (d) => opts.verbose && process.stderr.write(`[${tag}] ${d}`));
  child.stderr.on('data', (d) => opts.verbose && process.stderr.write(`[${tag}] ${d}`));
  const queue = [], waiters = [];
  const push = (m) => (waiters.length ? waiters.shift()(m) : queue.push(m));
  child.on('message', push);
  child.on('exit', (code, signal) => push({ type: 'error', phase: 'exit', message: `worker exited (code ${code}, signal ${signal})` }));
  return {
    child,
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))),
    send: (m) => child.connected && child.send(m),
  };
}

const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function runNet(net, opts) {
  const N = NETS[net];
  const B = opts.batch;
  console.log(`\n== ${N.name}, batch ${B}`);
  // instances: (peer, threads); single-thread peers run only when 1 thread is measured (their pair)
  const instances = [];
  for (const peer of opts.peers) {
    const P = PEERS[peer];
    const ts = P.threads === 'any' ? opts.threads : P.threads.filter((t) => opts.threads.includes(t));
    for (const threads of ts) instances.push({ id: `${peer}@${threads}`, peer, label: P.label, threads, rounds: [] });
  }
  const live = [];
  console.log(`   setup + warm-up, one worker at a time (>= ${opts.warmup} s and >= 2 steps each)`);
  for (const inst of instances) {
    const t0 = performance.now();
    const w = spawnWorker({ peer: inst.peer, net, threads: inst.threads, batch: B, lr: opts.lr, warmup: opts.warmup, maxStep: opts.maxStep, autogroupNice: opts.autogroupNice }, opts);
    const m = await w.next();
    if (m.type === 'ready') {
      Object.assign(inst, { status: 'ok', info: m.info, warmup: { stepMs: m.warmupMs, loss: m.loss } });
      live.push([inst, w]);
      console.log(`   ${inst.label.padEnd(28)} ${inst.threads}T ready in ${sec(performance.now() - t0)} (warm-up steps ${m.warmupMs.map((x) => sec(x)).join(', ')}; loss ${Number(m.loss).toFixed(3)})`);
    } else {
      inst.status = m.phase === 'too slow' ? 'too slow' : m.phase === 'setup' ? 'failed' : 'not supported';
      inst.error = { phase: m.phase, message: m.message };
      console.log(`   ${inst.label.padEnd(28)} ${inst.threads}T ${inst.status.toUpperCase()} in ${m.phase}: ${m.message}`);
      if (opts.verbose && m.stack) console.log(m.stack);
      w.child.kill();
    }
  }

  const before = cpuTimes();
  const loadBefore = os.loadavg();
  for (let round = 0; round < opts.rounds; round++) {
    const order = live.map((_, k) => live[(k + round) % live.length]);
    const line = [];
    for (const entry of order) {
      const [inst, w] = entry;
      w.send({ type: 'run', seconds: opts.seconds });
      const m = await w.next();
      if (m.type !== 'result') {
        Object.assign(inst, { status: 'failed', error: { phase: m.phase, message: m.message } });
        console.log(`   ${inst.label} ${inst.threads}T: FAILED in round ${round + 1}: ${m.message}`);
        live.splice(live.indexOf(entry), 1);
        w.child.kill();
        continue;
      }
      const rate = (m.steps * B) / (m.ms / 1000);
      inst.rounds.push({ round: round + 1, steps: m.steps, ms: m.ms, samplesPerSec: rate, loss: m.loss, cpu: m.cpu, loadavg1: os.loadavg()[0] });
      line.push(`${inst.id} ${rate.toFixed(1)}`);
    }
    console.log(`   round ${round + 1}/${opts.rounds}: ${line.join(', ')} samples/s`);
  }
  const cpu = cpuShares(before, cpuTimes());
  const loadAfter = os.loadavg();

  const profiles = [];
  if (opts.profileSteps > 0) {
    for (const [inst, w] of live) {
      if (!PEERS[inst.peer].profile) continue;
      w.send({ type: 'profile', steps: opts.profileSteps });
      const m = await w.next();
      if (m.type !== 'profile') {
        profiles.push({ id: inst.id, label: inst.label, threads: inst.threads, error: { phase: m.phase, message: m.message } });
        console.log(`   profile ${inst.id} FAILED: ${m.message}`);
        continue;
      }
      const { type, ...p } = m;
      profiles.push({ id: inst.id, label: inst.label, threads: inst.threads, ...p });
      console.log(`   profile ${inst.id}: ${p.msPerStep.toFixed(0)} ms/step; ` +
        Object.entries(p.groups).filter(([, g]) => g.share >= 0.001).map(([k, g]) => `${k} ${(100 * g.share).toFixed(1)}%`).join(', '));
    }
  }
  for (const [, w] of live) w.send({ type: 'exit' });

  // summaries and same-round ratios
  for (const inst of instances) {
    inst.summary = summarize(inst.rounds.map((r) => r.samplesPerSec));
    inst.cpu = summarize(inst.rounds.map((r) => r.cpu));
  }
  const byId = Object.fromEntries(instances.map((i) => [i.id, i]));
  const paired = (a, b) => {
    if (!a?.rounds.length || !b?.rounds.length) return null;
    const rs = a.rounds.map((x) => { const y = b.rounds.find((r) => r.round === x.round); return y ? x.samplesPerSec / y.samplesPerSec : null; }).filter((x) => x != null);
    return rs.length ? { ...summarize(rs), perRound: rs } : null;
  };
  const ratios = { vsTfjs: {}, vsJax: {}, scaling: {}, ecCost: {} };
  for (const inst of instances) {
    if (!inst.peer.startsWith('ecopt') || inst.threads !== 1) continue;
    const t = paired(inst, byId['tfjs-wasm@1']);
    if (t) ratios.vsTfjs[inst.id] = t;
    const j = paired(inst, byId['jax-js@1']);
    if (j) ratios.vsJax[inst.id] = j;
  }
  const [t1, t2] = [Math.min(...opts.threads), Math.max(...opts.threads)];
  if (t1 !== t2) {
    for (const peer of ['ecopt-sgd', 'ecopt-ecsgd']) {
      const s = paired(byId[`${peer}@${t2}`], byId[`${peer}@${t1}`]);
      if (s) ratios.scaling[peer] = { from: t1, to: t2, ...s };
    }
  }
  for (const T of opts.threads) {
    const s = paired(byId[`ecopt-sgd@${T}`], byId[`ecopt-ecsgd@${T}`]);
    if (s) ratios.ecCost[T] = s;
  }
  const parameters = {};
  for (const inst of instances) if (inst.info?.parameters != null) parameters[inst.peer.startsWith('ecopt') ? 'ecopt' : inst.peer] = inst.info.parameters;
  const counts = new Set(Object.values(parameters));
  console.log(`   trainable parameters: ${Object.entries(parameters).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}${counts.size > 1 ? '  MISMATCH' : counts.size ? ' (equal)' : ''}`);
  return {
    net, name: N.name, batch: B, parameters, parametersMatch: counts.size <= 1,
    loadavg: { before: loadBefore, after: loadAfter }, cpu, pressure: readText('/proc/pressure/cpu'), instances, ratios, profiles,
  };
}

const opts = parseArgs(process.argv.slice(2));
const info = machine();
const autogroup = readText('/proc/sys/kernel/sched_autogroup_enabled') === '1';
const started = new Date().toISOString();
const loadBefore = os.loadavg();
console.log(`resnet benchmark: ${info.cpu}, ${info.logicalCores} logical cores, Node ${info.node}; ${opts.rounds} rounds x >= ${opts.seconds} s per peer; ` +
  `load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
if (autogroup && opts.autogroupNice == null) {
  console.log('   note: scheduler autogroups are on: a niced background job in another session still gets about half the CPU; ' +
    '2-thread numbers suffer most (--autogroup-nice -10 weights this benchmark\'s workers up)');
}
const skipped = Object.keys(PEERS).filter((id) => PEERS[id].skip && !opts.peers.includes(id)).map((id) => ({ id, label: PEERS[id].label, reason: PEERS[id].skip }));
for (const s of skipped) console.log(`   ${s.label}: SKIPPED, ${s.reason}`);
const nets = [];
for (const n of opts.nets) nets.push(await runNet(n, opts));
const result = {
  started, finished: new Date().toISOString(), command: `node bench/resnet.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  options: { ...opts, out: undefined, verbose: undefined }, machine: info,
  scheduler: { autogroup, autogroupNice: opts.autogroupNice },
  loadavg: { before: loadBefore, after: os.loadavg() }, skipped, nets,
  notes: Object.fromEntries(Object.entries(PEERS).filter(([, p]) => p.note).map(([id, p]) => [id, p.note])),
};
console.log(`\nload average after: ${result.loadavg.after.map((x) => x.toFixed(2)).join(' ')}\n`);
console.log(render(result));
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${relative(process.cwd(), opts.out) || opts.out}`);
