// Command-line arguments: `--key value`, `--key=value` and flags parsed against the options a
// command knows, typed option readers, and UsageError (exit code 2) for anything malformed.
import { didYouMean } from './suggest.js';

/** Bad usage: an unknown option or command, a malformed value (exit code 2, with the command's help hint). */
export class UsageError extends Error {}

export interface Args { positional: string[]; opts: Record<string, string | boolean> }

/** Parses `--key value`, `--key=value`, flags; rejects unknown options. */
export function parseArgs(argv: string[], known: string[], flags: string[] = ['json']): Args {
  const out: Args = { positional: [], opts: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') { out.opts.help = true; continue; }
    if (!a.startsWith('-') || a === '-') { out.positional.push(a); continue; }
    const names = [...known, ...flags, 'help'];
    if (!a.startsWith('--')) {
      const bare = a.slice(1).split('=')[0];
      throw new UsageError(`unknown option '${a}'${names.includes(bare) ? `; did you mean '--${bare}'?` : ''}`);
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (flags.includes(key)) {
      if (eq > 0) throw new UsageError(`option --${key} takes no value`);
      out.opts[key] = true;
      continue;
    }
    if (!known.includes(key)) throw new UsageError(`unknown option --${key}${didYouMean(key, names, '--', '')}`);
    const val = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (val === undefined || (eq < 0 && val.startsWith('--'))) throw new UsageError(`option --${key} needs a value`);
    if (key in out.opts) throw new UsageError(`option --${key} given twice`);
    out.opts[key] = val;
  }
  return out;
}

export function intOpt(args: Args, key: string, def: number, min = 1): number {
  return optInt(args, key, min) ?? def;
}

export function optInt(args: Args, key: string, min = 1): number | undefined {
  const def = undefined;
  const v = args.opts[key];
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${key} must be an integer >= ${min}, got '${String(v)}'`);
  }
  return n;
}

export function numOpt(args: Args, key: string, def: number): number {
  const v = args.opts[key];
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${key} must be a positive number, got '${String(v)}'`);
  return n;
}

export function listOpt(args: Args, key: string): number[] | undefined {
  const v = args.opts[key];
  if (v === undefined) return undefined;
  const xs = String(v).split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x) || x <= 0)) throw new UsageError(`--${key} must be a comma-separated list of positive numbers, got '${String(v)}'`);
  return xs;
}
