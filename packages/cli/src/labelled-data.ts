/**
 * Labelled rows for `tutti calibrate`: a CSV file (optionally gzipped), one row per line, the first
 * input's values flattened (row-major, as many as its shape holds past the batch axis) and then the
 * class label, an integer. Every problem names its line.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { TuttiError } from '@tutti/protocol';

export interface LabelledRows {
  /** rows x width values, row-major. */
  values: Float32Array;
  labels: number[];
  width: number;
}

export function parseLabelledCsv(text: string, width: number, classes: number, source: string): LabelledRows {
  const lines = text.split('\n').map((line, k) => ({ line: line.trim(), number: k + 1 }));
  const rows = lines.filter((l) => l.line !== '' && !l.line.startsWith('#'));
  const values = new Float32Array(rows.length * width);
  const labels: number[] = [];
  rows.forEach(({ line, number }, row) => {
    const fields = line.split(',').map((f) => Number(f.trim()));
    if (fields.length !== width + 1)
      throw new TuttiError('INVALID_ARGUMENT', `${source}:${number}: expected ${width} values and a label, got ${fields.length} fields`);
    const bad = fields.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new TuttiError('INVALID_ARGUMENT', `${source}:${number}: field ${bad + 1} is not a number`);
    const label = fields[width]!;
    if (!(Number.isInteger(label) && label >= 0 && label < classes))
      throw new TuttiError('INVALID_ARGUMENT', `${source}:${number}: the label ${label} is not a class index from 0 to ${classes - 1}`);
    values.set(fields.slice(0, width), row * width);
    labels.push(label);
  });
  if (labels.length === 0) throw new TuttiError('INVALID_ARGUMENT', `${source}: no rows`);
  return { values, labels, width };
}

/** Keeps the rows at `indices` (0-based, as in the file), in that order. */
export function selectRows(data: LabelledRows, indices: readonly number[], source: string): LabelledRows {
  const values = new Float32Array(indices.length * data.width);
  indices.forEach((index, k) => {
    if (!(Number.isInteger(index) && index >= 0 && index < data.labels.length))
      throw new TuttiError('INVALID_ARGUMENT', `${source}: row ${index} is not a row of the data (0 to ${data.labels.length - 1})`);
    values.set(data.values.subarray(index * data.width, (index + 1) * data.width), k * data.width);
  });
  return { values, labels: indices.map((i) => data.labels[i]!), width: data.width };
}

export function readLabelledFile(path: string, width: number, classes: number): LabelledRows {
  const bytes = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  return parseLabelledCsv(text, width, classes, path);
}

/** Row indices from a JSON file: a list, or an object with a list under `rows` (or `calibration`). */
export function readRowIndices(path: string): number[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const list = Array.isArray(parsed)
    ? parsed
    : ((parsed as { rows?: unknown; calibration?: unknown }).rows ?? (parsed as { calibration?: unknown }).calibration);
  if (!Array.isArray(list)) throw new TuttiError('INVALID_ARGUMENT', `${path}: expected a list of row indices, or { "rows": [...] }`);
  return list as number[];
}
