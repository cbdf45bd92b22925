/** Human-readable bytes: 1.2 GB, 800 MB (decimal units, as devices are sold). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(0)} MB`;
  return `${(bytes / 1e3).toFixed(0)} kB`;
}

export function formatRate(rowsPerSecond: number): string {
  return rowsPerSecond >= 100 ? rowsPerSecond.toFixed(0) : rowsPerSecond.toFixed(1);
}
