/**
 * Emulated devices: a worker for a declared device that is not on this host (a GPU, say) computes
 * the real answer on the CPU, then holds the result back until the time the device's profile says
 * the batch takes, as KAIROS's evaluation workers did. Answers are real; timings are the profile's.
 * When the CPU is slower than the emulated device, the batch is late by the difference: that lag is
 * reported with every result, so an emulation that cannot keep up is visible rather than hidden.
 */
import { latencyOf, type MemberProfile } from '@tutti/allocator';
import { TuttiError } from '@tutti/protocol';

export class EmulatedDevice {
  readonly deviceName: string;
  #profile: MemberProfile;
  #maxRows: number;

  constructor(profile: MemberProfile, maxRows: number) {
    if (latencyOf(profile, Math.min(maxRows, 1), 1) === undefined) {
      throw new TuttiError('INVALID_OPTION', `emulation profile of ${profile.member} on ${profile.deviceName} has no latency for batch 1`);
    }
    this.deviceName = profile.deviceName;
    this.#profile = profile;
    this.#maxRows = maxRows;
  }

  /** The device's time for a batch of `rows`, run in chunks of the instance's batch size as the worker does. */
  batchLatencyMs(rows: number): number {
    let total = 0;
    for (let start = 0; start < rows; start += this.#maxRows) total += this.#chunkLatency(Math.min(this.#maxRows, rows - start));
    return total;
  }

  #chunkLatency(rows: number): number {
    const exact = latencyOf(this.#profile, rows, 1);
    if (exact !== undefined) return exact;
    // Outside the profiled range: scale the nearest profiled batch linearly (batches cost about their rows).
    const largest = Math.max(...this.#profile.points.filter((p) => p.threads === 1).map((p) => p.batch));
    return (latencyOf(this.#profile, largest, 1)! * rows) / largest;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
