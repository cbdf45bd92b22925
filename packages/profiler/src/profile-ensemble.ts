/**
 * Every member's profile on every device of an inventory:
 *   - a profile from a profile file, when one matches (source 'file'): it overrides everything else;
 *   - this host's CPU (and a declared CPU with no speed, taken to be like this host's): measured
 *     here in a child process per member, or read back from the cache;
 *   - a declared device with a speed (emulated or not): the cost model, from the ONNX file's MACs
 *     and weights and the device's speed;
 *   - a detected GPU: measured with onnxruntime's CUDA provider (one thread), cached under its name;
 *     without the provider, MODEL_ERROR naming the fix (never measured on the CPU instead).
 */
import { readFile } from 'node:fs/promises';
import { costModelProfile, type Device, type MemberProfile } from '@tutti/allocator';
import type { Ensemble, EnsembleMember } from '@tutti/manifest';
import { countModelCost } from '@tutti/onnx';
import { TuttiError } from '@tutti/protocol';
import { detectCpu } from './devices/detect.js';
import type { RunLimits } from './measure/timing.js';
import { defaultBatchSizes, defaultThreadOptions, distinctAscending } from './options.js';
import { findProfile, loadProfileFile, type EnsembleProfiles } from './profile-file.js';
import { profileMemberWithOrigin, type MeasureEvent } from './profile-member.js';
import { fileSha256 } from './sha256.js';
import { defaultCacheDir } from './cache.js';

/** Where a profile came from: measured now, the cache of earlier measurements, the cost model, a profile file. */
export type ProfileSource = 'measured' | 'cache' | 'cost-model' | 'file';

type Where = { member: string; device: string };
export type ProfileEvent =
  | (Where & { type: 'start'; source: ProfileSource; points: number })
  | (Where & MeasureEvent)
  | (Where & { type: 'done'; source: ProfileSource; seconds: number; profile: MemberProfile })
  | (Where & { type: 'skipped'; reason: string });

/** Progress callback: library use stays quiet unless the caller passes one (see progressReporter). */
export type ProfileProgress = (event: ProfileEvent) => void;

export interface ProfileEnsembleOptions extends Partial<RunLimits> {
  /** Default: powers of two up to the ensemble's max batch size (capped at 64). */
  batchSizes?: number[];
  /** Default: 1..cores of each CPU. Thread counts above a device's cores are left out for it. */
  threadOptions?: number[];
  /** Profiles measured elsewhere (loadProfileFile's format); they override measurement and cost model. */
  profilesFile?: string;
  /** Same, already loaded. */
  profiles?: MemberProfile[];
  /** See profileMember. */
  cacheDir?: string | false;
  refresh?: boolean;
  onProgress?: ProfileProgress;
  /** How a profile is measured (default: profileMemberWithOrigin, in a child process); tests give a fake GPU. */
  measure?: typeof profileMemberWithOrigin;
}

export interface EnsembleProfiling {
  profiles: EnsembleProfiles;
  /** sources[member][deviceId] */
  sources: Record<string, Record<string, ProfileSource>>;
  skipped: (Where & { reason: string })[];
  batchSizes: number[];
  seconds: number;
}

/** What one member needs on every device, computed at most once: its sha256 and its counted cost. */
class MemberFacts {
  readonly member: EnsembleMember;
  #cacheDir: string | false;
  #sha256: Promise<string> | undefined;
  #cost: Promise<{ macs: number; parameterBytes: number }> | undefined;

  constructor(member: EnsembleMember, cacheDir: string | false) {
    this.member = member;
    this.#cacheDir = cacheDir;
  }

  sha256(): Promise<string> {
    this.#sha256 ??= fileSha256(this.member.path, this.#cacheDir);
    return this.#sha256;
  }

  cost(): Promise<{ macs: number; parameterBytes: number }> {
    this.#cost ??= readFile(this.member.path).then((bytes) => countModelCost(bytes));
    return this.#cost;
  }
}

interface Context {
  ensemble: Ensemble;
  options: ProfileEnsembleOptions;
  batchSizes: number[];
  fileProfiles: MemberProfile[];
  hostCpu: Device;
  emit: ProfileProgress;
}

function threadsFor(device: Device, context: Context, limit = device.cores ?? 1): number[] {
  const wanted = context.options.threadOptions ?? defaultThreadOptions(device.cores ?? 1);
  return distinctAscending(wanted, 'threadOptions').filter((t) => t <= limit);
}

async function measureHere(facts: MemberFacts, device: Device, context: Context): Promise<Profiled> {
  const threadOptions = threadsFor(device, context, Math.min(device.cores ?? 1, context.hostCpu.cores ?? 1));
  if (threadOptions.length === 0)
    throw new TuttiError('INVALID_OPTION', `no thread count to measure ${facts.member.name} on ${device.id} (${device.cores} cores)`);
  // Measured on this host's CPU and cached under its name, whatever the declared device is called.
  return measure(facts, device, context, { threadOptions, deviceName: context.hostCpu.name });
}

/**
 * A GPU of this host, measured with onnxruntime's CUDA provider (one intra-op thread: the GPU
 * computes), cached under the GPU's name. Without the provider the session fails with MODEL_ERROR
 * naming the fix (providers.ts): never measured on the CPU instead.
 */
