// Text layout of the command's output: thousands separators, aligned tables, durations (display only).

/** 12345.6 -> "12,346" (display only). */
export function fmtInt(x: number): string {
  return Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Rows aligned in columns two spaces apart; `right[c]` right-aligns column c (numbers). */
export function table(header: string[], rows: string[][], right: boolean[], indent = ''): string {
  const w = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => indent + cells.map((x, c) => (right[c] ? x.padStart(w[c]) : x.padEnd(w[c]))).join('  ').trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}


/** Seconds as "12.3s" or "2m05s"; "--" when unknown (display only). */
export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}
