/**
 * The `tutti` command line. Each command lives in its own module under commands/ and is only
 * registered here. Errors tutti raises on purpose (TuttiError, with a code) are printed as
 * `tutti: CODE: message` without a stack: they are about the user's input or setup, not bugs.
 */
import { Command } from 'commander';
import { TuttiError } from '@tutti/protocol';
import packageJson from '../package.json' with { type: 'json' };
import { allocateCommand } from './commands/allocate.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { keysCommand } from './commands/keys.js';
import { predictCommand } from './commands/predict.js';
import { profileCommand } from './commands/profile.js';
import { serveCommand } from './commands/serve.js';
import { validateCommand } from './commands/validate.js';

const program = new Command('tutti')
  .description('Serve ensembles of deep neural networks: batching, prediction workers and combination rules over ZeroMQ.')
  .version(packageJson.version)
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(validateCommand())
  .addCommand(serveCommand())
  .addCommand(predictCommand())
  .addCommand(demoCommand())
  .addCommand(profileCommand())
  .addCommand(allocateCommand())
  .addCommand(keysCommand())
  .addCommand(benchCommand());

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof TuttiError)) throw error;
  process.stderr.write(`tutti: ${error.code}: ${error.message}\n`);
  // exit rather than exitCode: a command that failed half-way may still hold sockets or workers open.
  process.exit(1);
}
