import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { descriptionOf } from './index.js';
import { formatPlan, parsePlan, type LayoutKind, type MemberProfile, type Plan } from '@tutti/allocator';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { defaultBatchSizes, profileEnsemble } from '@tutti/profiler';
import { Server, type LogFormat } from '@tutti/server';
import { TuttiError } from '@tutti/protocol';
import { readAllowList, readKeyPair } from '../curve-keys.js';
import { planEnsemble } from '@tutti/planner';
import { rssOf } from '@tutti/profiler';
import { untilSignal } from '../signals.js';
import { ROUTING_POLICIES, type RoutingPolicy } from '@tutti/routing';

export interface ServeFlags {
  endpoint?: string;
  transport: 'ipc' | 'tcp';
  threads?: number;
  plan?: string;
  devices?: string;
  onePerMember?: boolean;
  curveKey?: string;
  allow?: string[];
  metricsPort: string;
  metricsHost: string;
  timeoutMs?: string;
  routing: RoutingPolicy;
  rebalance: boolean;
  directReplies: boolean;
  layout: LayoutKind | 'auto';
  logFormat?: LogFormat;
  agents?: string;
  agentKey?: string;
  allowAgent?: string[];
  localWorkers: boolean;
}

/** The plan to serve and the profiles its emulated devices need: from a file, or allocated now. */
async function choosePlan(
  ensemble: Ensemble,
  flags: ServeFlags,
): Promise<{ plan?: Plan; profiles?: Record<string, Record<string, MemberProfile>> }> {
  if (flags.onePerMember) {
    if (flags.layout !== 'auto')
      throw new TuttiError(
        'INVALID_OPTION',
        `--layout ${flags.layout} needs a plan: leave out --one-per-member (its one process per member is the per-instance layout)`,
      );
    return {};
  }
  if (flags.plan) {
    let plan = parsePlan(await readFile(flags.plan, 'utf8'));
    if (flags.layout === 'per-instance' && plan.layout?.kind === 'grouped')
      plan = { ...plan, layout: { ...plan.layout, kind: 'per-instance', groups: [], decidedBy: 'forced' } };
    if (flags.layout === 'grouped' && plan.layout?.kind !== 'grouped') {
      throw new TuttiError(
        'INVALID_OPTION',
        `--layout grouped: the plan ${flags.plan} is laid out per instance; make a grouped one with tutti allocate --layout grouped`,
      );
    }
    // Emulated devices need their profiles (cost model: cheap) to know how long to hold each batch;
    // with agents, the plan across hosts needs every device's (measured once per model file, then cached).
    const profiled = flags.agents ? plan.devices : plan.devices.filter((d) => d.emulated);
    const profiles =
      profiled.length > 0
        ? await profileEnsemble(ensemble, profiled, { batchSizes: defaultBatchSizes(ensemble.batching.maxBatchSize) })
        : {};
    return { plan, profiles };
  }
  console.error('tutti: no --plan: allocating from profiles (measured once per model file, then cached)');
  const { plan, profiles } = await planEnsemble(ensemble, { layout: flags.layout, ...(flags.devices && { devicesFile: flags.devices }) });
  return { plan, profiles };
}

