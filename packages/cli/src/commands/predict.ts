import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { descriptionOf } from './index.js';
import { TuttiClient, type TensorOutput } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { TuttiError } from '@tutti/protocol';
import { readKeyPair, readPublicKey } from '../curve-keys.js';
import { inputsFromJson, outputToJson } from '../json-tensors.js';

interface PredictFlags {
  endpoint?: string;
  data?: string;
  file?: string;
  members?: boolean;
  timeout: number;
  json?: boolean;
  curveKey?: string;
  serverKey?: string;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description(descriptionOf('predict'))
    .argument('[ensemble]', 'ensemble folder, to take the endpoint from its manifest')
    .option('-e, --endpoint <url>', 'server endpoint (instead of an ensemble folder)')
    .option('-d, --data <json>', 'inputs as JSON: {"name": nested arrays} or {"name": {"shape": [...], "data": [...]}}')
    .option('-f, --file <path>', 'read the inputs JSON from a file ("-" for stdin)')
    .option('-m, --members', "also print each member's outputs")
    .option('--timeout <ms>', 'give up after this many milliseconds', (v) => Number.parseInt(v, 10), 10_000)
    .option('--json', 'print the reply as JSON')
    .option('--curve-key <file>', "CurveZMQ: this client's key pair (tutti keys)")
    .option('--server-key <file>', "CurveZMQ: the server's public key (.pub)")
    .addHelpText(
      'after',
      `\nExamples:\n  tutti predict ensembles/digits --data '{"pixels": [[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]]}'\n  tutti predict --endpoint tcp://127.0.0.1:5555 --file request.json --members`,
    )
    .action(async (ensembleDir: string | undefined, flags: PredictFlags) => {
      const endpoint = flags.endpoint ?? (ensembleDir ? (await loadManifest(ensembleDir, { checkModels: false })).endpoint : undefined);
      if (!endpoint) throw new TuttiError('INVALID_OPTION', 'give an ensemble folder or --endpoint');
      const text =
        flags.data ?? (flags.file === '-' ? readFileSync(0, 'utf8') : flags.file ? await readFile(flags.file, 'utf8') : undefined);
      if (text === undefined) throw new TuttiError('INVALID_OPTION', 'give the inputs with --data or --file');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new TuttiError('INVALID_ARGUMENT', `inputs are not valid JSON: ${(error as Error).message}`);
      }
      if (Boolean(flags.curveKey) !== Boolean(flags.serverKey))
        throw new TuttiError('INVALID_OPTION', 'CurveZMQ needs both --curve-key and --server-key');
      const curve = flags.curveKey
        ? { ...(await readKeyPair(flags.curveKey)), serverPublicKey: await readPublicKey(flags.serverKey!) }
        : undefined;
      const client = new TuttiClient(endpoint, { timeoutMs: flags.timeout, ...(curve && { curve }) });
      try {
        const metadata = await client.metadata();
        const result = await client.infer(inputsFromJson(metadata.inputs, json), { members: flags.members === true });
        if (flags.json) {
          const outputs = (tensors: Record<string, TensorOutput>) =>
            Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, outputToJson(t)]));
          const members = result.members ? Object.fromEntries(Object.entries(result.members).map(([m, t]) => [m, outputs(t)])) : undefined;
          console.log(JSON.stringify({ id: result.id, model_name: result.modelName, outputs: outputs(result.outputs), members }, null, 2));
          return;
        }
        console.log(`${result.modelName} (${endpoint}):`);
        for (const [name, tensor] of Object.entries(result.outputs)) printTensor(name, tensor, '  ');
        for (const [member, tensors] of Object.entries(result.members ?? {})) {
          for (const [name, tensor] of Object.entries(tensors)) printTensor(`${member}.${name}`, tensor, '    ');
        }
      } finally {
        client.close();
      }
    });
}

/** Prints each row's top classes for a [batch, classes] output, else the values. */
function printTensor(name: string, tensor: TensorOutput, indent: string): void {
  const { shape, data } = outputToJson(tensor);
  console.log(`${indent}${name} ${tensor.datatype} [${shape.join(', ')}]`);
  (data as number[][]).forEach((row, i) => {
    if (shape.length === 2 && typeof row[0] === 'number') {
      const top = row
        .map((p, c) => [c, p] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3);
      console.log(`${indent}  row ${i}: class ${top[0]![0]}  (top: ${top.map(([c, p]) => `${c}=${p.toFixed(4)}`).join(', ')})`);
    } else console.log(`${indent}  row ${i}: ${JSON.stringify(row)}`);
  });
}
