/** Line-oriented metadata files (CUB's space-separated, wsolevaluation's comma-separated). */
import * as fs from 'fs';

export interface TableRow {
  /** 1-based line number, for error messages. */
  line: number;
  fields: string[];
}

/** Where a problem is, as `file:line`. */
export function at(file: string, line: number): string {
  return `${file}:${line}`;
}

/**
 * Reads a text table: blank lines are skipped, `sep` splits fields (whitespace runs when 'space').
 * `minFields`/`maxFields` are checked per line; errors name the file and line.
 */
export function readTable(file: string, sep: ',' | 'space', minFields: number, maxFields = minFields): TableRow[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `metadata file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
  const rows: TableRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    const fields = sep === ',' ? raw.split(',').map((f) => f.trim()) : raw.split(/\s+/);
    if (fields.length < minFields || fields.length > maxFields) {
      const want = minFields === maxFields ? `${minFields}` : `${minFields}..${maxFields}`;
      throw new Error(`${at(file, i + 1)}: expected ${want} fields, got ${fields.length} ("${raw}")`);
    }
    rows.push({ line: i + 1, fields });
  }
  return rows;
}

/** Parses an integer field; errors name file, line and field. */
export function intField(value: string, file: string, line: number, name: string): number {
  if (!/^-?\d+$/.test(value)) throw new Error(`${at(file, line)}: ${name} must be an integer, got "${value}"`);
  return Number(value);
}

/** Parses a finite number field; errors name file, line and field. */
export function numberField(value: string, file: string, line: number, name: string): number {
  const v = Number(value);
  if (value === '' || !Number.isFinite(v)) throw new Error(`${at(file, line)}: ${name} must be a number, got "${value}"`);
  return v;
}
