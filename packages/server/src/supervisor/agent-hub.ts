/**
 * The head's side of the agents (issue 15): a ROUTER where `tutti agent --join` processes on other
 * hosts announce themselves. Each agent that joins is assigned worker processes, which it runs on
 * its host and which connect straight to this host's batcher and combiner over tcp (with the
 * internal CurveZMQ keys, sent over this link); it fetches the model files it lacks from here, by
 * sha256. The batcher learns the agent's instances from their hellos, as it learns local ones, and
 * expires them when their heartbeats stop (a host cut off): their batches go to other instances.
 *
 * What an agent is given. When the head serves a plan, one plan across hosts (cluster.ts): the
 * agent reports its devices, profiles the members on them (PROFILE / PROFILES; it caches them), and
 * the allocator places instances on them without moving any that run elsewhere. An agent not heard
 * from for TIMING.agentTimeoutMs is gone: members it leaves without an instance are placed again on
 * the agents present. Without a plan (`--one-per-member`), a replica of the head's worker layout.
 * Either way each worker process keeps its instance number when its agent joins again.
 *
 * The link is a CURVE server: only agents whose public key is on the allow-list get in.
 */
import { readFile } from 'node:fs/promises';
import { Router } from 'zeromq';
import {
  AGENT_PROTOCOL_VERSION,
  SendQueue,
  TuttiError,
  decodeAgentMessage,
  encodeAgentMessage,
  workerId,
  type AgentMessage,
  type AgentModel,
} from '@tutti/protocol';
import { formatPlan, type AllocationInput, type Device, type MemberProfile } from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import type { WorkerConfig } from '../shared/config.js';
import { TIMING } from '../shared/timing.js';
import { hashFile } from '../shared/file-hash.js';
import type { Cluster, HostPlacement } from './cluster.js';
import { curveServerOptions, startZap, type CurveConfig, type ZapHandler } from '../shared/curve.js';
import type { Logger } from '../shared/log.js';

export interface AgentHubOptions {
  endpoint: string;
  /** The head's key pair and the agents' public keys allowed in; required unless the endpoint is loopback. */
  curve?: CurveConfig;
  ensemble: Ensemble;
  /** The head's own worker configurations: without `planning`, each agent runs a copy of them. */
  template: WorkerConfig[];
  /** One plan across hosts, when the head serves a plan: agents are profiled and placed by the allocator. */
  planning?: {
    cluster: Cluster;
    batchSizes: number[];
    /** The worker processes of a host's placement, numbered from 0 per shard (the hub renumbers them). */
    configsFor(placement: HostPlacement, input: AllocationInput): WorkerConfig[];
  };
  /** Ports of the batcher's ROUTER for workers and the combiner's PULL, bound on every interface. */
  ports: { batches: number; results: number };
  logger: Logger;
}

interface ModelFile extends AgentModel {
  path: string;
}

/** What the hub knows of one agent. */
export interface AgentInfo {
  host: string;
  workers: number;
  lastSeen: number;
  /** Its devices, under its own ids. */
  devices: Device[];
}

const LOOPBACK = /^(tcp:\/\/(127\.0\.0\.1|localhost|\[::1\]):|ipc:)/;

export class AgentHub {
  #options: AgentHubOptions;
  #socket: Router;
  #queue: SendQueue;
  #zap: ZapHandler | undefined;
  /** Hashed when the first agent joins, not at the head's start: a head without agents reads no model twice. */
  #models: Promise<ModelFile[]> | undefined;
  /** Per agent (routing id), the worker configurations it was given: the same again when it rejoins. */
  #assigned = new Map<string, WorkerConfig[]>();
  /** Agents present (joined, and heard from within TIMING.agentTimeoutMs). */
  #agents = new Map<string, AgentInfo>();
  /** Agents asked for profiles, with the host and devices they joined with. */
  #profiling = new Map<string, { host: string; devices: Device[] }>();
  /** Next instance number per shard: past the head's own, and past every agent's so far. */
  #nextInstance = new Map<string, number>();
  /** Instance number of an agent's k-th process of a shard (`agent|shard|k`): kept across re-plans. */
  #numbers = new Map<string, number>();
  #expiry: NodeJS.Timeout | undefined;
  #endpoint = '';

  private constructor(options: AgentHubOptions) {
    this.#options = options;
    this.#socket = new Router({ linger: 0, maxMessageSize: -1, ...(options.curve && curveServerOptions(options.curve)) });
    this.#queue = new SendQueue(this.#socket, (error) => options.logger.error({ err: error }, 'send to an agent failed'));
    for (const config of options.template) {
      this.#nextInstance.set(config.shard, Math.max(this.#nextInstance.get(config.shard) ?? 0, config.instance + 1));
    }
  }