export function serveCommand(): Command {
  return new Command('serve')
    .description(descriptionOf('serve'))
    .argument('<ensemble>', 'ensemble folder (or its manifest.yaml)')
    .option('-e, --endpoint <url>', "client endpoint (default: the manifest's); tcp://127.0.0.1:0 picks a free port")
    .addOption(new Option('-t, --transport <kind>', "transport between tutti's own processes").choices(['ipc', 'tcp']).default('ipc'))
    .option('--plan <file>', 'allocation plan from tutti allocate (default: allocate now from profiles)')
    .option('-d, --devices <file>', 'devices file for the automatic allocation (declared devices are served in emulation)')
    .option('--one-per-member', 'skip allocation: one instance per member on the CPU, cores shared evenly')
    .option('--threads <n>', 'with --one-per-member: intra-op threads per worker (default: cores / members)', (v) => Number.parseInt(v, 10))
    .addOption(
      new Option(
        '--layout <kind>',
        'worker processes: auto (the plan chooses from profiles and the measured message cost), per-instance (one process per instance, Pochelu et al.), or grouped (small members share processes)',
      )
        .choices(['auto', 'per-instance', 'grouped'])
        .default('auto'),
    )
    .option(
      '--metrics-port <port>',
      'HTTP port for /metrics (Prometheus), /live and /ready on 127.0.0.1; 0 picks a free one, off disables',
      '9464',
    )
    .option('--metrics-host <address>', 'where the metrics endpoint listens: 0.0.0.0 for probes and scrapes from other hosts', '127.0.0.1')
    .option('--timeout-ms <ms>', "deadline of requests that give no timeout_ms (default: the manifest's requestTimeoutMs, else 60000)")
    .addOption(
      new Option(
        '--routing <policy>',
        'which instance of a member takes each batch: fastest-finish (predicted completion, KAIROS), least-loaded, or fcfs',
      )
        .choices([...ROUTING_POLICIES])
        .default('fastest-finish'),
    )
    .option('--no-rebalance', 'do not shift work away from instances found slowed down by interference (ODIN)')
    .option(
      '--no-direct-replies',
      "send every reply through the batcher: the combiner then binds no port for clients (by default it binds the client endpoint's port + 1)",
    )
    .option('--curve-key <file>', 'CurveZMQ: encrypt the client endpoint with this server key pair (tutti keys)')
    .option('--allow <files...>', 'CurveZMQ: client public keys (.pub files or folders of them) allowed in; others are refused and counted')
    .option('--agents <endpoint>', 'let agents on other hosts join here and run workers (tutti agent --join), e.g. tcp://0.0.0.0:5700')
    .option('--agent-key <file>', "CurveZMQ: the head's key pair for the agent link (required unless --agents is on loopback)")
    .option('--allow-agent <files...>', 'CurveZMQ: the public keys of the agents allowed to join (.pub files or folders of them)')
    .option('--no-local-workers', 'run no workers on this host: only agents compute (needs --agents)')
    .addOption(
      new Option(
        '--log-format <format>',
        "the processes' log on stderr: JSON lines, or readable ones (default: readable on a terminal, else JSON); level from TUTTI_LOG_LEVEL (default info)",
      ).choices(['json', 'pretty']),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  tutti serve ensembles/digits\n  tutti serve ensembles/zoo-cnn --plan ensembles/zoo-cnn/plan.json\n  tutti serve ensembles/zoo-cnn --endpoint tcp://0.0.0.0:5600 --transport tcp --one-per-member\n\nStop with Ctrl-C (SIGINT) or SIGTERM: every process is stopped.',
    )
    .action(async (ensembleDir: string, flags: ServeFlags) => {
      const ensemble = await loadManifest(ensembleDir, { generate: true });
      if (flags.allow && !flags.curveKey)
        throw new TuttiError('INVALID_OPTION', '--allow needs --curve-key: the allow-list is enforced by CurveZMQ');
      const curve = flags.curveKey
        ? { ...(await readKeyPair(flags.curveKey)), allowedClients: await readAllowList(flags.allow ?? []) }
        : undefined;
      if (curve && curve.allowedClients.length === 0)
        throw new TuttiError('INVALID_OPTION', '--curve-key without --allow would refuse every client; give the allowed client keys');
      const metricsPort = flags.metricsPort === 'off' ? undefined : Number.parseInt(flags.metricsPort, 10);
      if (metricsPort !== undefined && !(metricsPort >= 0 && metricsPort <= 65535)) {
        throw new TuttiError('INVALID_OPTION', `--metrics-port must be a port number, 0 or off; got ${flags.metricsPort}`);
      }
      const timeoutMs = flags.timeoutMs === undefined ? undefined : Number(flags.timeoutMs);
      if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
        throw new TuttiError('INVALID_OPTION', `--timeout-ms must be a whole number of milliseconds above 0; got ${flags.timeoutMs}`);
      }
      if ((flags.agentKey || flags.allowAgent) && !flags.agents)
        throw new TuttiError('INVALID_OPTION', '--agent-key and --allow-agent go with --agents (where agents join)');
      if (flags.agentKey && !flags.allowAgent?.length)
        throw new TuttiError('INVALID_OPTION', '--agent-key without --allow-agent would refuse every agent; give their public keys');
      const agentCurve = flags.agentKey
        ? { ...(await readKeyPair(flags.agentKey)), allowedClients: await readAllowList(flags.allowAgent ?? []) }
        : undefined;
      const { plan, profiles } = await choosePlan(ensemble, flags);
      if (plan) console.log(formatPlan(plan));
      const started = performance.now();
      let gaveUp: (reason: string) => void = () => {};
      const givenUp = new Promise<string>((resolve) => (gaveUp = resolve));
      const server = await Server.start(ensemble, {
        onGiveUp: (name, reason) => gaveUp(`${name} keeps failing (${reason})`),
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
        transport: flags.agents ? 'tcp' : flags.transport,
        ...(flags.agents && {
          agents: {
            endpoint: flags.agents,
            ...(agentCurve && { curve: agentCurve }),
            // With a plan, agents are placed by the allocator over their devices, at the batch sizes it planned with.
            ...(plan && { batchSizes: defaultBatchSizes(ensemble.batching.maxBatchSize) }),
          },
        }),
        localWorkers: flags.localWorkers,
        ...(flags.threads ? { threadsPerWorker: flags.threads } : {}),
        ...(plan && { plan }),
        ...(profiles && { profiles }),
        ...(curve && { curve }),
        ...(metricsPort !== undefined && { metricsPort, metricsHost: flags.metricsHost }),
        ...(timeoutMs !== undefined && { defaultTimeoutMs: timeoutMs }),
        routing: { policy: flags.routing, rebalance: flags.rebalance },
        directReplies: flags.directReplies,
        ...(flags.logFormat && { logFormat: flags.logFormat }),
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `tutti: serving ${ensemble.name} (${ensemble.members.length} members, rule ${ruleName(ensemble.rule)}) on ${server.endpoint} — ready in ${seconds} s`,
      );
      for (const p of server.processes)
        console.log(`  ${p.role.padEnd(8)} ${p.name.padEnd(28)} pid ${p.pid}  ${(rssOf(p.pid) / 2 ** 20).toFixed(0)} MiB`);
      if (server.agentEndpoint) console.log(`  agents   join at ${server.agentEndpoint} (tutti agent --join)`);
      if (server.metricsUrl)
        console.log(`  metrics  ${server.metricsUrl}/metrics   health ${server.metricsUrl}/live ${server.metricsUrl}/ready`);
      console.log('Ctrl-C to stop.');
      const stopBecause = await Promise.race([untilSignal(), givenUp.then((why) => ({ failed: why }))]);
      if (typeof stopBecause === 'string') console.log(`tutti: ${stopBecause}: stopping ${server.processes.length} processes`);
      else console.error(`tutti: stopping: ${stopBecause.failed}`);
      await server.stop();
      console.log('tutti: stopped');
      if (typeof stopBecause !== 'string') process.exitCode = 1;
    });
}

export function ruleName(rule: { kind: 'builtin'; name: string } | { kind: 'module'; path: string }): string {
  return rule.kind === 'builtin' ? rule.name : `custom (${rule.path})`;
}
