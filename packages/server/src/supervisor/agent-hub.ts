/**
 * The head's side of the agents (issue 15): a ROUTER where `tutti agent --join` processes on other
 * hosts announce themselves. Each agent that joins is assigned worker processes, which it runs on
 * its host and which connect straight to this host's batcher and combiner over tcp (with the
 * internal CurveZMQ keys, sent over this link); it fetches the model files it lacks from here, by
 * sha256. The batcher learns the agent's instances from their hellos, as it learns local ones, and
 * expires them when their heartbeats stop (a host cut off): their batches go to other instances.
 *
 * What an agent is given: a replica of the head's worker layout (the same groups, threads and batch
 * sizes), with instance numbers of its own that it keeps when it joins again. That suits hosts like
 * the head; placing instances over unlike hosts with the allocator is not built yet.
 *
 * The link is a CURVE server: only agents whose public key is on the allow-list get in.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Router } from 'zeromq';
import {
  AGENT_PROTOCOL_VERSION,
  SendQueue,
  TuttiError,
  decodeAgentMessage,
  encodeAgentMessage,
  type AgentMessage,
  type AgentModel,
} from '@tutti/protocol';
import type { Ensemble } from '@tutti/manifest';
import type { WorkerConfig } from '../shared/config.js';
import { curveServerOptions, startZap, type CurveConfig, type ZapHandler } from '../shared/curve.js';
import type { Logger } from '../shared/log.js';

export interface AgentHubOptions {
  endpoint: string;
  /** The head's key pair and the agents' public keys allowed in; required unless the endpoint is loopback. */
  curve?: CurveConfig;
  ensemble: Ensemble;
  /** The head's own worker configurations: each agent runs a copy of them. */
  template: WorkerConfig[];
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
  #agents = new Map<string, AgentInfo>();
  /** Next instance number per shard: past the head's own, and past every agent's so far. */
  #nextInstance = new Map<string, number>();
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
      const workers = this.#assignmentOf(id);
      this.#agents.set(id, { host: message.host, workers: workers.length, lastSeen: Date.now() });
      this.#options.logger.info(
        { agent: id, host: message.host, workers: workers.length },
        `agent ${id} (${message.host}, ${message.cores} cores) joined: ${workers.length} worker process(es) assigned, instance #${[...new Set(workers.map((w) => w.instance))].join(', #')}`,
      );
      send({
        kind: 'assign',
        workers: workers as unknown as Record<string, unknown>[],
        ports: this.#options.ports,
        models: (await this.#modelFiles()).map(({ member, sha256, bytes }) => ({ member, sha256, bytes })),
      });
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
      if (!agent) send({ kind: 'rejoin' });
      else agent.lastSeen = Date.now();
    }
  }

  /** The agent's worker configurations: a copy of the head's layout, under instance numbers of its own. */
  #assignmentOf(id: string): WorkerConfig[] {
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
    this.#socket.close();
    this.#zap?.close();
  }
}

/** A model file's size and sha256, read as a stream (models run to hundreds of MB). */
async function modelFile(member: string, path: string): Promise<ModelFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { member, path, bytes, sha256: hash.digest('hex') };
}