  static async start(options: AgentHubOptions): Promise<AgentHub> {
    if (!options.curve && !LOOPBACK.test(options.endpoint)) {
      throw new TuttiError(
        'INVALID_OPTION',
        `agents at ${options.endpoint} can reach this head from other hosts: give the head a key pair and the agents' public keys (tutti keys; --agent-key and --allow-agent)`,
      );
    }
    const hub = new AgentHub(options);
    if (options.curve) hub.#zap = await startZap(options.curve, 'agent link');
    await hub.#socket.bind(options.endpoint.replace(/:0$/, ':*'));
    hub.#endpoint = hub.#socket.lastEndpoint!;
    void hub.#loop();
    hub.#expiry = setInterval(() => hub.#expire(), TIMING.agentBeatMs);
    return hub;
  }

  get endpoint(): string {
    return this.#endpoint;
  }

  /** The agents heard from, by routing id. */
  get agents(): Record<string, AgentInfo> {
    return Object.fromEntries(this.#agents);
  }

  async #loop(): Promise<void> {
    for await (const [identity, frame] of this.#socket) {
      const id = identity!.toString();
      let message: AgentMessage;
      try {
        message = decodeAgentMessage(frame!);
      } catch (error) {
        this.#options.logger.warn({ agent: id }, `dropped a message from agent ${id}: ${(error as Error).message}`);
        continue;
      }
      try {
        await this.#handle(identity!, id, message);
      } catch (error) {
        this.#options.logger.error({ agent: id, err: error }, `agent ${id}: ${(error as Error).message}`);
      }
    }
  }

