// Markdown for docs/benchmarks.md from bench/peers/run.mjs's JSON (bench/results/peers.json):
// one table per workload (samples/s median and range over rounds, ms/step, ecopt SGD / peer) and
// the EC overhead measured by alternating SGD and EC-SGD steps in one process.
//   node bench/peers/report.mjs [bench/results/peers.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const int = (x) => Math.round(x).toLocaleString('en-US');
const ratio = (x) => (x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`);
const load = (l) => l.map((x) => x.toFixed(1)).join(' / ');

/** The machine line shared by every section: cpu, cores, Node, load at the start and end. */
export function conditions(r) {
  const m = r.machine;
  return `${r.started.slice(0, 16).replace('T', ' ')} UTC, ecopt ${m.ecopt} at ${m.commit}${m.worktreeDirty ? ' (modified)' : ''}, ` +
    `Node ${m.node}, ${m.logicalCores} logical cores; load average ${load(r.loadavg.before)} at the start, ${load(r.loadavg.after)} at the end`;
}

export function render(r) {
  const out = [];
  out.push(`Run of ${conditions(r)}; ${r.options.rounds} rounds of >= ${r.options.seconds} s per peer. ` +
    `Peers: ${Object.entries(r.machine.packages).map(([k, v]) => `\`${k}\` ${v}`).join(', ')}. Command: \`${r.command}\`.`);
  for (const w of r.workloads) {
    out.push('', `### ${w.name}`, '', '| peer | samples/s (median) | min - max | ms/step | ecopt SGD / peer | final loss |', '|---|---:|---:|---:|---:|---:|');
    for (const p of w.peers) {
      if (!p.median) { out.push(`| ${p.label} | ${p.status}${p.error ? `: \`${p.error.message.split('\n')[0]}\`` : ''} | | | | |`); continue; }
      const best = p.id === 'ecopt-sgd';
      out.push(`| ${p.label} | ${best ? '**' : ''}${int(p.median)}${best ? '**' : ''} | ${int(p.min)} - ${int(p.max)} | ${p.msPerStep.toFixed(1)} | ${ratio(p.ecoptOverPeer)} | ${Number(p.finalLoss).toFixed(3)} |`);
    }
    const e = w.ecOverhead;
    if (e?.pairedMedian != null) {
      out.push('', `EC overhead (EC-SGD step time / SGD step time): **${e.pairedMedian.toFixed(3)}**, the median of ${e.pairs} adjacent pairs of steps ` +
        `alternating in one process (median step ${e.ecMedianMs.toFixed(1)} ms EC-SGD, ${e.sgdMedianMs.toFixed(1)} ms SGD); ${e.fromMedians?.toFixed(3) ?? '?'} from the two peers' medians above.`);
    }
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../results/peers.json', import.meta.url));
  console.log(render(JSON.parse(readFileSync(file, 'utf8'))));
}
