import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../src/worker-exec-argv.js';

describe('workerExecArgv', () => {
  it('drops tsx loaders in every spelling and keeps every other flag', () => {
    expect(
      workerExecArgv([
        '--enable-source-maps',
        '--import',
        'tsx',
        '--import=tsx/esm',
        '-r',
        'tsx/cjs',
        '--import',
        '/app/node_modules/tsx/dist/loader.mjs',
        '--import',
        './otel.mjs',
        '--require=./tsx-helpers.cjs',
        '--inspect',
      ]),
    ).toEqual(['--enable-source-maps', '--import', './otel.mjs', '--require=./tsx-helpers.cjs', '--inspect']);
    expect(workerExecArgv([])).toEqual([]);
  });
});
