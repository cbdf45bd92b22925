/**
 * The combiner's side of a cascade (issue 16), as pure logic: the members' outputs each request has
 * had so far, kept between its stages (CascadeHold), and the decision after a stage: combine what
 * the request has with the ensemble's rule, score it, and answer if every row reaches the threshold
 * its accuracy target calls for at this stage (always at the last stage), else go on.
 */
import { bytesOf, encodeError, encodeMessage, viewAs, type InferReply, type PlanPart, type WireTensor } from '@tutti/protocol';
import type { MemberResult } from './batch-assembly.js';
import { encodeDeadline, rowsOf } from '../shared/replies.js';
import { callsUpTo, exitScores, membersUpTo, type CombineInput, type CombineOutput } from '@tutti/rules';
import type { ServedCascade } from '../shared/cascade.js';

/** A request's identity across its stages: its envelope and id (the batcher sends it again unchanged). */
export function cascadeKey(part: PlanPart): string {
  return `${part.envelope.map((frame) => Buffer.from(frame).toString('base64')).join('.')}\u0000${typeof part.id}:${part.id}`;
}

/** One part's rows of a member's output tensor, copied (the batch's frames are not kept alive by it). */
export function partRows(tensor: WireTensor, part: PlanPart): WireTensor {
  const rows = rowsOf(tensor, part, tensor.name);
  return { ...rows, data: Buffer.from(rows.data) };
}

/** At most this many requests' outputs are held (the oldest deadline goes first past it). */
const MAX_HELD = 100_000;

/** How often the hold is swept for requests past their deadline. */
const SWEEP_MS = 1_000;

export class CascadeHold {
  #held = new Map<string, { outputs: Map<string, WireTensor[]>; deadline: number }>();
  #sweptAt = -Infinity;

  get size(): number {
    return this.#held.size;
  }

  /** The outputs a request had, taken (it is held again if it goes on); undefined if none are held. */
  take(key: string): Map<string, WireTensor[]> | undefined {
    const held = this.#held.get(key);
    this.#held.delete(key);
    return held?.outputs;
  }

