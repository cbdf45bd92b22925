/**
 * How long the `tutti` command takes, as a user runs it: `--help`, `validate` and `allocate
 * --dry-run` (profiles cached) on an ensemble, run from the build (packages/cli/dist) and from the
 * sources under tsx (TUTTI_FROM_SOURCES=1), alternating, several rounds; `node -e 0` is the floor.
 * `--before DIR` adds another checkout's command (e.g. a worktree of the commit before a change).
 * Writes docs/bench/cli-start.json.
 *
 *   npx tsx bench/cli-start.ts [--ensemble ensembles/digits] [--rounds 5] [--before DIR]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { hardwareLine } from '@tutti/profiler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    ensemble: { type: 'string', default: 'ensembles/digits' },
    rounds: { type: 'string', default: '5' },
    before: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const ensemble = join(ROOT, values.ensemble);

interface System {
  name: string;
  bin: string;
  env: Record<string, string>;
}
const systems: System[] = [
  { name: 'built', bin: join(ROOT, 'packages/cli/bin/tutti.js'), env: {} },
  { name: 'sources (tsx)', bin: join(ROOT, 'packages/cli/bin/tutti.js'), env: { TUTTI_FROM_SOURCES: '1' } },
  ...(values.before ? [{ name: `before (${values.before})`, bin: join(values.before, 'packages/cli/bin/tutti.js'), env: {} }] : []),
];
const commands: Record<string, string[]> = {
  '--help': ['--help'],
  validate: ['validate', ensemble],
  'allocate --dry-run': ['allocate', ensemble, '--dry-run'],
};

function seconds(args: string[], env: Record<string, string>): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed (${run.status}): ${run.stderr.toString()}`);
  return (performance.now() - started) / 1000;
}

// Warm: tsx's transform cache and the profile cache are filled once, as for a user's second run.
for (const system of systems) for (const args of Object.values(commands)) seconds([system.bin, ...args], system.env);
const results: Record<string, Record<string, number[]>> = { 'node -e 0': { floor: [] } };
for (let round = 0; round < rounds; round++) {
  results['node -e 0']!.floor!.push(seconds(['-e', '0'], {}));
  const order = round % 2 === 0 ? systems : [...systems].reverse();
  for (const system of order) {
    for (const [command, args] of Object.entries(commands))
      ((results[command] ??= {})[system.name] ??= []).push(seconds([system.bin, ...args], system.env));
  }
  process.stderr.write(`round ${round + 1}/${rounds}\n`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`tutti command start, ${values.ensemble}, ${rounds} rounds (${hardwareLine()}): median (min-max) s`);
for (const [command, bySystem] of Object.entries(results)) {
  for (const [system, xs] of Object.entries(bySystem)) {
    console.log(
      `  ${command.padEnd(20)} ${system.padEnd(28)} ${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`,
    );
  }
}
const out = join(ROOT, 'docs/bench/cli-start.json');
writeFileSync(out, `${JSON.stringify({ hardware: hardwareLine(), ensemble: values.ensemble, rounds, seconds: results }, null, 2)}\n`);
console.log(`wrote ${out}`);
