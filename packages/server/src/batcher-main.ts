import { Batcher } from './batcher.js';
import { readConfig, runChild } from './child.js';
import type { BatcherConfig, SupervisorCommand } from './config.js';

runChild(async () => {
  const batcher = new Batcher(readConfig<BatcherConfig>('batcher'));
  process.on('message', (command: SupervisorCommand) => {
    if (command.type === 'readiness') batcher.setReady(command.ready, command.reason);
  });
  const endpoints = await batcher.start();
  return { running: batcher, endpoints };
});
