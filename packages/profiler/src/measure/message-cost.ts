/**
 * What one internal message costs on this host: the CPU time of a ZeroMQ send, its receive and the
 * wake-up of the process it lands in, measured between two processes as tutti's are, with 16
 * messages in flight as near a server's peak (at 1 in flight each message also pays a full wake-up:
 * ~180 us here, against ~60 us at 16 and ~45 us at 32). The allocator weighs it against the models' compute to choose
 * the process layout (allocator/layout.ts): on this kind of VM it is tens of microseconds, more than
 * a small MLP computes a batch in.
 *
 * Each round trip is two messages (there and back); the cost per message is the CPU both processes
 * spent, over the messages they moved. The median of a few rounds is kept.
 */
import { forkChild } from '@tutti/child-process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { Pull, Push } from 'zeromq';
import { z } from 'zod';
import { TuttiError } from '@tutti/protocol';
import { deviceIdPrefix } from '../devices/devices-file.js';
import { median } from './timing.js';
import type { EchoConfig } from './message-echo-main.js';

const CHILD_ENTRY = new URL('./message-echo-main.ts', import.meta.url);

export interface MessageCostOptions {
  /** Round trips per round (default 2,000). */
  messages?: number;
  /** Messages in flight (default 16: a server near its peak, where the allocator predicts throughput, has many queued). */
  inFlight?: number;
  /** Rounds, each in a fresh pair of processes' sockets (default 3). */
  rounds?: number;
  /** Bytes per message (default 512: a small batch header or a digits request). */
  bytes?: number;
}

export interface MessageCost {
  /** CPU ms per message, median over rounds. */
  messageCostMs: number;
  /** Every round's figure, ms. */
  roundsMs: number[];
}

async function oneRound(messages: number, inFlight: number, bytes: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-msgcost-'));
  const out = `ipc://${join(dir, 'out')}`;
  const back = `ipc://${join(dir, 'back')}`;
  const push = new Push({ linger: 0 });
  const pull = new Pull({ linger: 0 });
  const child = forkChild(CHILD_ENTRY, { inbound: out, outbound: back, count: messages } satisfies EchoConfig, {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await push.bind(out);
    await pull.bind(back);
    const childCpu = new Promise<number>((resolve, reject) => {
      child.on('message', (message: { type: string; micros?: number }) => {
        if (message.type === 'cpu') resolve(message.micros!);
      });
      child.once('exit', (code) =>
        reject(new TuttiError('PROCESS_FAILED', `the message-cost probe's echo process exited with code ${code}`)),
      );
    });
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    const payload = Buffer.alloc(bytes, 7);
    const started = process.cpuUsage();
    let sent = 0;
    for (; sent < Math.min(inFlight, messages); sent++) await push.send(payload);
    for (let received = 0; received < messages;) {
      await pull.receive();
      received++;
      if (sent < messages) {
        await push.send(payload);
        sent++;
      }
    }
    const own = process.cpuUsage(started);
    const micros = own.user + own.system + (await childCpu);
    return micros / 1000 / (2 * messages);
  } finally {
    push.close();
    pull.close();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureMessageCost(options: MessageCostOptions = {}): Promise<MessageCost> {
  const { messages = 2_000, inFlight = 16, rounds = 3, bytes = 512 } = options;
  const roundsMs: number[] = [];
  for (let k = 0; k < rounds; k++) roundsMs.push(await oneRound(messages, inFlight, bytes));
  return { messageCostMs: median(roundsMs), roundsMs };
}

const cachedSchema = z.object({ format: z.literal(2), messageCostMs: z.number().nonnegative(), roundsMs: z.array(z.number()) });

/**
 * The host's message cost, measured once and cached beside the profiles of its CPU (a second or two
 * to measure; `remeasure` forces it).
 */
export async function hostMessageCost(
  cacheDir: string,
  cpuName: string,
  options: MessageCostOptions & { remeasure?: boolean } = {},
): Promise<MessageCost> {
  const file = path.join(cacheDir, deviceIdPrefix(cpuName), 'message-cost.json');
  if (!options.remeasure) {
    const cached = cachedSchema.safeParse(
      await readFile(file, 'utf8')
        .then(JSON.parse, () => undefined)
        .catch(() => undefined),
    );
    if (cached.success) return { messageCostMs: cached.data.messageCostMs, roundsMs: cached.data.roundsMs };
  }
  const measured = await measureMessageCost(options);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ format: 2, ...measured }, null, 2)}\n`);
  await rename(temporary, file);
  return measured;
}
