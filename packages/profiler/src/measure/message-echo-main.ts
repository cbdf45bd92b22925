/**
 * The far end of the message-cost probe (message-cost.ts): a separate process, as a worker is, that
 * pulls each message and pushes it straight back, then reports the CPU time it spent.
 */
import { Pull, Push } from 'zeromq';
import { childConfig } from '@tutti/child-process';

/** Where to pull from and push back to, and how many messages to echo. */
export interface EchoConfig {
  inbound: string;
  outbound: string;
  count: number;
}

const { inbound, outbound, count } = await childConfig<EchoConfig>();
process.on('disconnect', () => process.exit(1));

const pull = new Pull({ linger: 0 });
const push = new Push({ linger: 0 });
pull.connect(inbound);
push.connect(outbound);
process.send!({ type: 'ready' });
const started = process.cpuUsage();
let echoed = 0;
for await (const frames of pull) {
  await push.send(frames);
  if (++echoed === count) break;
}
const used = process.cpuUsage(started);
process.send!({ type: 'cpu', micros: used.user + used.system }, () => process.exit(0));
