/** One link of the hop-floor ring (bench/hop-floor.ts): pulls each message and pushes it on, unchanged. */
import { Pull, Push } from 'zeromq';

const [inbound, outbound] = [process.argv[2]!, process.argv[3]!];
process.on('disconnect', () => process.exit(0));
const pull = new Pull({ linger: 0 });
const push = new Push({ linger: 0 });
await pull.bind(inbound);
push.connect(outbound);
process.send!('ready');
for await (const frames of pull) await push.send(frames);
