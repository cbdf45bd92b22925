import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { loadManifest } from '@tutti/manifest';
import { AGENT_PROTOCOL_VERSION, decodeAgentMessage, encodeAgentMessage, type AgentMessage } from '@tutti/protocol';
import { costModelProfile, greedy, type Device, type MemberProfile } from '@tutti/allocator';
import { AgentHub } from '../../src/supervisor/agent-hub.js';
import { clusterPlanning } from '../../src/supervisor/cluster.js';
import { lineLogger } from '../../src/shared/log.js';
import type { WorkerConfig } from '../../src/shared/config.js';

const DIGITS = join(import.meta.dirname, '../../../../ensembles/digits');
const BATCHES = [1, 2, 4, 8];

/** An agent's CPU as it reports it (its own id), with a speed for cost-model profiles. */
const BOX = { id: 'cpu', kind: 'cpu', name: 'box', memoryBytes: 8e9, cores: 2, origin: 'detected', speed: { gmacsPerSecond: 20 } };

/** Cost-model profiles of the ensemble's members on one device (what an agent would measure). */
function profilesOn(members: string[], device: Device): Record<string, Record<string, MemberProfile>> {
  return Object.fromEntries(
    members.map((m, k) => [
      m,
      {
        [device.id]: costModelProfile(
          m,
          { macs: (k + 1) * 1e6, parameterBytes: 1e5, memoryBytes: 1e7, modelSha256: m },
          device,
          BATCHES,
          [1, 2],
        ),
      },
    ]),
  );
}

/** One agent's side of the link: sends a message, reads the head's next answer. */
async function agentLink(endpoint: string, name: string) {
  const socket = new Dealer({ routingId: name, linger: 0, receiveTimeout: 5_000 });
  socket.connect(endpoint);
  return {
    socket,
    async ask(message: AgentMessage): Promise<AgentMessage> {
      await socket.send(encodeAgentMessage(message));
      const [frame] = await socket.receive();
      return decodeAgentMessage(frame!);
    },
  };
}

