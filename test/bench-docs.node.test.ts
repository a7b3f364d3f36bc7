// docs/benchmarks.md, docs/benchmarks.svg and the README's speed section are rendered from the
// recorded raw numbers (docs/benchmarks/*.json) by bench/render.mjs: they must match them exactly,
// every suite of bench/suites.mjs must have its script, its report module and a section on the page,
// and a missing record must show as not measured, never as a number.
import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { renderAll } from '../bench/render.mjs';
import { SUITES } from '../bench/suites.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

describe('benchmark docs', () => {
  it('match docs/benchmarks/*.json (npm run bench:md)', async () => {
    const files: Record<string, string> = await renderAll();
    for (const [p, text] of Object.entries(files)) expect(readFileSync(join(root, p), 'utf8'), `${p} is stale: run npm run bench:md`).toBe(text);
  });

  it('every suite has its script, its report module and its section', () => {
    const template = readFileSync(join(root, 'docs/benchmarks.template.md'), 'utf8');
    for (const s of SUITES as { id: string; script: string; report: string }[]) {
      expect(existsSync(join(root, s.script)), s.script).toBe(true);
      expect(existsSync(join(root, 'bench', s.report)), s.report).toBe(true);
      expect(template).toContain(`<!-- bench:${s.id} -->`);
    }
  });

  it('a suite without a record is shown as not measured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecopt-bench-docs-'));
    const recorded = readdirSync(join(root, 'docs/benchmarks')).filter((f) => f.endsWith('.json'));
    for (const f of recorded.slice(1)) copyFileSync(join(root, 'docs/benchmarks', f), join(dir, f));
    const files: Record<string, string> = await renderAll(dir);
    const dropped = recorded[0].replace(/\.json$/, '');
    expect(files['docs/benchmarks.md']).toContain(`_Not measured yet: \`npm run bench:all -- --only ${dropped}\`._`);
  });
});
