/**
 * One member's profile on this host's CPU: batch latency for every (batch size, threads) and the
 * memory one instance takes, measured in a fresh child process, or read back from the cache.
 */
import os from 'node:os';
import path from 'node:path';
import type { MemberProfile } from '@tutti/allocator';
import { TuttiError, type TensorSpec } from '@tutti/protocol';
import { defaultCacheDir, readCachedProfile, writeCachedProfile, type ProfileKey } from './cache.js';
import { detectCpu } from './devices/detect.js';
import { measureInChild, type MeasureEvent } from './measure/measure-in-child.js';
import { DEFAULT_RUN_LIMITS, type RunLimits } from './measure/timing.js';
import { distinctAscending } from './options.js';
import { fileSha256 } from './sha256.js';

export type { MeasureEvent } from './measure/measure-in-child.js';

export interface ProfileMemberOptions extends Partial<RunLimits> {
  batchSizes: number[];
  /** Intra-op thread counts; those above this host's cores are not measured. */
  threadOptions: number[];
  /** Called while measuring (never for a cached profile). */
  onProgress?: (event: MeasureEvent) => void;
  /** Member name in the profile. Default: the model's file name without .onnx. */
  member?: string;
  /** Device name in the profile and the cache key. Default: this host's CPU name. */
  deviceName?: string;
  /** Where cached profiles live (see cache.ts for the default); false: neither read nor write the cache. */
  cacheDir?: string | false;
  /** Measure even when a cached profile exists, and replace it. */
  refresh?: boolean;
  /** The model file's sha256 when the caller already has it (saves hashing a large file twice). */
  modelSha256?: string;
  /** Measure on this host's GPU of that index (CUDA provider) instead of its CPU; give deviceName too. */
  gpu?: number;
}

export type ProfileOrigin = 'measured' | 'cache';

export interface ProfiledMember {
  profile: MemberProfile;
  origin: ProfileOrigin;
  /** Wall time spent, measuring or reading the cache. */
  seconds: number;
}

function measurableThreads(threadOptions: readonly number[]): number[] {
  const cores = os.availableParallelism();
  const threads = distinctAscending(threadOptions, 'threadOptions').filter((t) => t <= cores);
  if (threads.length === 0) invalidThreads(threadOptions, cores);
  return threads;
}

function invalidThreads(threadOptions: readonly number[], cores: number): never {
  throw new TuttiError(
    'INVALID_OPTION',
    `threadOptions ${JSON.stringify(threadOptions)}: none can be measured on this host's ${cores} cores`,
  );
}

/** profileMember, also saying whether the profile was measured now or read from the cache. */
export async function profileMemberWithOrigin(
  modelPath: string,
  inputs: TensorSpec[],
  options: ProfileMemberOptions,
): Promise<ProfiledMember> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const key: ProfileKey = {
    modelSha256:
      options.modelSha256 ??
      (await fileSha256(modelPath).catch((error: Error) => {
        throw new TuttiError('MODEL_ERROR', `cannot read ${modelPath}: ${error.message}`);
      })),
    deviceName: options.deviceName ?? detectCpu().name,
    batchSizes: distinctAscending(options.batchSizes, 'batchSizes'),
    threadOptions: measurableThreads(options.threadOptions),
  };
  const member = options.member ?? path.basename(modelPath).replace(/\.onnx$/i, '');
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  if (cacheDir && !options.refresh) {
    const cached = await readCachedProfile(cacheDir, key);
    // The same model file may serve under another member name: the name is the caller's.
    if (cached) return { profile: { ...cached, member }, origin: 'cache', seconds: seconds() };
  }
  const limits: RunLimits = {
    minRuns: options.minRuns ?? DEFAULT_RUN_LIMITS.minRuns,
    minMs: options.minMs ?? DEFAULT_RUN_LIMITS.minMs,
    maxRuns: options.maxRuns ?? DEFAULT_RUN_LIMITS.maxRuns,
    maxMs: options.maxMs ?? DEFAULT_RUN_LIMITS.maxMs,
    rounds: options.rounds ?? DEFAULT_RUN_LIMITS.rounds,
  };
  const measured = await measureInChild(
    {
      modelPath: path.resolve(modelPath),
      inputs,
      batchSizes: key.batchSizes,
      threadOptions: key.threadOptions,
      limits,
      ...(options.gpu !== undefined && { gpu: options.gpu }),
    },
    options.onProgress,
  );
  const profile: MemberProfile = {
    member,
    modelSha256: key.modelSha256,
    deviceName: key.deviceName,
    source: 'measured',
    memoryBytes: measured.memoryBytes,
    points: measured.points,
  };
  if (cacheDir) await writeCachedProfile(cacheDir, key, profile);
  return { profile, origin: 'measured', seconds: seconds() };
}

/**
 * Measures (or reads from the cache) a model's profile on this host's CPU: the median batch latency
 * for every batch size and thread count, and the memory one loaded instance takes.
 */
export async function profileMember(modelPath: string, inputs: TensorSpec[], options: ProfileMemberOptions): Promise<MemberProfile> {
  return (await profileMemberWithOrigin(modelPath, inputs, options)).profile;
}
