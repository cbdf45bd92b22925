import { workerId } from '@tutti/protocol';
import { readConfig, runChild } from '../shared/child.js';
import { setProcessLog } from '../shared/log.js';
import type { WorkerConfig } from '../shared/config.js';
import { PredictionWorker } from './worker.js';

runChild(async () => {
  const config = await readConfig<WorkerConfig>('worker');
  setProcessLog('worker', { instance: workerId(config.shard, config.instance), device: config.device });
  const worker = new PredictionWorker(config);
  await worker.start();
  return { running: worker };
});
