import { Batcher } from './batcher.js';
import { readConfig, runChild } from '../shared/child.js';
import { setProcessLog } from '../shared/log.js';
import type { BatcherConfig, SupervisorCommand } from '../shared/config.js';

runChild(async () => {
  setProcessLog('batcher');
  const batcher = new Batcher(await readConfig<BatcherConfig>('batcher'));
  batcher.onReady = () => process.send?.({ type: 'ensemble-ready' });
  batcher.onUnresponsive = (id) => process.send?.({ type: 'worker-unresponsive', id });
  process.on('message', (command: SupervisorCommand) => {
    if (command.type === 'worker-down') batcher.workerDown(command.id);
    else if (command.type === 'combiner-down') batcher.combinerDown();
    else if (command.type === 'combiner-restarted') batcher.combinerRestarted(command.generation);
    else if (command.type === 'drain') void batcher.drain().then(() => process.send?.({ type: 'drained' }));
  });
  const endpoints = await batcher.start();
  return { running: batcher, endpoints };
});
