/**
 * Node flags for the rule threads: the parent's, minus tsx. The combiner runs under
 * `node --import tsx` and worker threads inherit execArgv, but tsx does nothing for our plain-JS
 * worker (it loads TS rules itself with tsx's tsImport) and costs each thread ~250 ms at start:
 * create() with a JS rule took ~330 ms with tsx inherited and ~50 ms without, 2 threads, measured.
 * Other flags (source maps, inspector, other loaders a deployment relies on) pass through.
 */
const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
const TSX_SPECIFIER = /(?:^|[\\/])tsx(?:$|[\\/])/;

export function workerExecArgv(parentExecArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < parentExecArgv.length; i++) {
    const flag = parentExecArgv[i]!;
    const equals = flag.indexOf('=');
    const name = equals > 0 ? flag.slice(0, equals) : flag;
    if (LOADER_FLAGS.has(name)) {
      const value = equals > 0 ? flag.slice(equals + 1) : parentExecArgv[i + 1];
      const skip = equals > 0 ? 0 : 1;
      if (value !== undefined && TSX_SPECIFIER.test(value)) {
        i += skip;
        continue;
      }
    }
    kept.push(flag);
  }
  return kept;
}
