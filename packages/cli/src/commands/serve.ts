import { Command, Option } from 'commander';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { untilSignal } from '../signals.js';

export interface ServeFlags {
  endpoint?: string;
  transport: 'ipc' | 'tcp';
  threads?: number;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve an ensemble: one batching process, one prediction worker per member, one combination process')
    .argument('<ensemble>', 'ensemble folder (or its manifest.yaml)')
    .option('-e, --endpoint <url>', "client endpoint (default: the manifest's); tcp://127.0.0.1:0 picks a free port")
    .addOption(new Option('-t, --transport <kind>', "transport between tutti's own processes").choices(['ipc', 'tcp']).default('ipc'))
    .option('--threads <n>', 'onnxruntime intra-op threads per worker (default: cores / members)', (v) => Number.parseInt(v, 10))
    .addHelpText('after', '\nExample:\n  tutti serve ensembles/digits\n  tutti serve ensembles/zoo-cnn --endpoint tcp://0.0.0.0:5600 --transport tcp\n\nStop with Ctrl-C (SIGINT) or SIGTERM: every process is stopped.')
    .action(async (ensembleDir: string, flags: ServeFlags) => {
      const ensemble = await loadManifest(ensembleDir);
      const started = performance.now();
      const server = await Server.start(ensemble, {
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
        transport: flags.transport,
        ...(flags.threads ? { threadsPerWorker: flags.threads } : {}),
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`tutti: serving ${ensemble.name} (${ensemble.members.length} members, rule ${ruleName(ensemble.rule)}) on ${server.endpoint} — ready in ${seconds} s`);
      for (const p of server.processes) console.log(`  ${p.role.padEnd(8)} ${p.name.padEnd(28)} pid ${p.pid}`);
      console.log('Ctrl-C to stop.');
      const signal = await untilSignal();
      console.log(`tutti: ${signal}: stopping ${server.processes.length} processes`);
      await server.stop();
      console.log('tutti: stopped');
    });
}

export function ruleName(rule: { kind: 'builtin'; name: string } | { kind: 'module'; path: string }): string {
  return rule.kind === 'builtin' ? rule.name : `custom (${rule.path})`;
}