  #modelFiles(): Promise<ModelFile[]> {
    this.#models ??= Promise.all(this.#options.ensemble.members.map((member) => modelFile(member.name, member.path)));
    return this.#models;
  }

  async #handle(identity: Buffer, id: string, message: AgentMessage): Promise<void> {
    const send = (reply: AgentMessage) => this.#queue.send([identity, encodeAgentMessage(reply)]);
    if (message.kind === 'join') {
      if (message.protocol !== AGENT_PROTOCOL_VERSION) {
        send({ kind: 'refused', reason: `agent protocol ${message.protocol}; this head speaks ${AGENT_PROTOCOL_VERSION}` });
        return;
      }
      let devices: Device[];
      try {
        devices = message.devices.map(deviceOf);
      } catch (error) {
        send({ kind: 'refused', reason: (error as Error).message });
        return;
      }
      const { planning } = this.#options;
      const known = planning?.cluster.rejoin(id, devices);
      if (planning && !known) {
        // A host new to this plan: its members' profiles first (the agent measures them, or has them cached).
        this.#profiling.set(id, { host: message.host, devices });
        send({
          kind: 'profile',
          ensemble: this.#options.ensemble as unknown as Record<string, unknown>,
          models: await this.#announcedModels(),
          batchSizes: planning.batchSizes,
        });
        return;
      }
      const workers = known ? this.#configsOf(id, known) : this.#replicaOf(id);
      this.#admit(id, message.host, devices, workers);
      send(await this.#assignment(workers));
    } else if (message.kind === 'profiles') {
      const joining = this.#profiling.get(id);
      if (!joining || !this.#options.planning) return;
      const { host, devices } = joining;
      this.#profiling.delete(id);
      if (message.error !== undefined) {
        send({ kind: 'refused', reason: `it could not profile the members: ${message.error}` });
        return;
      }
      let placement: HostPlacement;
      try {
        placement = this.#options.planning.cluster.join(
          id,
          devices,
          message.profiles as unknown as Record<string, Record<string, MemberProfile>>,
        );
      } catch (error) {
        send({ kind: 'refused', reason: `no plan places instances on it: ${(error as Error).message}` });
        return;
      }
      const workers = this.#configsOf(id, placement);
      this.#admit(id, host, devices, workers);
      this.#options.logger.info(`plan across hosts, with ${id}:\n${formatPlan(this.#options.planning.cluster.plan())}`);
      send(await this.#assignment(workers));
    } else if (message.kind === 'fetch') {
      // An agent without its model cannot serve: it is told why (and stops) rather than left waiting.
      const model = (await this.#modelFiles()).find((m) => m.sha256 === message.sha256);
      if (!model) {
        send({ kind: 'refused', reason: `asked for model ${message.sha256}, which ensemble ${this.#options.ensemble.name} does not have` });
        return;
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(model.path);
      } catch (error) {
        send({ kind: 'refused', reason: `the head cannot read ${model.path} (${model.member}): ${(error as Error).message}` });
        throw error;
      }
      send({ kind: 'model', sha256: model.sha256, bytes });
    } else if (message.kind === 'beat') {
      const agent = this.#agents.get(id);
      if (agent) agent.lastSeen = Date.now();
      // One profiling has not joined yet, but is known: asked to join again, it would profile again.
      else if (!this.#profiling.has(id)) send({ kind: 'rejoin' });
    }
  }

  #admit(id: string, host: string, devices: Device[], workers: WorkerConfig[]): void {
    this.#agents.set(id, { host, workers: workers.length, lastSeen: Date.now(), devices });
    const ids = workers.map((w) => workerId(w.shard, w.instance));
    this.#options.logger.info(
      { agent: id, host, workers: ids },
      `agent ${id} joined: ${workers.length} worker process(es) assigned (${ids.join(', ')}) on ${devices.map((d) => `${d.id} ${d.name}`).join(', ')}`,
    );
  }

  async #announcedModels(): Promise<AgentModel[]> {
    return (await this.#modelFiles()).map(({ member, sha256, bytes }) => ({ member, sha256, bytes }));
  }

  async #assignment(workers: WorkerConfig[]): Promise<AgentMessage> {
    return {
      kind: 'assign',
      workers: workers as unknown as Record<string, unknown>[],
      ports: this.#options.ports,
      models: await this.#announcedModels(),
    };
  }

  /** Agents not heard from for TIMING.agentTimeoutMs are gone: the plan is repaired without them. */
  #expire(): void {
    const planning = this.#options.planning;
    for (const [id, agent] of this.#agents) {
      if (Date.now() - agent.lastSeen < TIMING.agentTimeoutMs) continue;
      this.#agents.delete(id);
      this.#options.logger.warn({ agent: id }, `agent ${id} is gone (no beat for ${TIMING.agentTimeoutMs} ms)`);
      if (!planning) continue;
      let changed: Map<string, HostPlacement>;
      try {
        changed = planning.cluster.leave(id);
      } catch (error) {
        this.#options.logger.error({ err: error }, `the plan could not be repaired without ${id}: ${(error as Error).message}`);
        changed = new Map();
      }
      for (const [host, placement] of changed) {
        const workers = this.#configsOf(host, placement);
        this.#agents.get(host)!.workers = workers.length;
        this.#options.logger.info({ agent: host }, `plan repaired: ${host} now runs ${workers.length} worker process(es)`);
        void this.#assignment(workers).then((message) => this.#queue.send([Buffer.from(host), encodeAgentMessage(message)]));
      }
      const missing = planning.cluster.missing();
      if (missing.length > 0)
        this.#options.logger.error(
          `members without any instance now: ${missing.join(', ')} (not ready until a host that can run them joins)`,
        );
    }
  }

  /** A placement's worker processes, each under the instance number it had before (new ones get new numbers). */
  #configsOf(id: string, placement: HostPlacement): WorkerConfig[] {
    const planning = this.#options.planning!;
    const configs = planning.configsFor(placement, planning.cluster.input());
    const seen = new Map<string, number>();
    const numbered = configs.map((config) => {
      const k = seen.get(config.shard) ?? 0;
      seen.set(config.shard, k + 1);
      const key = `${id}|${config.shard}|${k}`;
      let instance = this.#numbers.get(key);
      if (instance === undefined) {
        instance = this.#nextInstance.get(config.shard) ?? 0;
        this.#nextInstance.set(config.shard, instance + 1);
        this.#numbers.set(key, instance);
      }
      return { ...config, instance, members: config.members.map((m) => ({ ...m, instance })) };
    });
    this.#assigned.set(id, numbered);
    return numbered;
  }

  /** Without a plan: a copy of the head's layout, under instance numbers of the agent's own. */
  #replicaOf(id: string): WorkerConfig[] {
    let assigned = this.#assigned.get(id);
    if (!assigned) {
      assigned = this.#options.template.map((config) => {
        const instance = this.#nextInstance.get(config.shard) ?? 0;
        this.#nextInstance.set(config.shard, instance + 1);
        return { ...config, instance, members: config.members.map((m) => ({ ...m, instance })) };
      });
      this.#assigned.set(id, assigned);
    }
    return assigned;
  }

  close(): void {
    clearInterval(this.#expiry);
    this.#socket.close();
    this.#zap?.close();
  }
}

/** A device as an agent reported it, checked: the allocator will plan on it. */
function deviceOf(raw: Record<string, unknown>): Device {
  const problems: string[] = [];
  if (typeof raw.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(raw.id)) problems.push(`id ${JSON.stringify(raw.id)}`);
  if (raw.kind !== 'cpu' && raw.kind !== 'gpu') problems.push(`kind ${JSON.stringify(raw.kind)}`);
  if (typeof raw.name !== 'string' || raw.name.length === 0) problems.push('no name');
  if (!(typeof raw.memoryBytes === 'number' && raw.memoryBytes > 0)) problems.push('no memoryBytes');
  if (raw.kind === 'cpu' && !(Number.isInteger(raw.cores) && (raw.cores as number) > 0)) problems.push('a CPU without cores');
  if (raw.origin !== 'detected' && raw.origin !== 'declared') problems.push(`origin ${JSON.stringify(raw.origin)}`);
  if (problems.length > 0) throw new TuttiError('INVALID_ARGUMENT', `it reported a device the head cannot plan on: ${problems.join(', ')}`);
  return raw as unknown as Device;
}

/** A model file's size and sha256. */
async function modelFile(member: string, path: string): Promise<ModelFile> {
  return { member, path, ...(await hashFile(path)) };
}
