import { Command } from 'commander';
import { descriptionOf } from './index.js';
import { curveKeyPair } from 'zeromq';
import { writeKeyPair } from '../curve-keys.js';

export function keysCommand(): Command {
  return new Command('keys')
    .description(descriptionOf('keys'))
    .argument('<name>', 'file name stem, e.g. server or alice')
    .option('-d, --dir <folder>', 'where to write the files', '.')
    .addHelpText(
      'after',
      '\nExample:\n  tutti keys server && tutti keys alice\n  tutti serve ensembles/digits --endpoint tcp://0.0.0.0:5555 --curve-key server.key --allow alice.pub\n  tutti predict --endpoint tcp://host:5555 --curve-key alice.key --server-key server.pub --data ...\n\nExisting files are never overwritten.',
    )
    .action(async (name: string, flags: { dir: string }) => {
      const { keyFile, pubFile } = await writeKeyPair(flags.dir, name, curveKeyPair());
      console.log(`wrote ${keyFile} (secret, mode 600) and ${pubFile} (public)`);
    });
}
