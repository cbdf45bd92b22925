/**
 * @tutti/profiler: what the allocator needs to know before it places anything — the devices
 * (detected on this host, or declared in a devices file) and each member's profile on each of them
 * (measured here and cached, modelled from the ONNX file for hardware that is not here, or brought
 * in from a profile file).
 */
export {
  detectDevices,
  detectCpu,
  detectGpus,
  parseNvidiaSmiCsv,
  probeGpus,
  DETECTED_CPU_ID,
  type RunNvidiaSmi,
} from './devices/detect.js';
export { loadDevicesFile, parseDevicesFile, deviceIdPrefix } from './devices/devices-file.js';
export { loadCatalogFile, parseCatalogFile } from './devices/catalog-file.js';
export { parseMemorySize } from './devices/memory-size.js';
export {
  profileMember,
  profileMemberWithOrigin,
  type ProfileMemberOptions,
  type ProfiledMember,
  type ProfileOrigin,
  type MeasureEvent,
} from './profile-member.js';
export {
  profileEnsemble,
  profileEnsembleWithSources,
  type ProfileEnsembleOptions,
  type EnsembleProfiling,
  type ProfileEvent,
  type ProfileProgress,
  type ProfileSource,
} from './profile-ensemble.js';
export { loadProfileFile, saveProfileFile, parseProfileFile, findProfile, type EnsembleProfiles } from './profile-file.js';
export { defaultCacheDir, cacheFilePath, type ProfileKey } from './cache.js';
export { defaultBatchSizes, defaultThreadOptions, parseIntegerList, MAX_DEFAULT_BATCH_SIZE } from './options.js';
export { DEFAULT_RUN_LIMITS, median, type RunLimits } from './measure/timing.js';
export { randomInputs } from './measure/random-inputs.js';
export { progressReporter, type ProgressReporter } from './progress.js';
export { formatEnsembleProfiling, formatProfileTable, formatLatency } from './format.js';
export { measureMessageCost, hostMessageCost, type MessageCost, type MessageCostOptions } from './measure/message-cost.js';
export { hardwareLine } from './host.js';
export { fileSha256 } from './sha256.js';
export { rssOf } from './process-memory.js';
export { hostReport, type HostReport } from './devices/host-report.js';
