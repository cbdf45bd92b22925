import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { COMMANDS } from '../src/commands/index.js';
import { ROOT, runTutti } from './run-tutti.js';

describe('the tutti command', () => {
  it('is built to plain JavaScript by the install (scripts/build.ts)', () => {
    expect(existsSync(path.join(ROOT, 'packages/cli/dist/BUILT'))).toBe(true);
    expect(existsSync(path.join(ROOT, 'packages/cli/dist/main.mjs'))).toBe(true);
  });

  it('lists every command with its description, from the build and from the sources alike', async () => {
    for (const env of [{}, { TUTTI_FROM_SOURCES: '1' }] as Record<string, string>[]) {
      const { code, stdout } = await runTutti(['--help'], env);
      expect(code).toBe(0);
      for (const [name, { description }] of Object.entries(COMMANDS)) {
        expect(stdout.replace(/\s+/g, ' ')).toContain(`${name} `);
        expect(stdout.replace(/\s+/g, ' ')).toContain(description.slice(0, 40));
      }
    }
  });

  it('loads the command asked for in full: its own options are in its help, and `help NAME` works too', async () => {
    const direct = await runTutti(['serve', '--help']);
    const viaHelp = await runTutti(['help', 'serve']);
    for (const run of [direct, viaHelp]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('--log-format <format>');
    }
    expect((await runTutti(['--version'])).stdout.trim()).toBe(packageJson.version);
  });
});
