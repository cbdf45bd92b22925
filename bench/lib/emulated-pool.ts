/**
 * Heterogeneous pools for the routing and budget benchmarks: a one-member copy of the digits
 * ensemble (its model computes in microseconds, so this host's CPU never limits an emulated device),
 * and emulated devices whose profiles are straight lines (fixed cost per batch + cost per row).
 * EMULATED: the devices are not on this host; each batch is computed here for real and its answer
 * held back until the profile's time, as KAIROS's evaluation workers replay measured profiles.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Device, Instance, MemberProfile, Plan } from '@tutti/allocator';

const DIGITS = fileURLToPath(new URL('../../ensembles/digits/', import.meta.url));

export interface OneMember {
  dir: string;
  member: string;
  remove(): void;
}

export interface OneMemberOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  p99Ms: number;
  /** A digits member to copy (default mlp-relu-32)... */
  member?: string;
  /** ...or a ResNet from the zoo, generated on first use: its width and input size (3 channels, 100 classes). */
  resnet?: { width: number; inputSize: number };
}

/** A one-member ensemble (a digits MLP, or a zoo ResNet) with the given batching and p99 target, in a temp folder. */
export function oneMemberEnsemble(options: OneMemberOptions): OneMember {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-pool-'));
  mkdirSync(join(dir, 'models'));
  const resnet = options.resnet;
  const member = resnet ? `resnet-w${resnet.width}-${resnet.inputSize}` : (options.member ?? 'mlp-relu-32');
  if (!resnet) copyFileSync(join(DIGITS, 'models', `${member}.onnx`), join(dir, 'models', `${member}.onnx`));
  const io = resnet
    ? {
        inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, 3, resnet.inputSize, resnet.inputSize] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 100] }],
      }
    : {
        inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
      };
  const generate = resnet && {
    kind: 'resnet',
    inputSize: resnet.inputSize,
    channels: 3,
    width: resnet.width,
    stages: [2, 2, 2, 2],
    classes: 100,
    seed: 7,
  };
  const manifest = {
    name: `one-${member}`,
    ...io,
    members: [{ name: member, path: `models/${member}.onnx`, ...(generate && { generate }) }],
    rule: 'mean',
    batching: { maxBatchSize: options.maxBatchSize, maxQueueDelayMs: options.maxQueueDelayMs },
    endpoint: 'tcp://127.0.0.1:5599',
    latencyTarget: { p99Ms: options.p99Ms },
  };
  writeFileSync(join(dir, 'manifest.yaml'), stringify(manifest));
  return { dir, member, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A device type of the pool: batch latency = fixedMs + perRowMs x rows. */
export interface LinearType {
  name: string;
  kind: 'cpu' | 'gpu';
  fixedMs: number;
  perRowMs: number;
}

export function linearProfile(member: string, type: LinearType): MemberProfile {
  return {
    member,
    modelSha256: 'emulated',
    deviceName: type.name,
    source: 'file',
    memoryBytes: 1e8,
    points: [1, 2, 4, 8, 16, 32, 64, 128].map((batch) => ({ batch, threads: 1, latencyMs: type.fixedMs + type.perRowMs * batch })),
  };
}

export function emulatedDevice(id: string, type: LinearType): Device {
  return {
    id,
    kind: type.kind,
    name: type.name,
    memoryBytes: 16e9,
    origin: 'declared',
    emulated: true,
    ...(type.kind === 'cpu' && { cores: 1 }),
  };
}

/** One instance of `member` on each device in `pool` (type per device id), with the profiles serving needs. */
export function poolPlan(
  ensembleName: string,
  member: string,
  pool: { id: string; type: LinearType; batch: number }[],
): { plan: Plan; profiles: Record<string, Record<string, MemberProfile>> } {
  const devices = pool.map((p) => emulatedDevice(p.id, p.type));
  const instances: Instance[] = pool.map((p) => ({ member, device: p.id, batch: p.batch, threads: 1 }));
  const profiles = { [member]: Object.fromEntries(pool.map((p) => [p.id, linearProfile(member, p.type)])) };
  const plan: Plan = {
    version: 1,
    ensemble: ensembleName,
    strategy: 'greedy',
    devices,
    members: [member],
    instances,
    predicted: { throughput: 0, bottleneck: member, members: [], devices: [] },
    steps: [],
  };
  return { plan, profiles };
}
