/**
 * Baselines measured beside tutti, speaking the same protocol so the same load generator drives them:
 * - naive: one process, one ROUTER, each request run through every member as it comes, batch 1,
 *   one member after another — the server a user would write in an afternoon;
 * - paper: the same process, but requests already waiting are taken together and each member runs
 *   them at its own best batch size (Pochelu et al.'s baseline: only batch sizes tuned).
 * Run as its own process (baseline-main.ts); onnxruntime blocks this thread while it computes, as it
 * would in such a server.
 */
import { Router } from 'zeromq';
import { builtinRule } from '@tutti/rules';
import { ModelSession } from '@tutti/runtime';
import {
  checkInferInputs,
  decodeRequest,
  encodeErrorOf,
  encodeMessage,
  requestIdOf,
  decodeMessage,
  bytesOf,
  type WireTensor,
} from '@tutti/protocol';
import type { Ensemble } from '@tutti/manifest';

export interface BaselineConfig {
  kind: 'naive' | 'paper';
  ensemble: Ensemble;
  endpoint: string;
  threads: number;
  /** paper: each member's best batch size. */
  batchSizes?: Record<string, number>;
}

interface Waiting {
  envelope: Buffer[];
  id: string | number;
  tensors: WireTensor[];
  rows: number;
}

function rowsOf(tensor: WireTensor, start: number, count: number): WireTensor {
  const rowBytes = tensor.data.byteLength / tensor.shape[0]!;
  return { ...tensor, shape: [count, ...tensor.shape.slice(1)], data: tensor.data.subarray(start * rowBytes, (start + count) * rowBytes) };
}

export async function runBaseline(config: BaselineConfig, onReady: (endpoint: string) => void): Promise<void> {
  const { ensemble } = config;
  if (ensemble.rule.kind !== 'builtin') throw new Error('baselines support the built-in rules only');
  const rule = builtinRule(ensemble.rule.name);
  const sessions = await Promise.all(ensemble.members.map((m) => ModelSession.load(m.path, { intraOpThreads: config.threads })));
  const router = new Router({ linger: 0 });
  await router.bind(config.endpoint.replace(/:0$/, ':*'));
  onReady(router.lastEndpoint!);
  const queue: Waiting[] = [];
  let wake: (() => void) | undefined;
  void (async () => {
    for await (const frames of router) {
      const envelope = frames.slice(0, -1);
      let id: string | number | null = null;
      try {
        const message = decodeMessage(frames.at(-1)!);
        id = requestIdOf(message);
        const request = decodeRequest(frames.at(-1)!);
        if (request.op !== 'infer') {
          await router.send([...envelope, encodeMessage({ id, live: true, ready: true })]);
          continue;
        }
        const { tensors, batchSize } = checkInferInputs(request.inputs, ensemble.inputs, ensemble.batching.maxBatchSize);
        queue.push({ envelope, id: request.id, tensors, rows: batchSize });
        wake?.();
      } catch (error) {
        await router.send([...envelope, encodeErrorOf(id, error)]);
      }
    }
  })();
  for (;;) {
    if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    // Let requests that already arrived join (paper); the naive server takes one at a time.
    await new Promise((r) => setImmediate(r));
    const take = config.kind === 'naive' ? 1 : queue.length;
    const items = queue.splice(0, take);
    const rows = items.reduce((n, i) => n + i.rows, 0);
    const inputs = ensemble.inputs.map((spec, k): WireTensor => ({
      ...spec,
      shape: [rows, ...items[0]!.tensors[k]!.shape.slice(1)],
      data: items.length === 1 ? items[0]!.tensors[k]!.data : Buffer.concat(items.map((i) => i.tensors[k]!.data)),
    }));
    const outputs: Float32Array[][] = [];
    for (const [m, session] of sessions.entries()) {
      const size = config.kind === 'paper' ? (config.batchSizes?.[ensemble.members[m]!.name] ?? rows) : rows;
      const parts: Buffer[][] = ensemble.outputs.map(() => []);
      for (let start = 0; start < rows; start += size) {
        const result = await session.run(inputs.map((t) => rowsOf(t, start, Math.min(size, rows - start))));
        ensemble.outputs.forEach((spec, o) => parts[o]!.push(Buffer.from(result.find((r) => r.name === spec.name)!.data)));
      }
      outputs.push(
        parts.map((p) => {
          const b = Buffer.concat(p);
          return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
        }),
      );
    }
    const combined = rule({
      members: ensemble.members.map((m) => m.name),
      weights: ensemble.members.map((m) => m.weight),
      outputs: Object.fromEntries(
        ensemble.outputs.map((spec, o) => [spec.name, { shape: [rows, outputs[0]![o]!.length / rows], data: outputs.map((m) => m[o]!) }]),
      ),
    });
    let offset = 0;
    for (const item of items) {
      const replyOutputs = ensemble.outputs.map((spec) => {
        const all = combined[spec.name]!;
        const width = all.length / rows;
        return {
          name: spec.name,
          datatype: spec.datatype,
          shape: [item.rows, width],
          data: bytesOf(all.subarray(offset * width, (offset + item.rows) * width)),
        };
      });
      offset += item.rows;
      await router.send([...item.envelope, encodeMessage({ id: item.id, model_name: ensemble.name, outputs: replyOutputs })]);
    }
  }
}
