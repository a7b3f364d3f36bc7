// TypeDoc plugin (typedoc.json): leaves out of the API reference the exported names that
// api/public-api.txt marks @internal. Most of them are also tagged @internal in their own doc
// comments (TypeDoc's excludeInternal drops those); this covers the names whose mark sits on their
// export statement in src/index.ts (declared in files whose doc comments do not say it yet).
import { Converter } from 'typedoc';
import { readSurfaceFile } from './api-surface.mjs';

/** @param {import('typedoc').Application} app */
export function load(app) {
  const internal = new Set(readSurfaceFile().filter((e) => e.internal).map((e) => e.name));
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const refl of [...(context.project.children ?? [])]) {
      if (internal.has(refl.name)) context.project.removeReflection(refl);
    }
  });
}
