/**
 * Messages between a head (`tutti serve --agents`) and the agents on other hosts (`tutti agent
 * --join`): control and model files, never requests or results (those go from the agent's workers
 * straight to the head's batcher and combiner). One msgpack frame per message, on a DEALER (agent)
 * to ROUTER (head) link encrypted with CurveZMQ; the head lets in only agents whose public key it
 * was given.
 *
 *   agent -> head   JOIN      {host, cores, devices, cached}  I am here, with these devices; models I hold
 *   head  -> agent  PROFILE   {ensemble, models, batchSizes}  profile these members on your devices
 *   agent -> head   PROFILES  {profiles | error}           their profiles (cached on the agent), or why not
 *   head  -> agent  ASSIGN    {workers, ports, models}     run these worker processes
 *   agent -> head   FETCH     {sha256}                     send me this model file
 *   head  -> agent  MODEL     {sha256, bytes}              a model file
 *   agent -> head   BEAT      {workers}                    alive, with how many workers run
 *   head  -> agent  REJOIN    {}                           who are you? (a head that restarted)
 *   head  -> agent  REFUSED   {reason}                     this agent cannot be used (a person must act)
 */
import { Packr } from 'msgpackr';
import { TuttiError } from '@tutti/core';

/** 2: JOIN carries the agent's devices; PROFILE and PROFILES, for a head that plans over every host. */
export const AGENT_PROTOCOL_VERSION = 2;

export interface JoinMessage {
  kind: 'join';
  protocol: number;
  /** The agent's name for its host (its hostname, or --name). */
  host: string;
  cores: number;
  memoryBytes: number;
  /**
   * The host's devices as the allocator describes them (@tutti/allocator's Device), under the
   * host's own ids ('cpu', 'gpu0'): detected there, or declared in the agent's devices file.
   */
  devices: Record<string, unknown>[];
  /** sha256 of the model files the agent holds already. */
  cached: string[];
}

/** A model file the agent's workers need: where the head's manifest had it, and its content hash. */
export interface AgentModel {
  member: string;
  sha256: string;
  bytes: number;
}

export interface AssignMessage {
  kind: 'assign';
  /**
   * Worker process configurations, as the head would give its own workers, except that each
   * member's model path is replaced by its sha256 and the endpoints by ports: the agent fills in
   * its cached file and the head's address as it reached it.
   */
  workers: Record<string, unknown>[];
  /** The head's ports for workers: the batcher's ROUTER and the combiner's PULL. */
  ports: { batches: number; results: number };
  models: AgentModel[];
}

/**
 * The head plans over every host's devices from the members' profiles on them: the agent measures
 * them (once per model file and device name: it caches them) with the models it fetches.
 */
export interface ProfileMessage {
  kind: 'profile';
  /** The ensemble (@tutti/manifest's Ensemble) whose members to profile; paths are the head's. */
  ensemble: Record<string, unknown>;
  models: AgentModel[];
  /** Batch sizes the head plans with: every profile must cover them. */
  batchSizes: number[];
}

export interface ProfilesMessage {
  kind: 'profiles';
  /** profiles[member][local device id]: @tutti/allocator's MemberProfile. */
  profiles?: Record<string, Record<string, Record<string, unknown>>>;
  /** Why the agent could not profile (the head then refuses it, saying so). */
  error?: string;
}

export interface FetchMessage {
  kind: 'fetch';
  sha256: string;
}

export interface ModelMessage {
  kind: 'model';
  sha256: string;
  bytes: Uint8Array;
}

export interface BeatMessage {
  kind: 'beat';
  workers: number;
}

export interface RejoinMessage {
  kind: 'rejoin';
}

export interface RefusedMessage {
  kind: 'refused';
  reason: string;
}

export type AgentMessage =
  | JoinMessage
  | ProfileMessage
  | ProfilesMessage
  | AssignMessage
  | FetchMessage
  | ModelMessage
  | BeatMessage
  | RejoinMessage
  | RefusedMessage;

const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });
const KINDS = new Set(['join', 'profile', 'profiles', 'assign', 'fetch', 'model', 'beat', 'rejoin', 'refused']);

export function encodeAgentMessage(message: AgentMessage): Buffer {
  return packr.pack(message);
}

/** Decodes and checks the shape of an agent message; throws INTERNAL naming what is wrong. */
export function decodeAgentMessage(frame: Uint8Array): AgentMessage {
  let message: Record<string, unknown>;
  try {
    message = packr.unpack(frame) as Record<string, unknown>;
  } catch (error) {
    throw new TuttiError('INTERNAL', `agent message does not decode: ${(error as Error).message}`);
  }
  if (typeof message !== 'object' || message === null || !KINDS.has(message.kind as string)) {
    throw new TuttiError('INTERNAL', `agent message of unknown kind ${String((message as { kind?: unknown })?.kind)}`);
  }
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new TuttiError('INTERNAL', `malformed ${String(message.kind)} message: ${what}`);
  };
  const isHash = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  switch (message.kind) {
    case 'join':
      need(typeof message.host === 'string' && message.host.length > 0, 'no host');
      need(Number.isInteger(message.cores) && (message.cores as number) > 0, 'no cores');
      need(Array.isArray(message.cached) && message.cached.every(isHash), 'cached is not a list of sha256');
      need(
        message.protocol !== AGENT_PROTOCOL_VERSION ||
          (Array.isArray(message.devices) && message.devices.every((d) => typeof (d as { id?: unknown })?.id === 'string')),
        'devices is not a list of devices with ids',
      );
      // Any version decodes: the head answers one it does not speak with REFUSED, saying which it speaks.
      need(Number.isInteger(message.protocol) && (message.protocol as number) >= 1, 'no protocol version');
      break;
    case 'profile':
      need(typeof message.ensemble === 'object' && message.ensemble !== null, 'no ensemble');
      need(Array.isArray(message.models) && (message.models as AgentModel[]).every((m) => isHash(m?.sha256)), 'models have no sha256');
      need(
        Array.isArray(message.batchSizes) && message.batchSizes.every((b) => Number.isInteger(b) && (b as number) > 0),
        'batchSizes is not a list of sizes',
      );
      break;
    case 'profiles':
      need(
        typeof message.error === 'string' || (typeof message.profiles === 'object' && message.profiles !== null),
        'neither profiles nor an error',
      );
      break;
    case 'assign':
      need(Array.isArray(message.workers), 'workers is not a list');
      need(Array.isArray(message.models) && (message.models as AgentModel[]).every((m) => isHash(m?.sha256)), 'models have no sha256');
      need(
        typeof message.ports === 'object' &&
          message.ports !== null &&
          Number.isInteger((message.ports as Record<string, unknown>).batches) &&
          Number.isInteger((message.ports as Record<string, unknown>).results),
        'ports missing',
      );
      break;
    case 'fetch':
      need(isHash(message.sha256), 'sha256 is not a sha256');
      break;
    case 'model':
      need(isHash(message.sha256) && message.bytes instanceof Uint8Array, 'sha256 or bytes missing');
      break;
    case 'beat':
      need(Number.isInteger(message.workers), 'workers is not a count');
      break;
    case 'refused':
      need(typeof message.reason === 'string', 'no reason');
      break;
  }
  return message as unknown as AgentMessage;
}
