/**
 * The combiner's side of a cascade (issue 16), as pure logic: the members' outputs each request has
 * had so far, kept between its stages (CascadeHold), and the decision after a stage: combine what
 * the request has with the ensemble's rule, score it, and answer if every row reaches the threshold
 * its accuracy target calls for at this stage (always at the last stage), else go on.
 */
import { bytesOf, viewAs, type PlanPart, type WireTensor } from '@tutti/protocol';
import { callsUpTo, exitScores, membersUpTo, type CombineInput, type CombineOutput } from '@tutti/rules';
import type { ServedCascade } from '../shared/cascade.js';

/** A request's identity across its stages: its envelope and id (the batcher sends it again unchanged). */
export function cascadeKey(part: PlanPart): string {
  return `${part.envelope.map((frame) => Buffer.from(frame).toString('base64')).join('.')}\u0000${typeof part.id}:${part.id}`;
}

/** One part's rows of a member's output tensor, copied (the batch's frames are not kept alive by it). */
export function partRows(tensor: WireTensor, part: PlanPart): WireTensor {
  const rowBytes = tensor.data.byteLength / tensor.shape[0]!;
  const start = part.offset * rowBytes;
  return {
    ...tensor,
    shape: [part.count, ...tensor.shape.slice(1)],
    data: Buffer.from(tensor.data.subarray(start, start + part.count * rowBytes)),
  };
}

/** At most this many requests' outputs are held (the oldest deadline goes first past it). */
const MAX_HELD = 100_000;

export class CascadeHold {
  #held = new Map<string, { outputs: Map<string, WireTensor[]>; deadline: number }>();

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

  /** Drops what requests past their deadline had (a request with no deadline, 0, stays until answered). */
  expire(now: number): void {
    for (const [key, held] of this.#held) if (held.deadline && held.deadline < now) this.#held.delete(key);
  }
}

export interface StageDecision {
  exit: boolean;
  /** The members combined, in manifest order. */
  members: string[];
  /** The combination of the request's rows, per ensemble output, with its shape. */
  combined: CombineOutput;
  shapes: Record<string, number[]>;
  /** The lowest exit score among its rows. */
  confidence: number;
  /** Member calls the request has cost so far. */
  calls: number;
}

/** Combines and scores one request after `stage`, from the outputs it has had (by member). */
export function decideStage(
  cascade: ServedCascade,
  stage: number,
  outputs: ReadonlyMap<string, WireTensor[]>,
  target: number,
  outputNames: readonly string[],
): StageDecision {
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
  const scored = new Map(members.map((m, k) => [m, arrays(spec.output)[k]!]));
  const scores = exitScores(spec, stage, combined[spec.output]!, scored);
  const confidence = Math.min(...scores);
  const last = stage === spec.stages.length - 1;
  const shapes = Object.fromEntries(outputNames.map((name) => [name, input.outputs[name]!.shape]));
  return {
    exit: last || confidence >= cascade.thresholds(target)[stage]!,
    members,
    combined,
    shapes,
    confidence,
    calls: callsUpTo(spec, stage),
  };
}

/** The combination's tensors for a reply, in the ensemble's output order. */
export function combinedTensors(
  decision: StageDecision,
  outputs: readonly { name: string; datatype: WireTensor['datatype'] }[],
): WireTensor[] {
  return outputs.map(({ name, datatype }) => ({ name, datatype, shape: decision.shapes[name]!, data: bytesOf(decision.combined[name]!) }));
}
