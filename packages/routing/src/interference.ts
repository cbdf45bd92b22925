/**
 * ODIN-style interference detection for one instance. Each served batch gives a slowdown: its
 * measured time over what the instance's calibrated model expected. Batches are grouped into
 * windows of fixed length; a window's slowdown is its median, so one slow batch (a GC pause, a
 * page fault) moves nothing. The instance counts as interfered with once `windows` consecutive
 * windows are above `enter`, and as free again once `windows` consecutive windows are below `exit`
 * (exit < enter: the gap is the hysteresis that keeps it from flapping at the edge). Windows with
 * no batch say nothing and leave the count as it is.
 */
import { invalidOption } from '@tutti/core';

export interface DetectorOptions {
  /** Window length in ms (default 500). */
  windowMs?: number;
  /** Slowdown above which a window counts as slow (default 1.8: on a busy 2-core host, normal noise reaches 1.6). */
  enter?: number;
  /** Slowdown below which a window counts as normal again (default 1.3). */
  exit?: number;
  /** Consecutive windows needed to change state, either way (default 3). */
  windows?: number;
}

export interface DetectorEvent {
  kind: 'interfered' | 'cleared';
  /** The slowdown of the window that decided it. */
  slowdown: number;
}

export class InterferenceDetector {
  readonly windowMs: number;
  readonly enter: number;
  readonly exit: number;
  readonly windows: number;
  #windowStart: number | undefined;
  #samples: number[] = [];
  #streak = 0;
  #interfered = false;
  #slowdown = 1;

  constructor(options: DetectorOptions = {}) {
    this.windowMs = options.windowMs ?? 500;
    this.enter = options.enter ?? 1.8;
    this.exit = options.exit ?? 1.3;
    this.windows = options.windows ?? 3;
    if (!(this.windowMs > 0)) invalidOption('windowMs', this.windowMs, 'a positive number of ms');
    if (!(this.enter > 1)) invalidOption('enter', this.enter, 'a slowdown ratio above 1');
    if (!(this.exit >= 1 && this.exit < this.enter)) invalidOption('exit', this.exit, `a ratio >= 1 and below enter (${this.enter})`);
    if (!Number.isInteger(this.windows) || this.windows < 1) invalidOption('windows', this.windows, 'an integer >= 1');
  }

  get interfered(): boolean {
    return this.#interfered;
  }

  /** While interfered: the slowdown of the last window that had batches (else 1). */
  get slowdown(): number {
    return this.#interfered ? this.#slowdown : 1;
  }

  /** One served batch's measured / expected time, at `now` ms. Returns a state change, if one happened. */
  observe(slowdown: number, now: number): DetectorEvent | undefined {
    const event = this.tick(now);
    if (Number.isFinite(slowdown) && slowdown > 0) this.#samples.push(slowdown);
    return event;
  }

  /** Closes the windows that ended by `now` (call it also when no batch arrives). */
  tick(now: number): DetectorEvent | undefined {
    if (this.#windowStart === undefined) {
      this.#windowStart = now;
      return undefined;
    }
    let event: DetectorEvent | undefined;
    while (now - this.#windowStart >= this.windowMs) {
      event = this.#closeWindow() ?? event;
      this.#windowStart += this.windowMs;
      // Long silences: skip the empty windows at once rather than one by one.
      if (now - this.#windowStart >= this.windowMs * 2) this.#windowStart = now - this.windowMs;
    }
    return event;
  }

  #closeWindow(): DetectorEvent | undefined {
    const samples = this.#samples;
    this.#samples = [];
    if (samples.length === 0) return undefined;
    const median = medianOf(samples);
    const toward = this.#interfered ? median < this.exit : median > this.enter;
    if (this.#interfered || toward) this.#slowdown = median;
    this.#streak = toward ? this.#streak + 1 : 0;
    if (this.#streak < this.windows) return undefined;
    this.#streak = 0;
    this.#interfered = !this.#interfered;
    return this.#interfered ? { kind: 'interfered', slowdown: median } : { kind: 'cleared', slowdown: median };
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
