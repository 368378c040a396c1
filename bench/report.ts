import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a figure is judged against its target. */
export type Comparator = '<=' | '>=' | '==';

/** One measured figure with its target (from the issue, see bench/README.md). */
export interface Figure {
  /** Stable key for tools, e.g. `ttfa.espeak.p95`. */
  readonly id: string;
  /** Row label of the table. */
  readonly label: string;
  /** The measured value; null when it could not be measured (see `note`). */
  readonly value: number | null;
  /** `ms`, `rooms`, `gaps`, … */
  readonly unit: string;
  /** The target, or null for a figure reported for information. */
  readonly target: { readonly op: Comparator; readonly value: number } | null;
  /** Whether `value` meets `target`; null without a target. A value of null never passes. */
  readonly pass: boolean | null;
  /** Samples behind the figure (narrations, frame deltas, rooms). */
  readonly samples?: number;
  /** Shown after the value, e.g. `≥` when the largest step tried passed. */
  readonly qualifier?: string;
  readonly note?: string;
}

/** Builds a {@link Figure}, judging it against the target. */
export function figure(
  f: Omit<Figure, 'pass' | 'target'> & { target?: { op: Comparator; value: number } | null },
): Figure {
  const target = f.target ?? null;
  let pass: boolean | null = null;
  if (target) {
    if (f.value === null || Number.isNaN(f.value)) pass = false;
    else if (target.op === '<=') pass = f.value <= target.value;
    else if (target.op === '>=') pass = f.value >= target.value;
    else pass = f.value === target.value;
  }
  return { ...f, target, pass };
}

const OP_TEXT: Record<Comparator, string> = { '<=': '≤', '>=': '≥', '==': '=' };

function formatValue(f: Figure): string {
  if (f.value === null || Number.isNaN(f.value)) return 'n/a';
  const v = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(2);
  return `${f.qualifier ?? ''}${v} ${f.unit}`;
}

/** The figures as a fixed-width text table (one row per figure, notes below). */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.label,
    formatValue(f),
    f.target ? `${OP_TEXT[f.target.op]} ${f.target.value} ${f.unit}` : '—',
    f.pass === null ? 'info' : f.pass ? 'PASS' : 'FAIL',
    f.samples === undefined ? '' : String(f.samples),
  ]);
  const head = ['figure', 'value', 'target', 'result', 'n'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const notes = figures.filter((f) => f.note).map((f) => `  ${f.label}: ${f.note}`);
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

/**
 * Writes the run as JSON to `dir/<kind>-<date>.json` and `dir/latest.json` (`dir/<kind>-latest.json`
 * for another kind than `bench`, so a soak run does not replace the last bench run).
 * @param kind `bench` (default) or `soak`
 * @returns the dated file's path
 */
export function writeResults(dir: string, result: { startedAt: string } & Record<string, unknown>, kind = 'bench'): string {
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = join(dir, `${kind}-${stamp}.json`);
  const json = JSON.stringify(result, null, 2) + '\n';
  writeFileSync(file, json);
  writeFileSync(join(dir, kind === 'bench' ? 'latest.json' : `${kind}-latest.json`), json);
  return file;
}
