// Resumable studies: every finished run is appended to <out>/runs.jsonl as one JSON line; a re-run
// with resume takes a run from there instead of training it again when its stored recipe is the same.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunRecord } from './records.js';
import type { RunRecipe } from './recipe.js';

export class Ledger {
  private readonly done = new Map<string, RunRecord>();

  /** file null: nothing is read or written (every run trains). */
  constructor(readonly file: string | null) {
    if (file === null || !existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as RunRecord;
        if (typeof r.id === 'string') this.done.set(r.id, r);
      } catch { /* a line cut short by a killed process: that run trains again */ }
    }
  }

  /** The finished run with this recipe, if any (same id and the same recipe, field for field). */
  find(recipe: RunRecipe): RunRecord | undefined {
    const r = this.done.get(recipe.id);
    return r !== undefined && JSON.stringify(r.recipe) === JSON.stringify(recipe) ? r : undefined;
  }

  /** Appends a finished run. */
  add(r: RunRecord): void {
    this.done.set(r.id!, r);
    if (this.file === null) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, JSON.stringify(r) + '\n');
  }

  get size(): number { return this.done.size; }
}
