import { describe, expect, it } from 'vitest';
import { deviceLabel, formatPlan, greedy, matrixCell, predict, worstFit, type Instance, type Plan } from '../src/index.js';
import { cpu, gpu, gpus, input } from './support.js';

const problem = input(
  [cpu(4), gpu('gpu0', 16)],
  [
    { name: 'heavy', memoryGB: 6, gmacs: 4 },
    { name: 'light', memoryGB: 1, gmacs: 0.1 },
  ],
);

const instances: Instance[] = [
  { member: 'heavy', device: 'gpu0', batch: 8, threads: 1 },
  { member: 'heavy', device: 'gpu0', batch: 8, threads: 1 },
  { member: 'heavy', device: 'cpu', batch: 4, threads: 2 },
  { member: 'light', device: 'cpu', batch: 8, threads: 1 },
  { member: 'light', device: 'cpu', batch: 16, threads: 1 },
];
const handmade: Plan = { ...worstFit(problem), ensemble: 'demo', instances, predicted: predict(problem, instances) };

describe('formatPlan', () => {
  const text = formatPlan(handmade);
  const lines = text.split('\n');

  it('labels devices by kind, name and origin', () => {
    expect(deviceLabel(problem.devices[0]!)).toBe('cpu cpu host (detected)');
    expect(deviceLabel(problem.devices[1]!)).toBe('gpu0 gpu V100-32GB (emulated)');
    expect(deviceLabel({ ...problem.devices[1]!, emulated: false })).toBe('gpu0 gpu V100-32GB (declared)');
  });

  it('prints the allocation matrix: a row per device, a column per member, instances grouped by setting', () => {
    expect(matrixCell(handmade, 'gpu0', 'heavy')).toBe('2 x b8 t1');
    expect(matrixCell(handmade, 'cpu', 'light')).toBe('1 x b8 t1, 1 x b16 t1');
    expect(matrixCell(handmade, 'gpu0', 'light')).toBe('-');
    const header = lines.find((l) => l.startsWith('device'))!;
    expect(header).toMatch(/^device\s+heavy\s+light$/);
    expect(lines.find((l) => l.startsWith('cpu cpu host (detected)'))).toMatch(/1 x b4 t2\s+1 x b8 t1, 1 x b16 t1$/);
    expect(lines.find((l) => l.startsWith('gpu0 gpu V100-32GB (emulated)'))).toMatch(/2 x b8 t1\s+-$/);
  });

  it('shows memory and cores against capacity, and the predictions per member and for the ensemble', () => {
    expect(text).toMatch(/^Plan for demo \(worst-fit\): predicted \d+ rows\/s, bottleneck (heavy|light)$/m);
    expect(text).toMatch(/^ {2}cpu\s+memory 8\.0 GB \/ 24\.0 GB\s+cores 4 \/ 4$/m);
    expect(text).toMatch(/^ {2}gpu0\s+memory 12\.0 GB \/ 16\.0 GB$/m);
    const bottleneck = handmade.predicted.bottleneck;
    expect(text).toMatch(new RegExp(`^ {2}${bottleneck} \\*\\s+\\d+\\s+[\\d.]+\\s+[\\d.]+ ms$`, 'm'));
    expect(text).toMatch(/^ {2}ensemble\s+5\s+\d+\s+[\d.]+ ms$/m);
  });

  it('numbers the greedy steps with throughput before and after and the gain', () => {
    const plan = greedy(input(gpus(3), [{ name: 'big', memoryGB: 10, gmacs: 5 }]));
    const steps = formatPlan(plan)
      .split('\n')
      .filter((l) => /^ +\d+\. /.test(l));
    expect(steps).toHaveLength(2);
    expect(steps[0]).toMatch(/^ {3}1\. add big on gpu1 \(b\d+, 1 thread\): [\d.]+ -> [\d.]+ rows\/s \(\+100\.0%\)$/);
    expect(steps[1]).toMatch(/\(\+50\.0%\)$/);
  });

  it('flags oversubscribed cores and batches over the latency budget', () => {
    const crowded = input(
      [cpu(1)],
      [
        { name: 'a', memoryGB: 1, gmacs: 0.05 },
        { name: 'b', memoryGB: 1, gmacs: 0.05 },
      ],
      { latencyBudgetMs: 8 },
    );
    const text = formatPlan(worstFit(crowded));
    expect(text).toContain('cores 2 / 1 (oversubscribed: instances share them)');
    expect(text).toContain('batch latency budget 8 ms');
    expect(text).toMatch(/ms \(over budget\)/);
  });
});
