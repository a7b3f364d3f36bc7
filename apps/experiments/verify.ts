// results:verify: re-runs recorded runs from their recipes (recipe.ts) at the current checkout and
// compares the SHA-256 of their weights with the results files: after the whole run, or after its
// first k epochs (the per-epoch hashes), which checks a long run's bits in a fraction of its time. Also
// re-hashes the recorded data ranges and re-runs the overhead experiment's timed steps (their weights).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from './records.js';
import { runRecipe, rangeOf, type RunRecipe, type Range } from './recipe.js';
import { datasetSha256, gitCommit } from './provenance.js';
import { measureStepTimes, type StepTiming } from './step-times.js';
import { mdTable } from './report.js';
import type { OptimizerId } from './optimizers.js';

/** One check: a run of a results file (by id; `epochs`: only its first k epochs), its data, or the overhead file's timed steps. */
export type VerifyItem =
  | { file: string; id: string; epochs?: number }
  | { file: string; data: true }
  | { file: string; overhead: true };

/** The outcome of one check (row = what was checked, expected/got = SHA-256 prefixes and accuracies). */
export interface VerifyRow { row: string; expected: string; got: string; ok: boolean; seconds: number }

/**
 * What `npm run results:verify` checks: one row (every seed) of every table of docs/results.md, every
 * optimizer and every arm at least once, the data of every file, and the overhead runs' weights. The
 * 300-epoch mnist-authors runs are checked on their first epochs (the per-epoch hashes); --full runs
 * those rows to the end (about 4 min of one core per run, ~35 min in all).
 */
export function defaultVerifySet(full = false): VerifyItem[] {
  const seeds = (file: string, prefix: string, n: number, epochs?: number) => Array.from({ length: n }, (_, s) => ({ file, id: `${prefix}/s${s}`, epochs }));
  const items: VerifyItem[] = [
    // the authors' run: the EC-SGD row's 3 seeds for 10 epochs, every other arm's seed 0 for 3
    ...seeds('mnist-authors.json', 'mnist-authors/ecsgd', 3, full ? undefined : 10),
    ...['sgd', 'sgd@torch', 'sgd@he+unit', 'ecsgd@torch', 'sgd@torch+unit'].map((a) => ({ file: 'mnist-authors.json', id: `mnist-authors/${a}/s0`, epochs: full ? undefined : 3 })),
    // mnist-mlp (15 epochs): the EC-SGD row whole, every other optimizer's seed 0 for 5 epochs
    ...seeds('mnist-mlp.json', 'mnist-mlp/ecsgd', 3),
    ...['sgd', 'ecsgd-preserve', 'pathsgd', 'momentum', 'ecmomentum', 'adam', 'ecadam'].map((o) => ({ file: 'mnist-mlp.json', id: `mnist-mlp/${o}/s0`, epochs: 5 })),
    ...seeds('mnist-mlp-8ep.json', 'mnist-mlp/sgd', 2),
    // fashion-width: the width-32 row, every arm and seed
    ...['sgd', 'ecsgd', 'sgd@torch', 'sgd@he+unit'].flatMap((a) => seeds('fashion-width.json', `fashion-width/w32/${a}`, 2)),
    ...['sgd', 'ecsgd', 'sgd@torch', 'sgd@he+unit'].flatMap((a) => seeds('fashion-width-10k.json', `fashion-width/w32/${a}`, 2)),
    // unbalanced-init: the c = 100 row
    ...['sgd', 'ecsgd', 'ecsgd-preserve'].flatMap((o) => seeds('unbalanced-init.json', `unbalanced-init/c100/${o}`, 2)),
    // mnist-cnn: the EC-SGD row, the other optimizers' seed 0 for 1 epoch
    ...seeds('mnist-cnn.json', 'mnist-cnn/ecsgd', 2),
    ...['sgd', 'adam', 'ecadam'].map((o) => ({ file: 'mnist-cnn.json', id: `mnist-cnn/${o}/s0`, epochs: 1 })),
    // resnet-study: the PlainNet-8 EC-SGD whole-graph row (every seed), SGD on it, and the per-block
    // mode on ResNet-8, each on its first epoch (about a minute each); --full runs them to the end
    ...seeds('resnet-study.json', 'resnet-study/plainnet8/ecsgd-graph', 3, full ? undefined : 1),
    { file: 'resnet-study.json', id: 'resnet-study/plainnet8/sgd/s0', epochs: full ? undefined : 1 },
    { file: 'resnet-study.json', id: 'resnet-study/resnet8/ecsgd-blocks/s0', epochs: full ? undefined : 1 },
    { file: 'overhead.json', overhead: true },
  ];
  const files = [...new Set(items.map((i) => i.file))];
  return [...files.filter((f) => f !== 'overhead.json').map((file) => ({ file, data: true as const })), ...items];
}

