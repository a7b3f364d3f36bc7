// The `prepare` script. `npm ci` / `npm install` in this checkout run it, and the README's quick
// start relies on that: they leave a built package (wasm + dist). `npm pack` and `npm publish` run
// `prepack` (which builds) and then `prepare` again: that second build is skipped. Installing the
// published tarball runs neither: consumers never build.
import { execSync } from 'node:child_process';

const command = process.env.npm_command;
if (command === 'pack' || command === 'publish') {
  console.log(`prepare: skipped for npm ${command} (prepack has just built)`);
} else {
  execSync('npm run build', { stdio: 'inherit' });
}
