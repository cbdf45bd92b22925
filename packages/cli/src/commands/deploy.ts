/**
 * `tutti deploy kubernetes ENSEMBLE --out DIR`: the objects a cluster needs to serve the ensemble
 * (a head, agents scaled on queue time, probes, keys, monitoring) and the image's Dockerfile,
 * checked against the Kubernetes schemas and against each other before anything is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { curveKeyPair } from 'zeromq';
import { descriptionOf } from './index.js';
import { parsePlan, type Plan } from '@tutti/allocator';
import { loadManifest } from '@tutti/manifest';
import { TuttiError } from '@tutti/protocol';
import { kubernetesInvariantViolations, renderDockerfile, renderKubernetes, validateObjects, yamlDocuments } from '@tutti/deploy';

interface DeployFlags {
  out: string;
  plan?: string;
  image: string;
  claim?: string;
  namespace?: string;
  agents: string;
  minAgents: string;
  maxAgents: string;
  queueTargetMs: string;
  nodeSelector?: string[];
}

const EXAMPLES = `
Writes DIR/tutti.yaml (everything but the keys), DIR/secrets.yaml (the CurveZMQ keys of the agent
link, made now: keep it secret) and DIR/Dockerfile. The ensemble's folder (manifest, models and
plan.json when --plan is given) goes in a PersistentVolumeClaim (--claim) that the head mounts.
Autoscaling reads tutti_queue_p90_seconds through prometheus-adapter: add the rule in the
ConfigMap <name>-prometheus-adapter-rule to the adapter's configuration.

Examples:
  tutti deploy kubernetes ensembles/digits --out deploy/ --image registry.example/tutti:1
  docker build -f deploy/Dockerfile -t registry.example/tutti:1 . && docker push registry.example/tutti:1
  kubectl apply -f deploy/secrets.yaml -f deploy/tutti.yaml`;

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new TuttiError('INVALID_OPTION', `${flag} must be a whole number >= 1; got ${value}`);
  return n;
}

export function deployCommand(): Command {
  const kubernetes = new Command('kubernetes')
    .description('render the Kubernetes objects and the Dockerfile that serve ENSEMBLE')
    .argument('<ensemble>', 'ensemble folder, or its manifest.yaml')
    .requiredOption('-o, --out <folder>', 'where to write tutti.yaml, secrets.yaml and Dockerfile')
    .option('--plan <file>', 'allocation plan (tutti allocate): the agents run its layout and ask for its resources')
    .option('--image <image>', 'the image with tutti (built from the Dockerfile written)', 'tutti:latest')
    .option('--claim <name>', 'PersistentVolumeClaim holding the ensemble folder (default: <name>-ensemble)')
    .option('--namespace <namespace>', 'namespace of every object (default: none set, kubectl picks)')
    .option('--agents <n>', 'agents at first', '2')
    .option('--min-agents <n>', 'fewest agents the autoscaler keeps', '1')
    .option('--max-agents <n>', 'most agents the autoscaler starts', '8')
    .option('--queue-target-ms <ms>', "the autoscaler's target: 90th percentile of queue time", '50')
    .option('--node-selector <key=value...>', 'agents run on nodes with these labels (a node pool)')
    .addHelpText('after', EXAMPLES)
    .action(async (target: string, flags: DeployFlags) => {
      const ensemble = await loadManifest(target);
      const plan: Plan | undefined = flags.plan ? parsePlan(await readFile(flags.plan, 'utf8')) : undefined;
      const name =
        ensemble.name
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 42) || 'tutti';
      const nodeSelector =
        flags.nodeSelector && Object.fromEntries(flags.nodeSelector.map((pair) => pair.split('=', 2) as [string, string]));
      const objects = renderKubernetes({
        name,
        image: flags.image,
        ensembleClaim: flags.claim ?? `${name}-ensemble`,
        ...(plan && { plan }),
        members: ensemble.members.length,
        ...(flags.namespace && { namespace: flags.namespace }),
        agents: {
          replicas: positiveInteger('--agents', flags.agents),
          min: positiveInteger('--min-agents', flags.minAgents),
          max: positiveInteger('--max-agents', flags.maxAgents),
          ...(nodeSelector && { nodeSelector }),
        },
        queueTargetSeconds: positiveInteger('--queue-target-ms', flags.queueTargetMs) / 1000,
        keys: { head: curveKeyPair(), agent: curveKeyPair() },
      });
      validateObjects(objects);
      const problems = kubernetesInvariantViolations(objects);
      if (problems.length > 0) throw new TuttiError('INTERNAL', `the rendered objects do not fit together:\n  ${problems.join('\n  ')}`);
      mkdirSync(flags.out, { recursive: true });
      writeFileSync(join(flags.out, 'secrets.yaml'), yamlDocuments(objects.filter((o) => o.kind === 'Secret')), { mode: 0o600 });
      writeFileSync(join(flags.out, 'tutti.yaml'), yamlDocuments(objects.filter((o) => o.kind !== 'Secret')));
      writeFileSync(join(flags.out, 'Dockerfile'), renderDockerfile());
      console.log(
        `wrote ${objects.length} objects (valid against the Kubernetes schemas) to ${flags.out}: tutti.yaml, secrets.yaml (mode 600), Dockerfile`,
      );
      console.log(
        `  head ${name}-head; agents ${name}-agent (${flags.agents}, ${flags.minAgents}-${flags.maxAgents} on queue time); clients: tcp://${name}:5555`,
      );
    });
  return new Command('deploy').description(descriptionOf('deploy')).addCommand(kubernetes);
}
