/**
 * The router's view of one instance: its calibrated service model, the batches it holds (in the
 * order it serves them), and its interference detector. From these it predicts when a new batch
 * sent now would finish: the time left on the batch it is computing, plus the batches queued in
 * front, plus the new batch itself, each at the instance's expected speed (slowed by the measured
 * interference factor while it is interfered with and re-balancing is on).
 */
import { InterferenceDetector, type DetectorEvent, type DetectorOptions } from './interference.js';
import { ServiceModel, type LatencyPoint } from './service-model.js';

export interface InstanceDescription {
  id: string;
  member: string;
  /** Batches the instance accepts at once. */
  credits: number;
  /** Its profile on its device, when one is known: batch latency at its thread count. */
  profile?: LatencyPoint[];
}

interface Held {
  batch: number;
  rows: number;
  sentAt: number;
}

/** Used for an instance whose speed nothing tells yet: it looks like any other such instance. */
const UNKNOWN_MS = 1;

export class InstanceState {
  readonly id: string;
  readonly member: string;
  readonly credits: number;
  readonly detector: InterferenceDetector;
  readonly model: ServiceModel;
  /** Order of arrival among the member's instances, for first-come-first-served. */
  readonly joined: number;
  #held: Held[] = [];
  /** When the instance last finished a batch (its current batch started no earlier). */
  #lastDoneAt = -Infinity;
  #lastSentAt = -Infinity;

  constructor(description: InstanceDescription, joined: number, detector: DetectorOptions = {}) {
    this.id = description.id;
    this.member = description.member;
    this.credits = description.credits;
    this.joined = joined;
    this.model = new ServiceModel(description.profile ?? []);
    this.detector = new InterferenceDetector(detector);
  }

  get outstanding(): number {
    return this.#held.length;
  }

  get heldRows(): number {
    return this.#held.reduce((sum, h) => sum + h.rows, 0);
  }

  get hasCredit(): boolean {
    return this.#held.length < this.credits;
  }

  get lastSentAt(): number {
    return this.#lastSentAt;
  }

  /** Expected ms of a batch of `rows`, slowed by `slowdown` (the detector's, or 1). */
  expectedMs(rows: number, slowdown = 1): number {
    return (this.model.expectedMs(rows) ?? UNKNOWN_MS * rows) * slowdown;
  }

  /** When a batch of `rows` sent at `now` would finish, in ms from `now`. */
  predictedFinishMs(rows: number, now: number, slowdown = 1): number {
    let clock = now;
    let start = Math.max(this.#lastDoneAt, this.#held[0]?.sentAt ?? now);
    for (const held of this.#held) {
      start = Math.max(start, held.sentAt);
      const end = start + this.expectedMs(held.rows, slowdown);
      // The batch in front may have overrun its expected time: it finishes "any moment now", not in the past.
      clock = Math.max(clock, end);
      start = clock;
    }
    return Math.max(clock, now) - now + this.expectedMs(rows, slowdown);
  }

  sent(batch: number, rows: number, now: number): void {
    this.#held.push({ batch, rows, sentAt: now });
    this.#lastSentAt = now;
  }

  /**
   * The instance finished `batch`; `serviceMs` is how long it computed it (undefined when unknown).
   * Returns a detector event when the instance's interference state changed.
   */
  done(batch: number, now: number, serviceMs?: number): DetectorEvent | undefined {
    const index = this.#held.findIndex((h) => h.batch === batch);
    const held = index >= 0 ? this.#held.splice(index, 1)[0] : undefined;
    this.#lastDoneAt = now;
    if (!held || serviceMs === undefined || !(serviceMs >= 0)) return this.detector.tick(now);
    // Until a batch size has been measured a few times, the measurements are its calibration (the
    // profile was taken alone, and this host may be busier); after that they are judged against it.
    if (!this.model.isCalibrated(held.rows)) {
      this.model.learn(held.rows, serviceMs);
      return this.detector.tick(now);
    }
    const slowdown = serviceMs / Math.max(1e-3, this.model.expectedMs(held.rows)!);
    // Calibrate only on batches at normal speed: a slowdown is judged against it, never learned as it.
    // Below `exit`, not `enter`: the onset of an interference, slower but not yet detected, must not creep in.
    if (!this.detector.interfered && slowdown < this.detector.exit) this.model.learn(held.rows, serviceMs);
    return this.detector.observe(slowdown, now);
  }

  /** Forgets a batch without a measurement (answered elsewhere, or abandoned). */
  forget(batch: number): void {
    const index = this.#held.findIndex((h) => h.batch === batch);
    if (index >= 0) this.#held.splice(index, 1);
  }

  heldBatches(): number[] {
    return this.#held.map((h) => h.batch);
  }
}
