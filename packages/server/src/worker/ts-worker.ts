/**
 * Starts a worker thread on a TypeScript module. Worker threads do not inherit the tsx loader that
 * runs tutti's processes from their sources (`node --import tsx`), so the thread registers it before
 * importing. A bundled module (.mjs, see bundle.ts) is plain JavaScript and starts as it is.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const tsxApi = import.meta.resolve('tsx/esm/api');

export function startTsWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (moduleUrl.pathname.endsWith('.mjs')) return new Worker(moduleUrl, options);
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