describe('AgentHub', () => {
  const closing: (() => void)[] = [];
  afterEach(() => {
    for (const close of closing.splice(0)) close();
  });

  async function hub(template: WorkerConfig[]) {
    const ensemble = await loadManifest(DIGITS);
    const lines: string[] = [];
    const started = await AgentHub.start({
      endpoint: 'tcp://127.0.0.1:0',
      ensemble,
      template,
      ports: { batches: 6001, results: 6002 },
      logger: lineLogger('test', (line) => lines.push(line)),
    });
    closing.push(() => started.close());
    return { hub: started, ensemble, lines };
  }

  it('assigns each agent a copy of the layout under instance numbers of its own, the same when it joins again', async () => {
    const template = [{ role: 'worker', shard: 'a+b', instance: 0, members: [{ instance: 0 }] }] as unknown as WorkerConfig[];
    const { hub: head, ensemble } = await hub(template);
    const join = {
      kind: 'join' as const,
      protocol: AGENT_PROTOCOL_VERSION,
      cores: 2,
      memoryBytes: 1,
      devices: [BOX],
      cached: [] as string[],
    };
    const one = await agentLink(head.endpoint, 'one');
    const two = await agentLink(head.endpoint, 'two');
    closing.push(
      () => one.socket.close(),
      () => two.socket.close(),
    );
    const first = await one.ask({ ...join, host: 'one' });
    const second = await two.ask({ ...join, host: 'two' });
    const again = await one.ask({ ...join, host: 'one' });
    const instances = (m: AgentMessage) => (m.kind === 'assign' ? m.workers.map((w) => (w as unknown as WorkerConfig).instance) : m.kind);
    expect([instances(first), instances(second), instances(again)]).toEqual([[1], [2], [1]]);
    if (first.kind !== 'assign') throw new Error('no assignment');
    expect(first.ports).toEqual({ batches: 6001, results: 6002 });
    expect(first.models.map((m) => m.member)).toEqual(ensemble.members.map((m) => m.name));
    expect(Object.keys(head.agents).sort()).toEqual(['one', 'two']);
  });

  it('sends a model by its sha256, refuses an unknown one with the reason, and asks an unknown agent to join', async () => {
    const { hub: head, ensemble } = await hub([]);
    const agent = await agentLink(head.endpoint, 'a');
    closing.push(() => agent.socket.close());
    const bytes = readFileSync(ensemble.members[0]!.path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const model = await agent.ask({ kind: 'fetch', sha256 });
    expect(model.kind === 'model' && Buffer.from(model.bytes).equals(bytes)).toBe(true);
    expect(await agent.ask({ kind: 'fetch', sha256: 'f'.repeat(64) })).toEqual({
      kind: 'refused',
      reason: `asked for model ${'f'.repeat(64)}, which ensemble digits does not have`,
    });
    expect(await agent.ask({ kind: 'beat', workers: 0 })).toEqual({ kind: 'rejoin' });
    expect(
      await agent.ask({ kind: 'join', protocol: AGENT_PROTOCOL_VERSION + 1, host: 'a', cores: 1, memoryBytes: 1, devices: [], cached: [] }),
    ).toEqual({
      kind: 'refused',
      reason: `agent protocol ${AGENT_PROTOCOL_VERSION + 1}; this head speaks ${AGENT_PROTOCOL_VERSION}`,
    });
  });

  it('with a plan: has an agent profile its devices, places instances there, and refuses, with the reason, what it cannot plan on', async () => {
    const ensemble = await loadManifest(DIGITS);
    const members = ensemble.members.map((m) => m.name);
    const head = { ...BOX, name: 'head' } as Device;
    const own = profilesOn(members, head);
    const plan = { ...greedy({ devices: [head], members, profiles: own, batchSizes: BATCHES }), ensemble: ensemble.name };
    const planning = clusterPlanning(ensemble, { plan, profiles: own, localWorkers: false, agents: { batchSizes: BATCHES } }, (launch) => ({
      role: 'worker' as const,
      ensemble,
      ...launch,
      batches: '',
      results: '',
    }))!;
    const lines: string[] = [];
    const started = await AgentHub.start({
      endpoint: 'tcp://127.0.0.1:0',
      ensemble,
      template: [],
      planning,
      ports: { batches: 6001, results: 6002 },
      logger: lineLogger('test', (line) => lines.push(line)),
    });
    closing.push(() => started.close());
    const agent = await agentLink(started.endpoint, 'one');
    closing.push(() => agent.socket.close());
    const join = {
      kind: 'join' as const,
      protocol: AGENT_PROTOCOL_VERSION,
      host: 'one',
      cores: 2,
      memoryBytes: 8e9,
      devices: [BOX],
      cached: [],
    };
    const asked = await agent.ask(join);
    if (asked.kind !== 'profile') throw new Error(`expected a profile request, got ${asked.kind}`);
    expect(asked.batchSizes).toEqual(BATCHES);
    expect(asked.models.map((m) => m.member)).toEqual(members);
    expect((asked.ensemble as { name?: string }).name).toBe('digits');
    // A beat while it profiles gets no REJOIN (which would have it profile again): the next answer is the assignment.
    await agent.socket.send(encodeAgentMessage({ kind: 'beat', workers: 0 }));
    const assigned = await agent.ask({ kind: 'profiles', profiles: profilesOn(members, BOX as Device) as never });
    if (assigned.kind !== 'assign') throw new Error(`expected an assignment, got ${assigned.kind}`);
    const workers = assigned.workers as unknown as WorkerConfig[];
    // The head runs no workers: this agent holds every member, on its own CPU.
    expect(new Set(workers.flatMap((w) => w.members.map((m) => m.member)))).toEqual(new Set(members));
    expect(workers.every((w) => w.device === 'one/cpu')).toBe(true);
    expect(lines.some((l) => /plan across hosts, with one/.test(l) && /one\s+one\/cpu cpu box \(detected\)/.test(l))).toBe(true);
    // Joining again with the same devices: the same workers, without profiling again.
    const again = await agent.ask(join);
    expect(again.kind === 'assign' && again.workers).toEqual(assigned.workers);
    // Refusals name the reason: a device it cannot plan on, profiles it could not make.
    const two = await agentLink(started.endpoint, 'two');
    closing.push(() => two.socket.close());
    expect(await two.ask({ ...join, host: 'two', devices: [{ id: 'cpu', kind: 'tpu' }] })).toEqual({
      kind: 'refused',
      reason: expect.stringMatching(/reported a device the head cannot plan on: kind "tpu", no name, no memoryBytes/),
    });
    expect((await two.ask({ ...join, host: 'two' })).kind).toBe('profile');
    expect(await two.ask({ kind: 'profiles', error: 'no onnxruntime here' })).toEqual({
      kind: 'refused',
      reason: 'it could not profile the members: no onnxruntime here',
    });
  });

  it('refuses to listen beyond loopback without CurveZMQ', async () => {
    const ensemble = await loadManifest(DIGITS);
    await expect(
      AgentHub.start({
        endpoint: 'tcp://0.0.0.0:0',
        ensemble,
        template: [],
        ports: { batches: 1, results: 2 },
        logger: lineLogger('test', () => {}),
      }),
    ).rejects.toThrow(/give the head a key pair and the agents' public keys/);
  });
});
