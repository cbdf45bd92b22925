import { childConfig } from '@tutti/child-process';
import { runBaseline, type BaselineConfig } from './baseline-server.js';

const config = await childConfig<BaselineConfig>();
process.on('disconnect', () => process.exit(0));
runBaseline(config, (endpoint) => process.send?.({ type: 'ready', endpoint })).catch((error: unknown) => {
  console.error(`baseline server failed: ${(error as Error).message}`);
  process.exit(1);
});
