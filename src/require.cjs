// What `require('ecopt')` loads (the "require" condition of package.json "exports"): ecopt is an
// ES module package (it finds its .wasm files and its pool worker through import.meta.url), and
// there is no CommonJS build. This file only turns Node's unhelpful
// ERR_PACKAGE_PATH_NOT_EXPORTED into an explanation. Copied to dist/require.cjs by `npm run build`.
'use strict';

throw new Error(
  "ecopt is ESM-only: it cannot be loaded with require(). Use an import instead:\n" +
  "  import { init, Sequential } from 'ecopt';          // in an ES module (.mjs, or \"type\": \"module\")\n" +
  "  const ecopt = await import('ecopt');               // from CommonJS, inside an async function\n" +
  "(Node >= 20; with TypeScript use \"module\": \"nodenext\" or \"bundler\".)"
);
