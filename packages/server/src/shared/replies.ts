/**
 * Turns a combined batch into one reply per client request: each gets its own rows of every output
 * (and of every member's outputs when it asked for them), encoded as a protocol v1 reply. Pure.
 */
import type { Ensemble } from '@tutti/manifest';
import type { CombineInput, CombineOutput } from '@tutti/rules';
import {
  DIRECT_REPLY_ID_PREFIX,
  REPLY,
  TuttiError,
  bytesOf,
  encodeError,
  encodeHeader,
  encodeMessage,
  viewAs,
  type InferReply,
  type PlanPart,
  type RequestId,
  type ReturnedCredit,
  type WireTensor,
} from '@tutti/protocol';
import type { CompleteBatch } from '../combiner/batch-assembly.js';

/**
 * A request's identity across its client's re-sends: the client's routing id and the request id.
 * Only clients that named themselves `tutti-...` (the direct-reply opt-in, see PROTOCOL.md) have
 * one: their routing id is theirs for good, and they promise ids unique among their requests in
 * flight. Others (a ZeroMQ-generated id changes with each connection) have none: never deduplicated.
 */
export function requestKey(envelope: readonly Uint8Array[], id: RequestId): string | undefined {
  const client = envelope.length === 1 ? envelope[0]! : undefined;
  if (!client || !namedTutti(client)) return undefined;
  const name = (Buffer.isBuffer(client) ? client : Buffer.from(client.buffer, client.byteOffset, client.byteLength)).toString('latin1');
  return `${name}\u0000${typeof id}:${id}`;
}

const TUTTI_ID = Buffer.from(DIRECT_REPLY_ID_PREFIX);

/** Whether a routing id is `tutti-...` and longer (compared in place: this runs for every request). */
function namedTutti(client: Uint8Array): boolean {
  if (client.length <= TUTTI_ID.length) return false;
  for (let k = 0; k < TUTTI_ID.length; k++) if (client[k] !== TUTTI_ID[k]) return false;
  return true;
}

/** The rule's input: per ensemble output, every member's array (FP32, checked by the manifest). A partial batch has fewer members. */
export function combineInputOf(ensemble: Ensemble, batch: CompleteBatch): CombineInput {
  const outputs: CombineInput['outputs'] = {};
  for (const spec of ensemble.outputs) {
    let shape: number[] | undefined;
    const data = batch.results.map((result) => {
      const tensor = result.outputs.find((t) => t.name === spec.name);
      if (!tensor) throw new TuttiError('INTERNAL', `member "${result.member}" returned no output "${spec.name}"`);
      if (tensor.shape[0] !== batch.plan.size) {
        throw new TuttiError(
          'INTERNAL',
          `member "${result.member}" returned ${tensor.shape[0]} rows of "${spec.name}" for a batch of ${batch.plan.size}`,
        );
      }
      shape ??= tensor.shape;
      return viewAs(spec.datatype, tensor.data) as Float32Array;
    });
    outputs[spec.name] = { shape: shape!, data };
  }
  return {
    members: batch.results.map((r) => r.member),
    weights: batch.results.map((r) => ensemble.members.find((m) => m.name === r.member)!.weight),
    outputs,
  };
}

/** One request's rows of a batch's tensor, as a view (no copy). */
export function rowsOf(
  tensor: { shape: readonly number[]; datatype: WireTensor['datatype']; data: Uint8Array },
  part: Pick<PlanPart, 'offset' | 'count'>,
  name: string,
): WireTensor {
  const rowBytes = tensor.data.byteLength / tensor.shape[0]!;
  const start = part.offset * rowBytes;
  return {
    name,
    datatype: tensor.datatype,
    shape: [part.count, ...tensor.shape.slice(1)],
    data: tensor.data.subarray(start, start + part.count * rowBytes),
  };
}

export function encodeReplies(
  ensemble: Ensemble,
  batch: CompleteBatch,
  input: CombineInput,
  combined: CombineOutput,
  now: number,
): Buffer[][] {
  // Combined arrays have the members' shape: [batch rows, ...].
  const outputs = ensemble.outputs.map((spec) => ({
    name: spec.name,
    datatype: spec.datatype,
    shape: input.outputs[spec.name]!.shape,
    data: bytesOf(combined[spec.name]!),
  }));
  return batch.plan.parts.map((part) => {
    if (part.deadline && now > part.deadline) {
      return [
        ...part.envelope,
        encodeError(part.id, 'DEADLINE_EXCEEDED', `request ${part.id} missed its deadline while its batch was computed`),
      ];
    }
    const reply: InferReply = {
      id: part.id,
      model_name: ensemble.name,
      outputs: outputs.map((tensor) => rowsOf(tensor, part, tensor.name)),
      parameters: { batch_id: batch.plan.batch, batch_size: batch.plan.size },
    };
    if (batch.results.length < ensemble.members.length) {
      reply.parameters = { ...reply.parameters!, partial: true, members_used: batch.results.map((r) => r.member) };
    }
    if (part.members) {
      reply.members = Object.fromEntries(
        batch.results.map((result) => [result.member, result.outputs.map((tensor) => rowsOf(tensor, part, tensor.name))]),
      );
    }
    return [...part.envelope, encodeMessage(reply)];
  });
}

/** What a REPLY message says besides the answers it carries (see ReplyHeader). */
export interface ReplyNotes {
  /** Parts already sent straight to their client (no frames here). */
  direct?: number[];
  /** Parts held back as maybe sent by the combiner before this one. */
  unsure?: number[];
  /** Parts that go on to their cascade's next stage. */
  continued?: number[];
  /** Instances whose results are in: their credits come back. */
  credits?: ReturnedCredit[];
}

/** One message answering several parts of a batch: the REPLY header, then each part's frames in turn. */
export function replyMessage(
  batch: number,
  answers: readonly { index: number; frames: Buffer[] }[],
  last: boolean,
  notes: ReplyNotes = {},
): Buffer[] {
  const { direct, unsure, continued, credits } = notes;
  const parts = answers.map((a) => a.index);
  const frames = answers.map((a) => a.frames.length);
  const header = encodeHeader({
    kind: REPLY,
    batch,
    parts,
    frames,
    last,
    ...(direct && direct.length > 0 && { direct }),
    ...(unsure && unsure.length > 0 && { unsure }),
    ...(continued && continued.length > 0 && { continued }),
    ...(credits && credits.length > 0 && { credits }),
  });
  return [header, ...answers.flatMap((a) => a.frames)];
}

/** The parts of a REPLY message (see replyMessage), as [part index, frames] pairs. */
export function splitReply(parts: readonly number[], counts: readonly number[], frames: readonly Buffer[]): [number, Buffer[]][] {
  let offset = 0;
  return parts.map((part, k) => {
    const slice = frames.slice(offset, offset + counts[k]!);
    offset += counts[k]!;
    return [part, slice];
  });
}

export function encodeDeadline(part: PlanPart): Buffer[] {
  return [
    ...part.envelope,
    encodeError(part.id, 'DEADLINE_EXCEEDED', `request ${part.id} passed its timeout while its batch was computed`),
  ];
}

export function encodeFailure(
  batch: CompleteBatch | { plan: CompleteBatch['plan'] },
  code: 'INTERNAL' | 'UNAVAILABLE',
  message: string,
): Buffer[][] {
  return batch.plan.parts.map((part) => [...part.envelope, encodeError(part.id, code, message)]);
}
