import { readConfig, runChild } from './child.js';
import type { WorkerConfig } from './config.js';
import { PredictionWorker } from './worker.js';

runChild(async () => {
  const worker = new PredictionWorker(await readConfig<WorkerConfig>('worker'));
  await worker.start();
  return { running: worker };
});
