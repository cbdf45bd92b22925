export { poissonSchedule, seededRandom } from './poisson.js';
export { LatencyRecorder, type LatencySummary } from './latency.js';
export { mergeTraces, runStep, shares, type StepOptions, type StepResult, type TracePoint } from './run-load.js';
export { timeline, type TimelineBucket } from './timeline.js';
export { startBaseline, type RunningSystem } from './systems.js';
export { addedLatency, histogramSums, meansBetween, type AddedLatency } from './breakdown.js';
export { COLORS, throughputLatencySvg, type Series } from './plot.js';
export {
  escapeXml,
  timeScale,
  timeSeriesSvg,
  type TimeHLine,
  type TimePanel,
  type TimeSeries,
  type TimeSeriesOptions,
} from './plot-time.js';
export { parseMarks, stepsOf, summariseSteps, STEPS, type Mark, type Step } from './spans.js';
export { clockTicksPerSecond, cpuPerRequest, readCpu, ticksOfStat, type CpuPerRequest, type CpuReading, type ProcessRef } from './cpu.js';
export { fellBehind, WindowTally, type WindowCounts } from './window.js';
export { formatSpread, roundOrder, spread, type Spread } from './rounds.js';
export {
  figuresOf,
  peakRatios,
  summarise,
  type RoundResult,
  type Summary,
  type SystemFigures,
  type SystemResult,
  type SystemSummary,
} from './figures.js';
export { rate, summaryLines } from './report.js';
export { allowableThroughput, sustained, type OfferedStep } from './allowable.js';
export { Network, namespacesAvailable } from './netns.js';
export { HostProcesses, agentArgs, headArgs, writeCurveKeys, type HostProcess } from './hosts.js';
export { mcnemarExact, type PairedResult } from './paired.js';
export { xyLinesSvg, type XYOptions, type XYSeries } from './plot-xy.js';
