/**
 * Per-request traces through real client processes against the naive baseline (no tutti server
 * needed): every measured request is in the trace, aligned on one clock and sorted.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { runStep } from '../src/run-load.js';
import { startBaseline, type RunningSystem } from '../src/systems.js';
import { timeline } from '../src/timeline.js';

const DIGITS_DIR = fileURLToPath(new URL('../../../ensembles/digits/', import.meta.url));

let ensemble: Ensemble;
let system: RunningSystem;

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS_DIR);
  system = await startBaseline('naive', ensemble, 1);
});

afterAll(async () => {
  await system?.stop();
});

describe('request traces', () => {
  it('open loop: one trace point per measured request, sorted, within the window, on one clock', async () => {
    const before = Date.now();
    const step = await runStep({
      endpoint: system.endpoint,
      inputs: ensemble.inputs,
      mode: 'open',
      load: 100,
      processes: 2,
      warmupSeconds: 0.3,
      seconds: 1.5,
      trace: true,
    });
    const trace = step.trace!;
    const errors = Object.values(step.errors).reduce((a, b) => a + b, 0);
    // The trace holds every request scheduled in the window (step.sent), answered or not, however
    // late; step.requests counts only those answered within the window.
    expect(trace).toHaveLength(step.sent);
    expect(trace.filter((p) => p.latencyMs >= 0)).toHaveLength(step.latency.count);
    expect(step.latency.count + errors).toBe(step.sent);
    expect(trace.every((p, i) => i === 0 || p.t >= trace[i - 1]!.t)).toBe(true);
    // Processes start measuring a little apart; after alignment nothing is far outside the window.
    expect(trace[0]!.t).toBeGreaterThanOrEqual(0);
    expect(trace.at(-1)!.t).toBeLessThan(1500 + 500);
    expect(step.traceStart!).toBeGreaterThan(before);
    const buckets = timeline(trace, 500, 1.5);
    const completed = buckets.reduce((a, b) => a + b.completed * 0.5, 0);
    // A process that started measuring late has its last few ms past the window, so not all of them.
    expect(completed).toBeGreaterThan(step.requests * 0.8);
  });

  it('is left out unless asked for', async () => {
    const step = await runStep({
      endpoint: system.endpoint,
      inputs: ensemble.inputs,
      mode: 'closed',
      load: 2,
      processes: 1,
      warmupSeconds: 0.2,
      seconds: 0.5,
    });
    expect(step.trace).toBeUndefined();
    expect(step.requests).toBeGreaterThan(0);
  });
});
