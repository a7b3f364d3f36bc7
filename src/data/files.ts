// Where dataset files come from, shared by the loaders (loadMNIST, loadCIFAR10): whether this is
// Node, the directory a baseURL names, and the HTML page a server answers with instead of a file.
// Node modules are imported under names in variables, so bundlers leave them out of browser builds.
import { ArgumentError } from '../core/errors.js';

/** True in Node (not in browsers, workers or bundles run in a page). */
export const inNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** A Node built-in module, imported so that bundlers do not follow it (only called in Node). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the node: types are not assumed in browser builds
export async function nodeModule(name: 'fs/promises' | 'url' | 'path'): Promise<any> {
  const spec = `node:${name}`;
  return import(/* @vite-ignore */ /* webpackIgnore: true */ spec);
}

/** The directory `baseURL` names: relative values against the page (browsers) or the working directory (Node). */
export async function resolveDir(baseURL: string | URL, what: string): Promise<URL> {
  let s = String(baseURL);
  if (!s.endsWith('/')) s += '/';
  if (baseURL instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return new URL(s);
  if (inNode) {
    const [url, path] = await Promise.all([nodeModule('url'), nodeModule('path')]);
    const href: string = url.pathToFileURL(path.resolve(s)).href;
    return new URL(href.endsWith('/') ? href : `${href}/`);
  }
  const g = globalThis as { document?: { baseURI?: string }; location?: { href: string } };
  const base = g.document?.baseURI ?? g.location?.href;
  if (!base) throw new ArgumentError(`${what}: baseURL '${String(baseURL)}' is relative and there is no page to resolve it against: pass an absolute URL`);
  return new URL(s, base);
}

/** The start of an HTML page (an SPA fallback or an error page) rather than binary data, or null. */
export function htmlStart(bytes: Uint8Array): string | null {
  let t = '';
  for (let i = 0; i < Math.min(bytes.length, 200); i++) t += bytes[i] >= 0x20 && bytes[i] < 0x7f ? String.fromCharCode(bytes[i]) : ' ';
  t = t.replace(/\s+/g, ' ').trim();
  return /^<(?:!doctype\s+html|!--|(?:html|head|body|meta|title|script|div)[\s>/])/i.test(t) ? t.slice(0, 60) : null;
}
