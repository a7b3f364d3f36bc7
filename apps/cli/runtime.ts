// Starting the library's runtime for a command: init() with the --threads option.
import { init } from 'ecopt';
import { UsageError, optInt, type Args } from './args.js';

/** init() with --threads (default: the library's, i.e. the available cores in Node or ECOPT_THREADS). */
export async function initRuntime(args: Args): Promise<{ threads: number; note?: string }> {
  const threads = optInt(args, 'threads');
  try {
    const rt = await init(threads === undefined ? {} : { threads });
    return { threads: rt.threads, note: (rt as { note?: string }).note };
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--threads ${threads}: ${e.message.replace(/^ecopt\.init: /, '')}`);
    throw e;
  }
}
