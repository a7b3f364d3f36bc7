// The thread pool under hostile conditions, in child Node processes running the built package
// (dist/, which `npm test` builds first): init under Node flags a worker refuses (--max-old-space-size,
// --stack-size, --expose-gc) and a pool worker that traps must neither crash nor hang the process.
// Each child has a hard time bound, so a hang fails the test instead of stalling the suite.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { platform } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Runs `node ...flags script` (or the script on stdin with --input-type=module); kills it after `timeoutMs`. */
function runChild(script: string, flags: string[], opts: { timeoutMs?: number; stdin?: boolean; threads?: string } = {}) {
  if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const env = { ...process.env, ECOPT_THREADS: opts.threads ?? '2', NODE_OPTIONS: '' };
  const started = Date.now();
  let r;
  if (opts.stdin) {
    r = spawnSync(process.execPath, [...flags, '--input-type=module'], { input: script, encoding: 'utf8', env, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL' });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'ecopt-pool-'));
    const file = join(dir, 'app.mjs');
    writeFileSync(file, script);
    try {
      r = spawnSync(process.execPath, [...flags, file], { encoding: 'utf8', env, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - started, error: r.error };
}

// integer-only data and an FNV hash of the weights (no Math.* feeds the training)
const prelude = `
import { init, getRuntime, shutdown, Sequential, Dense, ReLU, Adam } from ${JSON.stringify(dist)};
function data(seed, n) { let a = seed >>> 0; const o = new Float32Array(n); for (let i = 0; i < n; i++) { a = (Math.imul(a, 1664525) + 1013904223) >>> 0; o[i] = (a >>> 8) / 16777216 - 0.5; } return o; }
function labels(seed, n) { let a = seed >>> 0; const o = new Int32Array(n); for (let i = 0; i < n; i++) { a = (Math.imul(a, 22695477) + 1) >>> 0; o[i] = (a >>> 16) % 10; } return o; }
function hash(arrs) { let h1 = 0x811c9dc5 >>> 0, h2 = 0x01000193 >>> 0; for (const x of arrs) { const b = new Uint8Array(x.buffer, x.byteOffset, x.byteLength); for (let i = 0; i < b.length; i++) { h1 = Math.imul(h1 ^ b[i], 0x01000193) >>> 0; h2 = Math.imul(h2 ^ b[i], 0x85ebca6b) >>> 0; } } return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0'); }
// GEMMs of 48x96x64 and larger: split over the pool
function train(steps) {
  const m = new Sequential([new Dense(64, 96), new ReLU(), new Dense(96, 80), new ReLU(), new Dense(80, 10)], { seed: 3 });
  const o = new Adam(m, { lr: 1e-3 });
  const losses = [];
  for (let s = 0; s < steps; s++) losses.push(m.trainBatch(data(s + 1, 48 * 64), labels(s + 7, 48), o));
  const h = hash(m.getWeights());
  m.dispose();
  return { h, losses };
}
`;

const flagScript = prelude + `
const rt = await init();
const r = train(3);
if (!r.losses.every(Number.isFinite)) throw new Error('non-finite loss');
console.log('OK ' + rt.threads + ' ' + rt.build);
`;

describe('thread pool (Node child processes)', () => {
  const flagSets = [
    ['--max-old-space-size=4096'],
    ['--stack-size=2000'],
    ['--expose-gc'],
    ['--max-old-space-size=4096', '--expose-gc', '--max-semi-space-size=32', '--enable-source-maps'],
  ];
  for (const flags of flagSets) {
    it(`init() with ECOPT_THREADS=2 works under \`node ${flags.join(' ')} app.mjs\``, () => {
      const r = runChild(flagScript, flags);
      expect(r.stderr).not.toMatch(/ERR_WORKER_INVALID_EXEC_ARGV/);
      expect(r.signal, `killed after ${r.ms} ms (hung?); stderr: ${r.stderr}`).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('OK 2 threads');
    });
  }

  it('init() with ECOPT_THREADS=2 works under `node --max-old-space-size=4096 --input-type=module` (script on stdin)', () => {
    const r = runChild(flagScript, ['--max-old-space-size=4096'], { stdin: true });
    expect(r.signal, `killed after ${r.ms} ms (hung?); stderr: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('OK 2 threads');
  });

  it('ECOPT_THREADS=100 is capped at 32 threads with a note', () => {
    const r = runChild(prelude + `
const rt = await init();
const ok = train(1).losses.every(Number.isFinite);
console.log(JSON.stringify({ threads: rt.threads, note: rt.note, ok }));
`, [], { threads: '100' });
    expect(r.signal, `killed after ${r.ms} ms (hung?); stderr: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({ threads: 32, note: 'ECOPT_THREADS asked for 100 threads; capped at 32 (MAX_THREADS)', ok: true });
  });

  it('init() settles with a clear error when a worker cannot be started or exits before ready, leaving no runtime; a later init() works', () => {
    const script = prelude + `
import { Worker } from 'node:worker_threads';
const post = Worker.prototype.postMessage;
// worker 2 cannot be sent its start message (worker 1 was already started: it must be terminated)
Worker.prototype.postMessage = function (m) { if (m && m.tid === 2) throw new Error('injected: cannot post'); return post.call(this, m); };
const e1 = await init({ threads: 3 }).then(() => null, (e) => e.message);
let none1 = false; try { getRuntime(); } catch { none1 = true; }
// worker 1 exits before it is ready
Worker.prototype.postMessage = function (m) { if (m && m.tid === 1) { this.terminate(); return; } return post.call(this, m); };
const e2 = await init({ threads: 3 }).then(() => null, (e) => e.message);
let none2 = false; try { getRuntime(); } catch { none2 = true; }
Worker.prototype.postMessage = post;
const rt = await init({ threads: 3 });
const r = train(2);
console.log(JSON.stringify({ e1, e2, none1, none2, threads: rt.threads, ok: r.losses.every(Number.isFinite) }));
// no shutdown(): the process must still end by itself (failed pools terminated, the live one unref'd)
`;
    const r = runChild(script, [], { timeoutMs: 30_000 });
    expect(r.signal, `killed after ${r.ms} ms (hung?); stderr: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.e1).toBe('ecopt.init: could not start pool worker 2: injected: cannot post');
    expect(out.e2).toMatch(/^ecopt\.init: pool worker 1 exited \(code \d+\) before it was ready$/);
    expect(out.none1).toBe(true);
    expect(out.none2).toBe(true);
    expect(out.threads).toBe(3);
    expect(out.ok).toBe(true);
  });

  it.runIf(platform() === 'linux')('shutdown() ends the pool worker threads (OS thread count back to its base) and the process exits', () => {
    const script = prelude + `
import { readFileSync } from 'node:fs';
const osThreads = () => Number(/Threads:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
await init({ threads: 1 }); train(1); await shutdown(); // warm up (libuv and V8 helper threads)
const base = osThreads();
const rt = await init({ threads: 4 });
const during = osThreads();
train(2);
await shutdown();
const after = osThreads();
console.log(JSON.stringify({ base, during, after, open: rt.arena.isOpen }));
`;
    const r = runChild(script, [], { timeoutMs: 30_000 });
    expect(r.signal, `killed after ${r.ms} ms (hung?); stderr: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.during).toBeGreaterThanOrEqual(out.base + 3);
    expect(out.after).toBeLessThanOrEqual(out.base);
    expect(out.open).toBe(false);
  });

  it('a GEMM whose second share is out of bounds throws (no hang) and the pool keeps training with the same bits', () => {
    const script = prelude + `
const rt = await init({ threads: 2 });
const before = train(4);
const k = rt.kernels, mem = k.memory;
const M = 1, N = 64, K = 2048;                 // 131072 multiply-adds: split over 2 threads
const a = rt.arena.alloc(K * 4, 'a'), b = rt.arena.alloc(K * N * 4, 'b'), scratch = rt.arena.alloc(k.gemm_scratch_bytes(M, N, K), 'scratch');
function bad() {
  mem.grow(1);                                 // a fresh last page nobody owns
  const c = mem.buffer.byteLength - 32 * 4;    // columns 0..31 (share 0) fit, 32..63 (share 1) do not
  try { k.gemm_nn(c, a, b, M, N, K, 0, scratch); } catch (e) { return e; }
  return null;
}
const threw = bad();
const after = train(4);
const again = bad();
const third = train(4);
console.log(JSON.stringify({ threw: threw && String(threw.message), again: again && String(again.message), before, after, third }));
`;
    const r = runChild(script, [], { timeoutMs: 30_000 });
    expect(r.signal, `killed after ${r.ms} ms: the pool hung; stderr: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // the out-of-bounds share is claimed by whichever thread gets there first: worker 1 or the caller
    const trapped = /(pool worker 1|the main thread \(the caller\)) trapped/;
    expect(out.threw).toMatch(/gemm_nn/);
    expect(out.threw).toMatch(trapped);
    expect(out.threw).toMatch(/still usable/);
    expect(out.again).toMatch(trapped);
    expect(out.before.losses.every(Number.isFinite)).toBe(true);
    expect(out.after).toEqual(out.before);
    expect(out.third).toEqual(out.before);
  });
});
