// Every layer type a spec can name (LAYER_TYPES) has a conformance suite: some file of
// test/layers/ calls conformance('<Type>', ...) with it. Adding a layer to the registry without
// its suite fails here. The files are read as text through Vite (the same in Node and Chromium).
import { describe, it, expect } from 'vitest';
import { LAYER_TYPES } from '../../src/layers/registry.js';

const sources = import.meta.glob('./*.test.ts', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** Type -> the family files that run its conformance suite. */
function suites(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, text] of Object.entries(sources)) {
    if (file.endsWith('/coverage.test.ts')) continue;
    for (const m of text.matchAll(/^\s*conformance\(\s*'([A-Za-z0-9_]+)'/gm)) out.set(m[1], [...(out.get(m[1]) ?? []), file]);
  }
  return out;
}

describe('layer conformance coverage', () => {
  it('reads the family files', () => {
    const files = Object.keys(sources).map((f) => f.replace(/^.*\//, ''));
    for (const f of ['dense', 'activation', 'conv2d', 'pool2d', 'flatten', 'merge']) expect(files).toContain(`${f}.test.ts`);
  });

  it('every type in LAYER_TYPES has exactly one conformance suite', () => {
    const found = suites();
    const missing = LAYER_TYPES.filter((t) => !found.has(t));
    expect(missing, 'layer types without a conformance(...) call in test/layers/*.test.ts').toEqual([]);
    for (const [type, files] of found) expect(files, `${type} is tested by one suite`).toHaveLength(1);
  });

  it('every conformance suite is of a registered type', () => {
    expect([...suites().keys()].filter((t) => !LAYER_TYPES.includes(t))).toEqual([]);
  });
});
