/**
 * The `tutti` command line. Each command lives in its own module under commands/ and is only
 * registered here. Errors tutti raises on purpose (TuttiError, with a code) are printed as
 * `tutti: CODE: message` without a stack: they are about the user's input or setup, not bugs.
 */
import { Command } from 'commander';
import { TuttiError } from '@tutti/protocol';
import packageJson from '../package.json' with { type: 'json' };
import { COMMANDS } from './commands/index.js';

const program = new Command('tutti')
  .description('Serve ensembles of deep neural networks: batching, prediction workers and combination rules over ZeroMQ.')
  .version(packageJson.version)
  .showHelpAfterError('(run with --help for usage)');
// Only the command being run is loaded in full; the others are listed by name and description.
const [first, second] = process.argv.slice(2);
const chosen = first === 'help' ? second : first;
for (const [name, { description, load }] of Object.entries(COMMANDS)) {
  program.addCommand(name === chosen ? await load() : new Command(name).description(description));
}

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof TuttiError)) throw error;
  process.stderr.write(`tutti: ${error.code}: ${error.message}\n`);
  // exit rather than exitCode: a command that failed half-way may still hold sockets or workers open.
  process.exit(1);
}
