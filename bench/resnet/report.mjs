// Summaries and markdown of a residual-network benchmark result (the JSON bench/resnet.mjs writes):
// `summarize` (median, quartiles, range) is shared with the runner; `render(result)` returns the
// markdown (throughput with ratios vs tfjs-wasm, 1 vs 2 threads, the EC-SGD step cost, the time
// shares per step, skipped or failed peers, machine and load) for a doc generator.
//   node bench/resnet/report.mjs bench/results/resnet.json      prints the markdown
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const p = (s.length - 1) * q, lo = Math.floor(p), hi = Math.ceil(p);
  return s[lo] + (s[hi] - s[lo]) * (p - lo);
};

/** { n, median, q1, q3, min, max } of a non-empty list (null for an empty one). */
export function summarize(xs) {
  if (!xs?.length) return null;
  return { n: xs.length, median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), min: Math.min(...xs), max: Math.max(...xs) };
}

const GROUP_LABELS = { conv: 'conv', bn: 'BN', add: 'Add', relu: 'ReLU', pool: 'pool', dense: 'dense', loss: 'loss', optimizer: 'optimizer', ec: 'EC', other: 'other' };
const int = (x) => (x == null ? '-' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
const spread = (s, f) => `${f(s.median)} [${f(s.min)}-${f(s.max)}]`;
const pct = (x) => (x <= 0 ? '0' : x < 0.0001 ? '<0.01' : (100 * x).toFixed(x < 0.01 ? 2 : x < 0.1 ? 1 : 0));
const table = (head, rows, align) => [
  `| ${head.join(' | ')} |`,
  `|${head.map((_, c) => (align?.[c] === 'l' ? ':---' : '---:')).join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

/** The markdown of a result object (see bench/resnet.mjs for its fields). */
export function render(result) {
  const o = result.options;
  const out = [];
  const nets = result.nets;
  const m = result.machine;
  out.push(`Training throughput at batch ${o.batch} (3x32x32 inputs, 10 classes, SGD lr ${o.lr}), samples/s: median [min-max] over ` +
    `${o.rounds} interleaved rounds (every peer in its own process, order rotated each round, >= ${o.seconds} s of steps per peer and round while the others wait). ` +
    `Ratios are taken per round (same-round pairs), then summarized.`);

  // Throughput.
  const rows = [];
  const withJax = nets.some((n) => Object.keys(n.ratios.vsJax ?? {}).length);
  for (const n of nets) {
    for (const inst of n.instances) {
      const s = inst.summary;
      const vs = n.ratios.vsTfjs?.[inst.id];
      const vj = n.ratios.vsJax?.[inst.id];
      rows.push([n.name, inst.label, String(inst.threads), s ? spread(s, int) : inst.status,
        s ? (1000 * o.batch / s.median).toFixed(0) : '', vs ? `${spread(vs, ratio)}x` : inst.peer === 'tfjs-wasm' ? '1' : '-',
        ...(withJax ? [vj ? `${spread(vj, ratio)}x` : inst.peer === 'jax-js' ? '1' : '-'] : []),
        inst.cpu ? inst.cpu.median.toFixed(2) : '']);
    }
  }
  out.push('', table(['net', 'peer', 'threads', 'samples/s', 'ms/step', 'ecopt / tfjs-wasm, 1 thread', ...(withJax ? ['ecopt / jax-js, 1 thread'] : []), 'CPU/wall'], rows, ['l', 'l']));
  out.push('', 'CPU/wall: CPU seconds the peer\'s process got per wall-clock second during its timed runs (median over rounds): about 1 ' +
    'for one thread and up to 2 for two on an idle machine; lower means other processes took the cores.');
  const tf = nets.flatMap((n) => n.instances).find((i) => i.peer === 'tfjs-wasm');
  if (tf) {
    out.push('', 'tfjs-wasm is compared with ecopt at one thread only: in Node its backend loads the non-threaded SIMD binary whatever ' +
      'setThreadsCount says. Its filter gradient is our SHIM (bench/peers/conv-filter-shim.mjs; tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel).');
  }
  const counts = nets.map((n) => `${n.name} ${Object.entries(n.parameters).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}${n.parametersMatch ? '' : ' (MISMATCH)'}`);
  out.push('', `Trainable parameters: ${counts.join('; ')}.`);

  // 1 vs 2 threads.
  const sc = [];
  for (const n of nets) for (const [id, s] of Object.entries(n.ratios.scaling ?? {})) sc.push([n.name, n.instances.find((i) => i.peer === id)?.label.replace(/^ecopt /, '') ?? id, `${s.from}T -> ${s.to}T`, `${spread(s, ratio)}x`]);
  if (sc.length) out.push('', 'ecopt with more threads (the ratio of samples/s, paired by round):', '', table(['net', 'optimizer', 'threads', 'speed-up'], sc, ['l', 'l', 'l']));

  // EC-SGD cost.
  const ec = [];
  for (const n of nets) for (const [T, s] of Object.entries(n.ratios.ecCost ?? {})) ec.push([n.name, T, `${spread(s, ratio)}x`]);
  if (ec.length) out.push('', "EC-SGD 'graph' step time / SGD step time (paired by round):", '', table(['net', 'threads', 'EC-SGD / SGD'], ec, ['l', 'l']));

  // Time shares.
  const pr = [];
  const groups = Object.keys(GROUP_LABELS);
  for (const n of nets) {
    for (const p of n.profiles ?? []) {
      if (!p.groups) continue;
      const c = p.groups.conv;
      pr.push([n.name, p.label.replace(/^ecopt /, ''), String(p.threads), p.msPerStep.toFixed(0), ...groups.map((g) => pct(p.groups[g].share)),
        c.forwardMs != null ? `${c.forwardMs.toFixed(0)} / ${c.backwardMs.toFixed(0)}` : '-']);
    }
  }
  if (pr.length) {
    out.push('', `Where an ecopt training step goes, % of the step (mean of ${o.profileSteps} steps per row, after the timed rounds; the layer ` +
      'classes\' forward/backward methods, the loss and the optimizer update wrapped with timers). conv: Conv2D (3x3 and 1x1 projections); ' +
      'pool: global average pooling; EC: the whole EC-SGD update (path values, path step, trust region, allocation back to the weights, ' +
      'the plain rule for parameters outside the EC structure); other: input and label copy, the step guard (parameter backup, ' +
      'non-finite checks), gradient sums where a tensor fans out (block inputs feed a conv and the shortcut), dispatch. ' +
      'The last column splits the conv time into forward and backward, ms per step. Each row is one process measured once (not interleaved), ' +
      'so its ms/step carries the machine\'s noise; the shares within a row are measured together.', '',
    table(['net', 'optimizer', 'threads', 'ms/step', ...groups.map((g) => `${GROUP_LABELS[g]} %`), 'conv fwd / bwd ms'], pr, ['l', 'l']));
  }

  // Peers that did not run.
  const notes = [];
  for (const n of nets) for (const i of n.instances) if (i.error) notes.push(`- ${n.name}, ${i.label}${i.threads ? ` (${i.threads} thread)` : ''}: ${i.status} (${i.error.phase}): ${i.error.message}`);
  for (const s of result.skipped ?? []) notes.push(`- ${s.label}: ${s.reason}`);
  if (notes.length) out.push('', 'Not measured:', '', ...[...new Set(notes)]);

  // Machine and load.
  const la = (a) => a.map((x) => x.toFixed(2)).join(' ');
  const bg = nets.map((n) => (n.cpu ? `${n.name} ${pct(n.cpu.nice)}% nice / ${pct(n.cpu.busy)}% busy` : null)).filter(Boolean);
  out.push('', `Machine: ${m.cpu}, ${m.logicalCores} logical cores, Node ${m.node}; ecopt ${m.ecopt} (${m.commit ?? '?'}${m.worktreeDirty ? ', dirty' : ''}), ` +
    `tfjs ${m.packages['@tensorflow/tfjs'] ?? '-'}, tfjs-backend-wasm ${m.packages['@tensorflow/tfjs-backend-wasm'] ?? '-'}, jax-js ${m.packages['@jax-js/jax'] ?? '-'}; ` +
    `${result.started.slice(0, 16).replace('T', ' ')} UTC. Load average ${la(result.loadavg.before)} at the start, ${la(result.loadavg.after)} at the end` +
    (bg.length ? `; CPU time during the measurements (both cores): ${bg.join(', ')} (nice = background jobs)` : '') + '.' +
    (!result.scheduler?.autogroup ? '' : result.scheduler.autogroupNice != null
      ? ` Scheduler autogroups are on; the workers ran in sessions of their own with autogroup nice ${result.scheduler.autogroupNice} (--autogroup-nice).`
      : ' Scheduler autogroups are on and the workers shared the runner\'s session (no --autogroup-nice): jobs in other sessions got a fair share of the CPU whatever their nice value.'));
  return out.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) { console.error('usage: node bench/resnet/report.mjs <result.json>'); process.exit(2); }
  process.stdout.write(render(JSON.parse(readFileSync(file, 'utf8'))));
}
