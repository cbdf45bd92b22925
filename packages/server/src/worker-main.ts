import { workerId } from '@tutti/protocol';
import { readConfig, runChild } from './child.js';
import { setProcessLog } from './log.js';
import type { WorkerConfig } from './config.js';
import { PredictionWorker } from './worker.js';

runChild(async () => {
  const config = await readConfig<WorkerConfig>('worker');
  setProcessLog('worker', { instance: workerId(config.shard, config.instance), device: config.device });
  const worker = new PredictionWorker(config);
  await worker.start();
  return { running: worker };
});
