// The deprecation habit (CHANGELOG.md, "Deprecation policy"): a deprecated public name keeps
// working until the next major version; its doc comment says `@deprecated` with the version that
// deprecated it, what to use instead and the version that removes it; its first use in a process
// prints one warning.

const warned = new Set<string>();

/**
 * Warns once per process (per `code`) that something deprecated was used. In Node it is a
 * `process.emitWarning` of type `DeprecationWarning` with the code, so `node --no-deprecation`
 * silences it and `--throw-deprecation` turns it into an exception; elsewhere `console.warn`.
 *
 * @internal
 */
export function warnDeprecated(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { type: string; code: string }) => void } }).process;
  if (proc && typeof proc.emitWarning === 'function') proc.emitWarning(message, { type: 'DeprecationWarning', code });
  else console.warn(`[ecopt] DeprecationWarning ${code}: ${message}`);
}
