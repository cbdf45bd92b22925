import { readConfig, runChild } from '../shared/child.js';
import { setProcessLog } from '../shared/log.js';
import { Combiner } from './combiner.js';
import type { CombinerConfig } from '../shared/config.js';

runChild(async () => {
  setProcessLog('combiner');
  const combiner = new Combiner(await readConfig<CombinerConfig>('combiner'));
  const endpoints = await combiner.start();
  return { running: combiner, endpoints };
});
