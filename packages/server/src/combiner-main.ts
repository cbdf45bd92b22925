import { readConfig, runChild } from './child.js';
import { setProcessLog } from './log.js';
import { Combiner } from './combiner.js';
import type { CombinerConfig } from './config.js';

runChild(async () => {
  setProcessLog('combiner');
  const combiner = new Combiner(await readConfig<CombinerConfig>('combiner'));
  const endpoints = await combiner.start();
  return { running: combiner, endpoints };
});
