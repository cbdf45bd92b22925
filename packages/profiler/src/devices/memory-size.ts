/**
 * Memory sizes as people write them in a devices file: "32GB", "512 MB", "1.5GiB", or a number of
 * bytes. kB/MB/GB/TB are decimal (as devices are sold, and as tutti prints them); KiB/MiB/GiB/TiB
 * are binary.
 */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i;

/** Bytes, or undefined when the value is not a size. A bare number (or numeric string) is bytes. */
export function parseMemorySize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value);
  if (!match) return undefined;
  const factor = UNITS[(match[2] ?? 'b').toLowerCase()];
  const bytes = factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
  return bytes !== undefined && bytes > 0 ? bytes : undefined;
}
