/**
 * What a load step counts inside its measured window [from, to): requests sent in it, requests
 * answered in it, and the backlog (sent but not yet answered or failed) at both of its ends.
 * Throughput is what was answered within the window over the window's length. Counting instead the
 * requests sent in the window whenever they are answered would let an open loop report "served"
 * equal to "offered" from a server that only answers them long after; dividing by the time until the
 * last one drained would let a closed loop's tail stretch the window.
 */
export class WindowTally {
  /** Requests sent (or, in an open loop, scheduled) within the window. */
  sent = 0;
  /** Requests answered within the window, whenever they were sent. */
  answered = 0;
  /** Every request answered, warm-up and drain included: what a server's CPU over the whole step was spent on. */
  answeredAll = 0;
  #sentBeforeStart = 0;
  #sentBeforeEnd = 0;
  #doneBeforeStart = 0;
  #doneBeforeEnd = 0;

  constructor(
    readonly from: number,
    readonly to: number,
  ) {}

  send(at: number): void {
    if (at < this.from) this.#sentBeforeStart++;
    if (at < this.to) this.#sentBeforeEnd++;
    if (at >= this.from && at < this.to) this.sent++;
  }

  /** A request finished at `at`, answered (ok) or failed. Returns whether it was answered within the window. */
  finish(at: number, ok: boolean): boolean {
    if (at < this.from) this.#doneBeforeStart++;
    if (at < this.to) this.#doneBeforeEnd++;
    if (!ok) return false;
    this.answeredAll++;
    const inWindow = at >= this.from && at < this.to;
    if (inWindow) this.answered++;
    return inWindow;
  }

  /** Requests in flight at the start and at the end of the window. */
  backlog(): { start: number; end: number } {
    return { start: this.#sentBeforeStart - this.#doneBeforeStart, end: this.#sentBeforeEnd - this.#doneBeforeEnd };
  }
}

export interface WindowCounts {
  sent: number;
  answered: number;
  backlog: { start: number; end: number };
}

/**
 * Whether an open loop's server fell behind the offered load: it answered under 95% of what was
 * sent in the window, or its backlog grew. The offered count is the requests actually sent, not rate
 * x seconds, so Poisson's few per cent of noise in the count is not mistaken for falling behind.
 * A server that keeps up holds its backlog near rate x latency (Little's law), which wanders by
 * about its square root; a rise past 3 of those, and past 2% of what was sent, is growth.
 */
export function fellBehind(counts: WindowCounts): boolean {
  const { sent, answered, backlog } = counts;
  if (answered < 0.95 * sent) return true;
  return backlog.end - backlog.start > Math.max(0.02 * sent, 3 * Math.sqrt(backlog.start + 1));
}
