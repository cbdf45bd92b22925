/**
 * Loader for the digits data beside this file, shared by the training script, the accuracy test,
 * the demo and the end-to-end tests so that they all read the same rows and the same held-out split.
 * Node built-ins (and the project's seeded generator) only: no CSV or YAML library for this.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@tutti/zoo';

export const DIGITS_DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));
export const PIXELS = 64;
export const CLASSES = 10;

export interface Digits {
  /** One Float32Array of 64 raw pixel values (0..16, row-major 8x8) per row: models scale inside. */
  pixels: Float32Array[];
  labels: number[];
}

/** The held-out split written by scripts/train-digits.ts. */
export interface DigitsSplit {
  seed: number;
  testFraction: number;
  /** Row indices into readDigits(), ascending. */
  test: number[];
}

let cached: Digits | undefined;

/** All 1,797 rows of data/digits.csv.gz (cached: callers must not mutate the arrays). */
export function readDigits(): Digits {
  if (cached) return cached;
  const text = gunzipSync(readFileSync(`${DIGITS_DATA_DIR}digits.csv.gz`)).toString('utf8');
  const pixels: Float32Array[] = [];
  const labels: number[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const values = line.split(',').map(Number);
    if (values.length !== PIXELS + 1 || values.some((v) => !Number.isFinite(v))) {
      throw new Error(`digits.csv.gz: row ${labels.length + 1} is not 65 numbers`);
    }
    pixels.push(Float32Array.from(values.slice(0, PIXELS)));
    labels.push(values[PIXELS]!);
  }
  cached = { pixels, labels };
  return cached;
}

/** The whole split file (seed and fraction too), for tools that want to report them. */
export function readSplit(): DigitsSplit {
  return JSON.parse(readFileSync(`${DIGITS_DATA_DIR}split.json`, 'utf8')) as DigitsSplit;
}

/** Indices of the held-out test rows, ascending. */
export function testSplit(): number[] {
  return readSplit().test;
}

/** Indices of the training rows: every row not held out, ascending. */
export function trainSplit(): number[] {
  const held = new Set(testSplit());
  return readDigits().labels.map((_, i) => i).filter((i) => !held.has(i));
}

/**
 * The held-out rows split in two for calibrated early exit (issue 16): a seeded shuffle, the first
 * half to calibrate on, the second to measure on, so the two never overlap. Row indices into
 * readDigits(), in shuffled order.
 */
export function calibrationSplit(seed: number): { calibration: number[]; evaluation: number[] } {
  const held = testSplit();
  const random = mulberry32(seed);
  const order = [...held];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const half = Math.floor(order.length / 2);
  return { calibration: order.slice(0, half), evaluation: order.slice(half) };
}
