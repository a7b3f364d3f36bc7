// docs/results.md from docs/results.template.md and the results files docs/results/*.json
// (npm run results:md). The template's prose is written by hand; every table, command and number in
// it comes from a placeholder filled from the recorded JSON:
//   {{table:NAME}}              the table the experiment wrote (NAME.json), rows with run ids/hashes
//   {{command:NAME}}            the exact command, its wall time, commit, build and threads
//   {{stat:NAME:PREFIX:STAT}}   over the runs of NAME whose id starts with PREFIX: final | best | loss
//                               (mean ± std, accuracies in %), tr (trust-region-limited steps, % of all
//                               steps), trmax (largest per-run %), n (runs), perseed (final accuracies)
//   {{files}}                   every results file: commit, build, data (counts, SHA-256), runs, time
//   {{trust}}                   the trust-region fraction of every EC optimizer in every study
//   {{include:FILE}}            a file under docs/results/ (e.g. the last verify table)
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from './records.js';
import { mean, std } from './stats.js';
import { mdTable } from './report.js';

type Json = Record<string, any>;

const best = (r: RunRecord) => Math.max(...r.epochs.map((e) => e.testAccuracy));
const pm = (xs: number[], k: number, d: number) => `${(mean(xs) * k).toFixed(d)} ± ${(std(xs) * k).toFixed(d)}`;
const pct2 = (f: number) => (f === 0 ? '0' : f >= 0.1 ? f.toFixed(2) : f.toPrecision(2));

/** Trust-region-limited steps of runs, as a % of all their steps. */
function trPct(rs: RunRecord[]): number {
  const steps = rs.reduce((a, r) => a + (r.trustRegionSteps ?? 0), 0);
  const capped = rs.reduce((a, r) => a + (r.trustRegionActive ?? 0) * (r.trustRegionSteps ?? 0), 0);
  return steps ? (capped / steps) * 100 : NaN;
}

function stat(json: Json, prefix: string, what: string): string {
  const rs = (json.runs as RunRecord[]).filter((r) => r.id?.startsWith(prefix));
  if (!rs.length) throw new Error(`no runs with ids starting ${prefix} in ${json.experiment}`);
  switch (what) {
    case 'final': return pm(rs.map((r) => r.finalTestAccuracy), 100, 2);
    case 'best': return pm(rs.map(best), 100, 2);
    case 'loss': return pm(rs.map((r) => r.finalTrainLoss), 1, 4);
    case 'tr': return `${pct2(trPct(rs))}%`;
    case 'trmax': return `${pct2(Math.max(...rs.map((r) => (r.trustRegionActive ?? NaN) * 100)))}%`;
    case 'n': return String(rs.length);
    case 'perseed': return rs.map((r) => (r.finalTestAccuracy * 100).toFixed(2)).join(' / ');
    default: throw new Error(`unknown stat '${what}' (final, best, loss, tr, trmax, n, perseed)`);
  }
}

const shortCommit = (c: string) => (c ? c.slice(0, 7) + (c.endsWith('-dirty') ? '-dirty' : '') : 'unknown');

function command(json: Json): string {
  const env = json.environment ?? {};
  const b = json.build ?? {};
  return '```sh\n' + `${json.command}\n` + '```\n' +
    `(${Math.round(env.seconds ?? 0)} s wall; commit \`${shortCommit(json.commit)}\`, ${b.name ?? '?'} build, ${env.threads ?? '?'} thread${env.threads === 1 ? '' : 's'}, ${env.node ?? ''})`;
}

function filesTable(files: [string, Json][]): string {
  const rows = files.map(([name, j]) => {
    const d = j.dataset;
    const data = d ? `${d.dataset}: ${Object.entries(d.ranges as Record<string, { split: string; from: number; to: number; count: number; sha256: string }>)
      .map(([k, r]) => `${k} ${r.split}[${r.from}:${r.to}] (${r.count}, \`${r.sha256.slice(0, 8)}\`)`).join(', ')}` : '(not recorded)';
    const n = Array.isArray(j.runs) ? j.runs.length : Array.isArray(j.timings) ? j.timings.length : 0;
    return [`[${name}.json](results/${name}.json)`, j.commit ? `\`${shortCommit(j.commit)}\`` : '(older build, not recorded)',
      j.build ? `${j.build.name}, wasm \`${String(j.build.wasmSha256).slice(0, 8)}\`` : '-', data, n, Math.round(j.environment?.seconds ?? 0)];
  });
  return mdTable(['results file', 'commit', 'build', 'data (range, count, SHA-256)', 'runs', 's'], rows);
}

function trustTable(files: [string, Json][]): string {
  const rows: (string | number)[][] = [];
  for (const [name, j] of files) {
    if (!Array.isArray(j.runs)) continue;
    const byArm = new Map<string, RunRecord[]>();
    for (const r of j.runs as RunRecord[]) {
      if (r.trustRegionSteps === undefined) continue;
      const k = r.arm ?? r.optimizer;
      byArm.set(k, [...(byArm.get(k) ?? []), r]);
    }
    for (const [arm, rs] of byArm) {
      const per = rs.map((r) => (r.trustRegionActive ?? 0) * 100);
      const rhos = [...new Set(rs.map((r) => r.trustRegion))].join(', ');
      rows.push([name, arm, rhos, rs.length, `${pct2(trPct(rs))}%`, `${pct2(Math.min(...per))}% - ${pct2(Math.max(...per))}%`, rs.reduce((a, r) => a + (r.trustRegionSteps ?? 0), 0)]);
    }
  }
  return mdTable(['study', 'arm', 'rho', 'runs', 'steps trust-region-limited (all steps)', 'range over runs', 'steps'], rows);
}

/** Renders the template with the results files of `dir` (docs/results). */
export function renderResultsMd(template: string, dir: string): string {
  const cache = new Map<string, Json>();
  const load = (name: string): Json => {
    if (!cache.has(name)) cache.set(name, JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')));
    return cache.get(name)!;
  };
  const all = (): [string, Json][] => readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => [f.slice(0, -5), load(f.slice(0, -5))]);
  return template.replace(/\{\{([a-z]+)(?::([^}]*))?\}\}/g, (_, kind: string, arg = '') => {
    const [name, ...rest] = arg.split(':');
    switch (kind) {
      case 'table': return load(name).table;
      case 'command': return command(load(name));
      case 'stat': return stat(load(name), rest[0], rest[1]);
      case 'files': return filesTable(all());
      case 'trust': return trustTable(all().filter(([, j]) => j.commit));
      case 'include': return existsSync(join(dir, arg)) ? readFileSync(join(dir, arg), 'utf8').trim() : `(${arg} not written yet)`;
      default: throw new Error(`unknown placeholder {{${kind}}}`);
    }
  });
}
