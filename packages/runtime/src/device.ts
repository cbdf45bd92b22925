/**
 * Where a session runs. Only the CPU exists on tutti's own machines; a GPU device is planned through
 * the allocator and selected here with onnxruntime's CUDA provider when the host really has one.
 */
import { invalidOption } from '@tutti/core';

export type Device = { kind: 'cpu' } | { kind: 'gpu'; index: number };

export interface SessionSettings {
  device: Device;
  /** onnxruntime intra-op threads: set explicitly, because cores are the budget shared by every instance. */
  intraOpThreads: number;
  interOpThreads: number;
  /**
   * Whether idle intra-op threads spin. Off by default: with several sessions sharing cores, spinning
   * burns CPU that a neighbour needs (NOTES.md: 142% -> 85% of a core at equal throughput).
   */
  spinning: boolean;
}

export function sessionSettings(options: Partial<SessionSettings> = {}): SessionSettings {
  const settings: SessionSettings = {
    device: options.device ?? { kind: 'cpu' },
    intraOpThreads: options.intraOpThreads ?? 1,
    interOpThreads: options.interOpThreads ?? 1,
    spinning: options.spinning ?? false,
  };
  for (const key of ['intraOpThreads', 'interOpThreads'] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 1 || value > 256) invalidOption(key, value, 'an integer from 1 to 256');
  }
  const { device } = settings;
  if (device.kind !== 'cpu' && !(device.kind === 'gpu' && Number.isInteger(device.index) && device.index >= 0)) {
    invalidOption('device', device, "{ kind: 'cpu' } or { kind: 'gpu', index >= 0 }");
  }
  return settings;
}
