/** `tutti agent --join tcp://HEAD:PORT`: run prediction workers on this host for a head (issue 15). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { descriptionOf } from './index.js';
import { Agent, type LogFormat } from '@tutti/server';
import { detectDevices, loadDevicesFile, profileEnsemble } from '@tutti/profiler';
import { TuttiError } from '@tutti/protocol';
import { readKeyPair, readPublicKey } from '../curve-keys.js';
import { untilSignal } from '../signals.js';

interface AgentFlags {
  join: string;
  key?: string;
  headKey?: string;
  cache: string;
  name?: string;
  logFormat?: LogFormat;
  healthPort?: string;
  healthHost: string;
  devices?: string;
}

const EXAMPLES = `
The agent reports this host's devices (detected, or --devices FILE) and profiles the members on them
(once per model file and device, then cached); the head's allocator places instances on them
without moving any that run elsewhere (a head serving without a plan, --one-per-member, gives each
agent a copy of its own workers instead). The workers connect to the head's batcher and combiner
directly. Model files come from the head by sha256 and stay in --cache.

Examples:
  tutti keys head && tutti keys gpu-box-1            # once; give gpu-box-1.pub to the head, head.pub to the agent
  tutti serve ensembles/digits --agents tcp://0.0.0.0:5700 --agent-key head.key --allow-agent gpu-box-1.pub
  tutti agent --join tcp://head.example:5700 --key gpu-box-1.key --head-key head.pub`;

export function agentCommand(): Command {
  return new Command('agent')
    .description(descriptionOf('agent'))
    .requiredOption('--join <endpoint>', "the head's agent endpoint, tcp://HOST:PORT")
    .option('--key <file>', "CurveZMQ: this agent's key pair (tutti keys); required unless the head is on loopback")
    .option('--head-key <file>', "CurveZMQ: the head's public key (.pub)")
    .option('--cache <folder>', 'where model files are kept, by sha256', join(homedir(), '.cache', 'tutti', 'models'))
    .option('--name <name>', "this agent's name at the head (default: the hostname)")
    .option('--devices <file>', "this host's devices (YAML, as for tutti allocate; default: detected)")
    .option('--health-port <port>', 'serve /live and /ready (its workers run) on this port, for probes')
    .option('--health-host <address>', 'where the health endpoint listens', '127.0.0.1')
    .addOption(new Option('--log-format <format>', 'JSON lines, or readable ones').choices(['json', 'pretty']))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: AgentFlags) => {
      if (Boolean(flags.key) !== Boolean(flags.headKey)) throw new TuttiError('INVALID_OPTION', '--key and --head-key go together');
      const loopback = /^tcp:\/\/(127\.0\.0\.1|localhost|\[::1\]):/.test(flags.join);
      if (!flags.key && !loopback)
        throw new TuttiError('INVALID_OPTION', `joining ${flags.join} from another host needs CurveZMQ: give --key and --head-key`);
      const curve = flags.key ? { ...(await readKeyPair(flags.key)), serverKey: await readPublicKey(flags.headKey!) } : undefined;
      const healthPort = flags.healthPort === undefined ? undefined : Number(flags.healthPort);
      if (healthPort !== undefined && !(Number.isInteger(healthPort) && healthPort >= 0 && healthPort <= 65535))
        throw new TuttiError('INVALID_OPTION', `--health-port must be a port number; got ${flags.healthPort}`);
      const devices = flags.devices ? loadDevicesFile(flags.devices) : detectDevices();
      const agent = new Agent({
        join: flags.join,
        devices,
        profile: (ensemble, on, batchSizes) => profileEnsemble(ensemble, on, { batchSizes }),
        cacheDir: flags.cache,
        ...(curve && { curve }),
        ...(flags.name && { name: flags.name }),
        ...(flags.logFormat && { logFormat: flags.logFormat }),
        ...(healthPort !== undefined && { health: { port: healthPort, host: flags.healthHost } }),
      });
      await agent.start();
      const stopBecause = await Promise.race([untilSignal(), agent.started.then(() => untilSignal())]).catch((error: Error) => ({
        failed: error.message,
      }));
      await agent.stop();
      if (typeof stopBecause !== 'string') {
        console.error(`tutti agent: ${stopBecause.failed}`);
        process.exitCode = 1;
      }
    });
}