const short = (h: string | undefined) => (h ? h.slice(0, 16) : '(none)');
const acc = (a: number | undefined) => (a === undefined || !Number.isFinite(a) ? '' : ` ${(a * 100).toFixed(2)}%`);

/** Runs the checks against the results files in `dir`; returns one row per check. */
export async function verifyResults(items: VerifyItem[], o: { dir: string; log?: (s: string) => void }): Promise<VerifyRow[]> {
  const log = o.log ?? (() => {});
  const files = new Map<string, Record<string, any>>();
  const load = (f: string) => {
    if (!files.has(f)) files.set(f, JSON.parse(readFileSync(join(o.dir, f), 'utf8')));
    return files.get(f)!;
  };
  const rows: VerifyRow[] = [];
  for (const item of items) {
    const t0 = performance.now();
    const json = load(item.file);
    const done = (row: string, expected: string, got: string) => {
      const r = { row, expected, got, ok: expected === got && !expected.startsWith('(none)'), seconds: (performance.now() - t0) / 1000 };
      rows.push(r);
      log(`${r.ok ? 'ok      ' : 'MISMATCH'} ${row}: expected ${expected}, got ${got} (${r.seconds.toFixed(1)} s)`);
    };
    if ('data' in item) {
      const d = json.dataset as { dataset: 'mnist' | 'fashion-mnist'; splitSeed?: number; ranges: Record<string, Range & { sha256: string }> };
      for (const [name, r] of Object.entries(d.ranges)) {
        done(`${item.file} data ${name} (${d.dataset} ${r.split} [${r.from}, ${r.to}))`, short(r.sha256), short(datasetSha256(await rangeOf(d, r))));
      }
    } else if ('overhead' in item) {
      const c = json.config as { steps: number; cnnSteps: number; optimizers: OptimizerId[]; cnn: 'cnn' | 'cnn-small' };
      const want = json.timings as StepTiming[];
      const got = await measureStepTimes({ ids: c.optimizers, steps: c.steps, cnnSteps: c.cnnSteps, cnn: c.cnn });
      for (const t of want) {
        const g = got.find((x) => x.model === t.model && x.optimizer === t.optimizer);
        done(`${item.file} ${t.model} ${t.optimizer} (${3 + t.steps} rounds)`, short(t.weightsSha256), short(g?.weightsSha256));
      }
    } else {
      const run = (json.runs as RunRecord[]).find((r) => r.id === item.id);
      if (!run) { done(`${item.file} ${item.id}`, '(none: no such run)', ''); continue; }
      const recipe = run.recipe as RunRecipe;
      const k = item.epochs !== undefined && item.epochs < recipe.epochs ? item.epochs : undefined;
      const expected = k === undefined ? short(run.weightsSha256) + acc(run.finalTestAccuracy) : short(run.epochs[k - 1]?.weightsSha256) + acc(run.epochs[k - 1]?.testAccuracy);
      const r = await runRecipe(recipe, log, { epochs: k, quiet: true });
      const got = short(r.weightsSha256) + acc(k === undefined ? r.finalTestAccuracy : r.epochs[k - 1]?.testAccuracy);
      done(`${item.file} ${item.id} (${k === undefined ? `all ${recipe.epochs}` : `first ${k} of ${recipe.epochs}`} epochs)`, expected, got);
    }
  }
  return rows;
}

/** The rows as a markdown table, with the checkout verified at. */
export function verifyTable(rows: VerifyRow[]): string {
  return `Verified at ${gitCommit()}: ${rows.filter((r) => r.ok).length} of ${rows.length} ok\n\n` +
    mdTable(['row', 'expected (SHA-256, accuracy)', 'got', 'ok', 's'], rows.map((r) => [r.row, r.expected, r.got, r.ok ? 'ok' : '**MISMATCH**', r.seconds.toFixed(1)]));
}
