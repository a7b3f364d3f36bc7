// Where a number came from: the commit and build that ran it (git rev-parse HEAD, "-dirty" when the tree
// had uncommitted changes), the wasm module's SHA-256, and the SHA-256 of a model's weights (the
// little-endian float32 bytes of getWeights() in weightSpecs() order), which results:verify compares.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { getRuntime, type Dataset, type Model } from 'ecopt';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The bytes of a float32 array in little-endian order (a view on little-endian machines). */
function leBytes(w: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
  const out = new Uint8Array(w.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < w.length; i++) dv.setFloat32(i * 4, w[i], true);
  return out;
}

/** SHA-256 (hex) of float32 arrays, concatenated as little-endian bytes. */
export function sha256F32(arrays: Float32Array[]): string {
  const h = createHash('sha256');
  for (const w of arrays) h.update(leBytes(w));
  return h.digest('hex');
}

/** SHA-256 (hex) of a model's weights: getWeights() (weightSpecs() order), little-endian float32 bytes. */
export function weightsSha256(model: Pick<Model, 'getWeights'>): string {
  return sha256F32(model.getWeights());
}

/** SHA-256 (hex) of a dataset's images (float32, little-endian) followed by its labels (uint8). */
export function datasetSha256(ds: Dataset): string {
  const h = createHash('sha256');
  h.update(leBytes(ds.images));
  h.update(new Uint8Array(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
  return h.digest('hex');
}

/** The commit and build a result came from. */
export interface Provenance {
  /** git rev-parse HEAD of the checkout that ran it, with "-dirty" if it had uncommitted changes ("unknown" outside git). */
  commit: string;
  /** The runtime's build (release, threads, relaxed, ...), its kernel threads and the SHA-256 of its wasm file. */
  build: { name: string; threads: number; wasm: string; wasmSha256: string };
  node: string;
  platform: string;
}

const WASM_FILES: Record<string, string> = {
  release: 'ecopt.wasm', threads: 'ecopt.threads.wasm', relaxed: 'ecopt.relaxed.wasm',
  debug: 'ecopt.debug.wasm', 'threads-debug': 'ecopt.threads.debug.wasm',
};

let cachedCommit: string | undefined;

/** The package root of the 'ecopt' being run (this checkout, through the package's self-reference). */
function packageRoot(): string {
  return dirname(createRequire(import.meta.url).resolve('ecopt/package.json'));
}

/**
 * git rev-parse HEAD of the package's checkout, + "-dirty" when `git status --porcelain` lists any
 * change outside docs/ (results files and reports are written there while studies run; nothing under
 * docs/ is code that runs).
 */
export function gitCommit(): string {
  if (cachedCommit !== undefined) return cachedCommit;
  try {
    const cwd = packageRoot();
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', '.', ':(exclude)docs'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    cachedCommit = head + (status ? '-dirty' : '');
  } catch {
    cachedCommit = 'unknown';
  }
  return cachedCommit;
}

/** The commit, the build (and its wasm file's SHA-256), Node and the platform; call after init(). */
export async function provenance(): Promise<Provenance> {
  const os = await import('node:os');
  const rt = getRuntime();
  const file = WASM_FILES[rt.build] ?? `(${rt.build})`;
  let wasmSha256 = 'unknown';
  try { wasmSha256 = createHash('sha256').update(readFileSync(`${packageRoot()}/build/${file}`)).digest('hex'); } catch { /* custom wasm source */ }
  return { commit: gitCommit(), build: { name: rt.build, threads: rt.threads, wasm: `build/${file}`, wasmSha256 }, node: process.version, platform: `${os.platform()} ${os.arch()}` };
}
