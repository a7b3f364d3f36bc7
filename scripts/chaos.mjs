// `npm run test:chaos -- --minutes N [--seed S]`: the chaos suite (test/robustness/chaos.node.test.ts)
// for N minutes (default 10) with pointer checks on; the report (seed, duration, operation and fault
// counts, violations) is printed and written to test/.artifacts/chaos-report.json. Not part of CI.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`test:chaos: --${name} needs a positive number, got '${args[i + 1] ?? ''}'`);
    process.exit(2);
  }
  return v;
};
const minutes = value('minutes', 10);
const seed = value('seed', Date.now() % 1_000_000);
console.log(`chaos: ${minutes} min, seed ${seed}`);
const r = spawnSync('npx', ['vitest', 'run', '--project', 'node', 'test/robustness/chaos.node.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, ECOPT_CHAOS_SECONDS: String(Math.round(minutes * 60)), ECOPT_CHAOS_SEED: String(seed), ECOPT_CHECKS: '1' },
});
process.exit(r.status ?? 1);
