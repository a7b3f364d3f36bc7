// The soak and chaos suite (Node): seeded random sequences over several models and thread counts,
// with shutdown() and init() between runtimes; the canary and the memory baseline are checked
// after every operation. About 40 s here; `npm run test:chaos -- --minutes N` runs it longer
// (ECOPT_CHAOS_SECONDS, ECOPT_CHAOS_SEED) and writes the report to test/.artifacts/chaos-report.json.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { init, shutdown } from '../../src/index.js';
import { runChaos } from './chaos.js';

const seconds = Number(process.env.ECOPT_CHAOS_SECONDS ?? 40);
const seed = Number(process.env.ECOPT_CHAOS_SEED ?? 2026);

afterAll(async () => { await shutdown(); });

describe('chaos', () => {
  it(`seed ${seed}, ${seconds} s over 1 and 2 threads: no corruption, hang or leak`, async () => {
    await init({ threads: 1 });
    const report = await runChaos({ seed, seconds, threads: [2, 1], reinit: true, log: (l) => console.log(l) });
    mkdirSync('test/.artifacts', { recursive: true });
    writeFileSync('test/.artifacts/chaos-report.json', JSON.stringify(report, null, 2));
    console.log(`chaos report: ${JSON.stringify(report)}`);
    expect(report.violations).toEqual([]);
    expect(report.ops).toBeGreaterThan(100);
    expect(report.runtimes.length).toBeGreaterThanOrEqual(2);
  }, (seconds + 120) * 1000);
});