  put(key: string, outputs: Map<string, WireTensor[]>, deadline: number): void {
    if (this.#held.size >= MAX_HELD) this.#held.delete(this.#held.keys().next().value!);
    this.#held.set(key, { outputs, deadline });
  }

  /**
   * Drops what requests past their deadline had (a request with no deadline, 0, stays until
   * answered). Called per stage batch, it looks at most once a second: a sweep reads every entry.
   */
  expire(now: number): void {
    if (now - this.#sweptAt < SWEEP_MS) return;
    this.#sweptAt = now;
    for (const [key, held] of this.#held) if (held.deadline && held.deadline < now) this.#held.delete(key);
  }
}

export interface StageOutcome {
  /** The members combined, in manifest order. */
  members: string[];
  /** Member calls a request answered at this stage has cost. */
  calls: number;
  /** The combination of the whole batch, per ensemble output, with its shape. */
  combined: CombineOutput;
  shapes: Record<string, number[]>;
  /** Per part, in plan order: whether it exits here, and its exit score (the lowest of its rows). */
  exits: boolean[];
  confidence: number[];
}

/**
 * One stage's batch, combined and scored at once (one rule call, as for a batch of every member):
 * `outputs` holds, per member so far, its tensors over the whole batch (the stage's own results, and
 * the earlier stages' rows of each request put back in plan order, see batchRows). A part exits if
 * every row of it reaches the threshold its target calls for at this stage, and always at the last.
 */
export function combineStage(
  cascade: ServedCascade,
  stage: number,
  parts: readonly PlanPart[],
  outputs: ReadonlyMap<string, WireTensor[]>,
  outputNames: readonly string[],
): StageOutcome {
  const { spec } = cascade;
  const members = membersUpTo(spec, stage);
  const arrays = (name: string) => members.map((m) => viewAs('FP32', outputs.get(m)!.find((t) => t.name === name)!.data) as Float32Array);
  const first = outputs.get(members[0]!)!;
  const input: CombineInput = {
    members,
    weights: members.map((m) => spec.weights[spec.members.indexOf(m)]!),
    outputs: Object.fromEntries(
      outputNames.map((name) => [name, { shape: first.find((t) => t.name === name)!.shape, data: arrays(name) }]),
    ),
  };
  const combined = spec.rule(input) as CombineOutput;
  const scored = arrays(spec.output);
  const scores = exitScores(spec, stage, combined[spec.output]!, new Map(members.map((m, k) => [m, scored[k]!])));
  const last = stage === spec.stages.length - 1;
  const confidence = parts.map((part) => {
    let low = Infinity;
    for (let row = part.offset; row < part.offset + part.count; row++) low = Math.min(low, scores[row]!);
    return low;
  });
  return {
    members,
    calls: callsUpTo(spec, stage),
    combined,
    shapes: Object.fromEntries(outputNames.map((name) => [name, input.outputs[name]!.shape])),
    exits: parts.map((part, k) => last || (part.target !== undefined && confidence[k]! >= cascade.thresholds(part.target)[stage]!)),
    confidence,
  };
}

/**
 * A member's tensor over a whole stage batch from what each request had at earlier stages (parts
 * are contiguous, in plan order); a request with nothing held (`undefined`) gets zero rows, and is
 * answered with an error, not from them. `like` is a tensor of the batch with the same row size.
 */
export function batchRows(
  parts: readonly PlanPart[],
  held: readonly (ReadonlyMap<string, WireTensor[]> | undefined)[],
  member: string,
  like: WireTensor,
): WireTensor {
  const rowBytes = like.data.byteLength / like.shape[0]!;
  const pieces = parts.map((part, k) => {
    const tensor = held[k]?.get(member)?.find((t) => t.name === like.name);
    return tensor ? tensor.data : new Uint8Array(part.count * rowBytes);
  });
  return { ...like, data: Buffer.concat(pieces) };
}

/** One part's rows of a combination, as reply tensors in the ensemble's output order. */
export function combinedRows(
  outcome: StageOutcome,
  part: PlanPart,
  outputs: readonly { name: string; datatype: WireTensor['datatype'] }[],
): WireTensor[] {
  // Views, not copies: the reply is encoded at once.
  return outputs.map(({ name, datatype }) =>
    rowsOf({ datatype, shape: outcome.shapes[name]!, data: bytesOf(outcome.combined[name]!) }, part, name),
  );
}

/** What one request of a stage batch gets: a reply (with its outcome for the metrics), or to go on with these outputs kept. */
export type StagePart = { part: PlanPart; frames: Buffer[]; outcome: string } | { part: PlanPart; keep: Map<string, WireTensor[]> };

/**
 * A stage batch's requests, each answered or sent on: from the stage's results and what each had at
 * its earlier stages (`held`, plan order; undefined when lost: answered UNAVAILABLE). Throws when the
 * rule fails (the caller answers the whole batch INTERNAL).
 */
export function stageParts(
  cascade: ServedCascade,
  ensemble: { name: string; outputs: readonly { name: string; datatype: WireTensor['datatype'] }[] },
  plan: { batch: number; size: number; stage?: number; parts: readonly PlanPart[] },
  results: readonly MemberResult[],
  held: readonly (ReadonlyMap<string, WireTensor[]> | undefined)[],
  now: number,
): { parts: StagePart[]; calls: number } {
  const stage = plan.stage!;
  const outputs = new Map(results.map((r) => [r.member, r.outputs]));
  const like = results[0]!.outputs;
  for (const member of membersUpTo(cascade.spec, stage))
    if (!outputs.has(member))
      outputs.set(
        member,
        like.map((tensor) => batchRows(plan.parts, held, member, tensor)),
      );
  const outcome = combineStage(
    cascade,
    stage,
    plan.parts,
    outputs,
    ensemble.outputs.map((o) => o.name),
  );
  const parts = plan.parts.map((part, k): StagePart => {
    if (!held[k]) {
      const message = `the cascade lost request ${part.id}'s earlier stages (the combiner restarted); send it again`;
      return { part, frames: [...part.envelope, encodeError(part.id, 'UNAVAILABLE', message)], outcome: 'UNAVAILABLE' };
    }
    if (part.deadline && now > part.deadline) return { part, frames: encodeDeadline(part), outcome: 'DEADLINE_EXCEEDED' };
    if (!outcome.exits[k]) return { part, keep: new Map(outcome.members.map((m) => [m, outputs.get(m)!.map((t) => partRows(t, part))])) };
    const answer: InferReply = {
      id: part.id,
      model_name: ensemble.name,
      outputs: combinedRows(outcome, part, ensemble.outputs),
      parameters: {
        batch_id: plan.batch,
        batch_size: plan.size,
        members_used: outcome.members,
        exit_stage: stage,
        confidence: outcome.confidence[k]!,
      },
    };
    return { part, frames: [...part.envelope, encodeMessage(answer)], outcome: 'ok' };
  });
  return { parts, calls: outcome.calls };
}