async function measureOnGpu(facts: MemberFacts, device: Device, context: Context): Promise<Profiled> {
  const index = /^gpu(\d+)$/.exec(device.id)?.[1];
  if (index === undefined)
    throw new TuttiError('INVALID_OPTION', `detected GPU ${device.id}: expected an id gpuN (as nvidia-smi numbers it)`);
  return measure(facts, device, context, { threadOptions: [1], deviceName: device.name, gpu: Number(index) });
}

/** Measures `facts`'s member (or reads its cached profile), reporting progress as `device`'s. */
async function measure(
  facts: MemberFacts,
  device: Device,
  context: Context,
  how: { threadOptions: number[]; deviceName: string; gpu?: number },
): Promise<Profiled> {
  const where = { member: facts.member.name, device: device.id };
  let started = false;
  const start = () => {
    if (!started)
      context.emit({ ...where, type: 'start', source: 'measured', points: how.threadOptions.length * context.batchSizes.length });
    started = true;
  };
  const { cacheDir, refresh, minRuns, minMs, maxRuns, maxMs, rounds } = context.options;
  const result = await (context.options.measure ?? profileMemberWithOrigin)(facts.member.path, context.ensemble.inputs, {
    ...how,
    batchSizes: context.batchSizes,
    member: facts.member.name,
    modelSha256: await facts.sha256(),
    cacheDir,
    refresh,
    minRuns,
    minMs,
    maxRuns,
    maxMs,
    rounds,
    onProgress: (event) => {
      start();
      context.emit({ ...where, ...event });
    },
  });
  if (result.origin === 'cache') context.emit({ ...where, type: 'start', source: 'cache', points: result.profile.points.length });
  return { profile: { ...result.profile, deviceName: device.name }, source: result.origin };
}

type Profiled = { profile: MemberProfile; source: ProfileSource };

/** The profile of one member on one device and where it came from, or why there is none. */
async function profileOnDevice(facts: MemberFacts, device: Device, context: Context): Promise<Profiled | { skipped: string }> {
  const fromFile = findProfile(context.fileProfiles, facts.member.name, await facts.sha256(), device.name);
  if (fromFile) return { profile: { ...fromFile, member: facts.member.name, source: 'file' }, source: 'file' };
  if (device.kind === 'cpu' && (device.origin === 'detected' || !device.speed)) return measureHere(facts, device, context);
  if (device.speed) {
    const cost = { ...(await facts.cost()), modelSha256: await facts.sha256() };
    const profile = costModelProfile(facts.member.name, cost, device, context.batchSizes, threadsFor(device, context, device.cores ?? 1));
    return { profile, source: 'cost-model' };
  }
  if (device.origin === 'detected') return measureOnGpu(facts, device, context);
  throw new TuttiError(
    'INVALID_OPTION',
    `device ${device.id} (${device.name}) declares no speed, so ${facts.member.name} cannot be modelled on it: add speed: { gmacsPerSecond: ... } to the devices file, or give its profiles in a profile file`,
  );
}

/** profileEnsemble, also saying where each profile came from and what was skipped. */
export async function profileEnsembleWithSources(
  ensemble: Ensemble,
  devices: Device[],
  options: ProfileEnsembleOptions = {},
): Promise<EnsembleProfiling> {
  const started = performance.now();
  const batchSizes = distinctAscending(options.batchSizes ?? defaultBatchSizes(ensemble.batching.maxBatchSize), 'batchSizes');
  const fileProfiles = [...(options.profiles ?? []), ...(options.profilesFile ? await loadProfileFile(options.profilesFile) : [])];
  const context: Context = { ensemble, options, batchSizes, fileProfiles, hostCpu: detectCpu(), emit: options.onProgress ?? (() => {}) };
  const result: EnsembleProfiling = { profiles: {}, sources: {}, skipped: [], batchSizes, seconds: 0 };
  for (const member of ensemble.members) {
    const facts = new MemberFacts(member, options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir);
    result.profiles[member.name] = {};
    result.sources[member.name] = {};
    for (const device of devices) {
      const where = { member: member.name, device: device.id };
      const deviceStarted = performance.now();
      const profiled = await profileOnDevice(facts, device, context);
      if ('skipped' in profiled) {
        result.skipped.push({ ...where, reason: profiled.skipped });
        context.emit({ ...where, type: 'skipped', reason: profiled.skipped });
        continue;
      }
      result.profiles[member.name]![device.id] = profiled.profile;
      result.sources[member.name]![device.id] = profiled.source;
      const seconds = (performance.now() - deviceStarted) / 1000;
      context.emit({ ...where, type: 'done', source: profiled.source, seconds, profile: profiled.profile });
    }
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/**
 * Profiles of every member on every device: `profiles[member][deviceId]`. A device a member cannot
 * be profiled on (a detected GPU without a profile file) has no entry.
 */
export async function profileEnsemble(
  ensemble: Ensemble,
  devices: Device[],
  options: ProfileEnsembleOptions = {},
): Promise<EnsembleProfiles> {
  return (await profileEnsembleWithSources(ensemble, devices, options)).profiles;
}
