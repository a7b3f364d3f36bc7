// docs/results.md from docs/results.template.md and the results files docs/results/*.json
// (npm run results:md). The template's prose is written by hand; every table, command and number in
// it comes from a placeholder filled from the recorded JSON:
//   {{table:NAME}}              the table the experiment wrote (NAME.json), rows with run ids/hashes
//   {{command:NAME}}            the exact command, its wall time, commit, build and threads
//   {{stat:NAME:PREFIX:STAT}}   over the runs of NAME whose id starts with PREFIX: final | best | loss
//                               (mean ± std, accuracies in %), tr (trust-region-limited steps, % of all
//                               steps), trmax (largest per-run %), trscale (median over runs of the
//                               median lr multiplier), n (runs), perseed (final accuracies)
//   {{trustepochs:NAME:PREFIX}} the trust-region-limited steps of those runs per epoch (mean over runs, %)
//   {{files}}                   every results file: commit, build, data (counts, SHA-256), runs, time
//   {{trust}}                   the trust-region fraction of every EC optimizer in every study
//   {{compare:NAME}}            previous/NAME.json (the table before this regeneration) against NAME.json:
//                               per optimizer, the final accuracies and how many runs came out the same
//   {{json:NAME:KEY}}           a top-level value of NAME.json (an object as 'k: v; k: v')
//   {{include:FILE}}            a file under docs/results/ (e.g. the last verify table)
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from './records.js';
import { mean, std } from './stats.js';
import { mdTable, num4 } from './report.js';

type Json = Record<string, any>;

const best = (r: RunRecord) => Math.max(...r.epochs.map((e) => e.testAccuracy));
const pm = (xs: number[], k: number, d: number) => `${(mean(xs) * k).toFixed(d)} ± ${(std(xs) * k).toFixed(d)}`;
/** 2 significant digits, in exponent form below 0.001 (9.5e-6). */
const sci = (x: number) => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(1) : String(Number(x.toPrecision(2))));
const pct2 = (f: number) => (f === 0 || f === 100 ? String(f) : f >= 0.1 ? f.toFixed(2) : f.toPrecision(2));

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
    case 'loss': return num4(rs.map((r) => r.finalTrainLoss));
    case 'tr': return `${pct2(trPct(rs))}%`;
    case 'trmax': return `${pct2(Math.max(...rs.map((r) => (r.trustRegionActive ?? NaN) * 100)))}%`;
    case 'trscale': {
      const v = rs.map((r) => r.trustRegionMedianScale ?? NaN).sort((a, b) => a - b);
      return sci(v[v.length >> 1]);
    }
    case 'n': return String(rs.length);
    case 'perseed': return rs.map((r) => (r.finalTestAccuracy * 100).toFixed(2)).join(' / ');
    default: throw new Error(`unknown stat '${what}' (final, best, loss, tr, trmax, trscale, n, perseed)`);
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
    const runCommits = [...new Set((Array.isArray(j.runs) ? j.runs as RunRecord[] : []).map((r) => r.commit).filter((c): c is string => !!c && c !== j.commit))];
    const commit = !j.commit ? '(older build, not recorded)'
      : `\`${shortCommit(j.commit)}\`` + (runCommits.length ? ` (report; runs at ${runCommits.map((c) => `\`${shortCommit(c)}\``).join(', ')})` : '');
    return [`[${name}.json](results/${name}.json)`, commit,
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
      const scales = rs.map((r) => r.trustRegionMedianScale ?? NaN).sort((a, b) => a - b);
      rows.push([name, arm, rhos, rs.length, `${pct2(trPct(rs))}%`, `${pct2(Math.min(...per))}% - ${pct2(Math.max(...per))}%`,
        rs.reduce((a, r) => a + (r.trustRegionSteps ?? 0), 0), scales.length ? sci(scales[scales.length >> 1]) : '-']);
    }
  }
  return mdTable(['study', 'arm', 'rho', 'runs', 'steps trust-region-limited (all steps)', 'range over runs', 'steps', 'median step scale (lr multiplier; 1 = not limited)'], rows);
}

const runKey = (r: Json) => `${r.optimizer}|${r.seed}|${r.width ?? ''}|${r.c ?? ''}`;

function compareTable(prev: Json, now: Json): string {
  const old = prev.runs as Json[];
  const cur = (now.runs as Json[]).filter((r) => (r.arm ?? r.optimizer) === r.optimizer);
  const ids = [...new Set(old.map((r) => r.optimizer as string))];
  const rows = ids.map((id) => {
    const o = old.filter((r) => r.optimizer === id);
    const c = cur.filter((r) => r.optimizer === id);
    const same = o.filter((r) => {
      const m = c.find((x) => runKey(x) === runKey(r));
      return m && m.finalTestAccuracy === r.finalTestAccuracy && (m.finalTrainLoss === r.finalTrainLoss || (Number.isNaN(m.finalTrainLoss ?? NaN) && r.finalTrainLoss === null));
    }).length;
    return [id, pm(o.map((r) => r.finalTestAccuracy), 100, 2), c.length ? pm(c.map((r) => r.finalTestAccuracy), 100, 2) : '(not re-run)', `${same} of ${o.length}`];
  });
  return mdTable(['optimizer', 'previous final test acc %', 'now', 'runs with the same final accuracy and loss, to the last bit'], rows);
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
      case 'trustepochs': {
        const rs = (load(name).runs as RunRecord[]).filter((r) => r.id?.startsWith(rest[0]));
        const E = Math.max(...rs.map((r) => r.epochs.length));
        const cells = Array.from({ length: E }, (_, e) => `${pct2(mean(rs.map((r) => (r.epochs[e]?.trustRegionActive ?? NaN) * 100)))}%`);
        return mdTable(['epoch', ...cells.map((_, e) => String(e + 1))], [[`steps limited (${rs.length} runs)`, ...cells]]);
      }
      case 'json': {
        const v = load(name)[rest[0]];
        return v !== null && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k}: ${String(x)}`).join('; ') : String(v);
      }
      case 'compare': return compareTable(JSON.parse(readFileSync(join(dir, 'previous', `${name}.json`), 'utf8')), load(name));
      case 'include': return existsSync(join(dir, arg)) ? readFileSync(join(dir, arg), 'utf8').trim() : `(${arg} not written yet)`;
      default: throw new Error(`unknown placeholder {{${kind}}}`);
    }
  });
}
