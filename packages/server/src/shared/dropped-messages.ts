/**
 * Internal messages a process drops because they do not decode or make no sense (a bug, a version
 * mismatch, or someone who reached an internal socket): each is counted
 * (tutti_internal_messages_dropped_total, by process and socket) and logged, at most once a second
 * per socket with how many were dropped since, so that a flood of them cannot flood the log too.
 */
import { Counter } from 'prom-client';
import { registry } from './metrics.js';
import { processLog } from './log.js';

const droppedTotal = new Counter({
  name: 'tutti_internal_messages_dropped_total',
  help: "Messages on tutti's internal sockets dropped as malformed, by process and socket",
  labelNames: ['process', 'socket'] as const,
  registers: [registry],
});

const LOG_EVERY_MS = 1_000;

export class DroppedMessages {
  #process: string;
  #socket: string;
  #sinceLog = 0;
  #loggedAt = -Infinity;

  constructor(process: string, socket: string) {
    this.#process = process;
    this.#socket = socket;
  }

  drop(error: unknown): void {
    droppedTotal.inc({ process: this.#process, socket: this.#socket });
    this.#sinceLog++;
    const now = performance.now();
    if (now - this.#loggedAt < LOG_EVERY_MS) return;
    const more = this.#sinceLog > 1 ? ` (${this.#sinceLog} dropped in the last ${LOG_EVERY_MS / 1000} s)` : '';
    processLog().warn(
      { socket: this.#socket, dropped: this.#sinceLog },
      `${this.#process}: dropped a malformed message on its ${this.#socket} socket: ${(error as Error)?.message ?? String(error)}${more}`,
    );
    this.#sinceLog = 0;
    this.#loggedAt = now;
  }
}
