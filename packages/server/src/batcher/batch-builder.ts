/**
 * From the requests a batch takes to what goes out: the plan the combiner needs to answer each
 * request (its rows in the batch, its envelope, its deadline), and the batch's frames for the
 * members, encoded once, the plan riding last (the workers pass it on to the combiner). Pure:
 * clocks are passed in.
 */
import {
  BATCH,
  PLAN,
  encodeHeader,
  encodeTensorMessage,
  type PlanHeader,
  type RequestId,
  type TensorSpec,
  type WireTensor,
} from '@tutti/protocol';

export interface BatchItem {
  envelope: Buffer[];
  id: RequestId;
  tensors: WireTensor[];
  rows: number;
  /** performance.now() when it arrived. */
  arrivedMono: number;
  members: boolean;
  partial: boolean;
  /** Date.now() deadline. */
  deadline: number;
  /** In a cascade: the stage the request is at (0-based) and its accuracy target. Absent: every member at once. */
  stage?: number;
  target?: number;
  /** Its identity across re-sends (requestKey), when its client has one. */
  key?: string | undefined;
}

export interface BuiltBatch {
  plan: PlanHeader;
  /** The BATCH header, the input frames, then the plan's (see BatchHeader.plan). */
  frames: Buffer[];
  /** performance.now() arrival of the batch's oldest request. */
  oldestArrivalMono: number;
}

/** `timeOrigin` and `now` are performance.timeOrigin and performance.now(): arrival times cross processes as epoch ms. */
export function buildBatch(
  batch: number,
  items: readonly BatchItem[],
  inputSpecs: readonly TensorSpec[],
  timeOrigin: number,
  now: number,
  /** A cascade's stage batch (every item at `stage`): the members it is for. */
  stage: { stage: number; members: string[] } | undefined,
  /** The combiner's generation (see PlanHeader.generation). */
  generation: number,
): BuiltBatch {
  let offset = 0;
  const parts = items.map((item, index) => {
    const part = {
      index,
      envelope: item.envelope,
      id: item.id,
      offset,
      count: item.rows,
      members: item.members,
      partial: item.partial,
      deadline: item.deadline,
      arrivedAt: timeOrigin + item.arrivedMono,
      ...(item.target !== undefined && { target: item.target }),
    };
    offset += item.rows;
    return part;
  });
  const plan: PlanHeader = {
    kind: PLAN,
    batch,
    size: offset,
    parts,
    generation,
    ...(stage && { stage: stage.stage, members: stage.members }),
  };
  const inputs = inputSpecs.map((spec, index): WireTensor => {
    const first = items[0]!.tensors[index]!;
    // One request: its bytes go out as received. Several: one copy into the batch buffer.
    const data = items.length === 1 ? first.data : Buffer.concat(items.map((item) => item.tensors[index]!.data));
    return { name: spec.name, datatype: spec.datatype, shape: [offset, ...first.shape.slice(1)], data };
  });
  const frames = encodeTensorMessage(
    {
      kind: BATCH,
      batch,
      inputs: inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      deadline: Math.max(...items.map((item) => item.deadline)),
      sentAt: timeOrigin + now,
      plan: true,
      ...(stage && { members: stage.members }),
    },
    inputs,
  );
  frames.push(encodeHeader(plan));
  return { plan, frames, oldestArrivalMono: Math.min(...items.map((item) => item.arrivedMono)) };
}
