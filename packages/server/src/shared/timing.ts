/**
 * Every timing constant of the server's processes, in one place, with the orderings between them
 * written down as rules (`timingViolations`, checked by a unit test) instead of comments in five
 * files: a heartbeat outlived by its timeout, a drain and a linger that fit before a child gives up,
 * a SIGKILL that comes only after that, and so on. Change one here and the test says what it breaks.
 *
 * Two clocks, named apart: a time whose name ends in `Mono` is performance.now() in ms, monotonic and
 * local to one process (waits, queue delays, service times); every other instant is epoch ms
 * (Date.now(), or performance.timeOrigin + performance.now() for sub-ms precision), the only kind
 * that crosses processes (deadlines, a request's arrival in a plan, a batch's sentAt).
 */
export const TIMING = {
  /** A worker's heartbeat to the batcher (sent from its main thread, also while it computes). */
  heartbeatIntervalMs: 500,
  /** The batcher expires a worker it has not heard from for this long, and sends its batches elsewhere. */
  heartbeatTimeoutMs: 2_000,
  /** An agent's beat to the head (agent.ts). */
  agentBeatMs: 1_000,
  /** The head takes an agent it has not heard from for this long as gone, and repairs the plan without it. */
  agentTimeoutMs: 5_000,
  /** The batcher's housekeeping: expiries, interference windows, gauges. */
  housekeepingMs: 200,
  /**
   * A batch's plan rides with its inputs and reaches the combiner with the first result; when a
   * request's deadline comes sooner than this after the batch leaves, or housekeeping finds one that
   * near, the combiner is sent the plan on its own, so that it can answer the deadline in time.
   */
  planLeadMs: 1_000,
  /** After a drain, requests still get their UNAVAILABLE answer until this long after the last client message. */
  drainGraceMs: 1_000,
  /** How long Server.stop() lets accepted requests be answered before stopping the processes (default). */
  drainMs: 5_000,
  /** Replies already handed to ZeroMQ may take this long to leave when a socket closes. */
  closeLingerMs: 1_000,
  /** A stopping child stops waiting for its own close() after this, and exits. */
  childHardExitMs: 4_000,
  /** The supervisor SIGKILLs a child still running this long after its SIGTERM. */
  killAfterMs: 5_000,
  /** Restart backoff: the first wait, doubled per failure in a row, up to the cap. */
  restartBackoffFirstMs: 250,
  restartBackoffMaxMs: 5_000,
  /** A process that ran this long before dying was healthy: its failures in a row start again from 0. */
  stableRunMs: 30_000,
  /** How long a process may take to start, at first and at each restart (default). */
  startTimeoutMs: 120_000,
  /** A process that does not send its metrics within this is left out of /metrics. */
  metricsGatherMs: 1_000,
  /** The deadline of a request that gives no timeout_ms (default). */
  requestTimeoutMs: 60_000,
  /** A batch computing longer than this means a hung inference: the worker exits to be restarted (default). */
  hangTimeoutMs: 60_000,
  /** While the combiner is down, the batcher checks deadlines this often. */
  combinerDownDeadlineCheckMs: 20,
  /** From a combiner's death until this long after its restart, the batcher remembers answered requests. */
  recoveryWindowMs: 5_000,
  /** A batch whose batcher died is dropped this long after a new batcher's first plan. */
  orphanGraceMs: 10_000,
  /** An orphan's answer keeps the re-sent copy of its request from being answered again this long. */
  orphanAnswerLingerMs: 120_000,
  /** Each of the combiner's two journal files is written this long before the other takes over. */
  journalTurnMs: 5_000,
} as const;

export type Timing = { [K in keyof typeof TIMING]: number };

/** What a client waits past a request's deadline before its own timer fires (both TypeScript and Python clients). */
const CLIENT_GRACE_MS = 100;

/** The rules `timing` breaks, in words; empty when it keeps them all. */
export function timingViolations(timing: Timing): string[] {
  const t = timing;
  const rules: [string, boolean][] = [
    ['a worker is expired only after missing at least 3 heartbeats', t.heartbeatTimeoutMs >= 3 * t.heartbeatIntervalMs],
    ['an agent is taken as gone only after missing at least 3 beats', t.agentTimeoutMs >= 3 * t.agentBeatMs],
    [
      'an agent is taken as gone only after the batcher expired its workers (their batches went elsewhere first)',
      t.agentTimeoutMs > t.heartbeatTimeoutMs,
    ],
    ['housekeeping runs at least 4 times per heartbeat timeout', 4 * t.housekeepingMs <= t.heartbeatTimeoutMs],
    ['a plan sent at housekeeping still reaches the combiner well before its deadline', t.planLeadMs >= 4 * t.housekeepingMs],
    [
      "a stopping child's drain grace and socket linger fit before it gives up on close()",
      t.drainGraceMs + t.closeLingerMs < t.childHardExitMs,
    ],
    ['the supervisor SIGKILLs a child only after it had time to exit by itself', t.childHardExitMs < t.killAfterMs],
    ['the restart backoff starts below its cap', t.restartBackoffFirstMs <= t.restartBackoffMaxMs],
    ['a process counts as healthy only after outliving several capped backoffs', t.stableRunMs >= 4 * t.restartBackoffMaxMs],
    ["while the combiner is down, deadlines are kept well inside a client's grace", 4 * t.combinerDownDeadlineCheckMs <= CLIENT_GRACE_MS],
    ['an orphan answer is remembered as long as a request may wait by default', t.orphanAnswerLingerMs >= t.requestTimeoutMs],
    ['an orphan batch is kept long enough for its workers to finish and its clients to re-send', t.orphanGraceMs >= t.recoveryWindowMs],
    [
      'the journal holds at least the last turn, longer than a combiner takes to be restarted',
      t.journalTurnMs >= t.restartBackoffFirstMs * 4,
    ],
    ['a hang is declared only well after a heartbeat timeout', t.hangTimeoutMs > 2 * t.heartbeatTimeoutMs],
    ['Server.stop() drains at least one drain grace', t.drainMs >= t.drainGraceMs],
  ];
  return rules.filter(([, holds]) => !holds).map(([rule]) => rule);
}
