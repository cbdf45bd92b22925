/**
 * Open-loop arrivals: a Poisson process, i.e. exponential gaps between sends, seeded so a run can be
 * repeated. Latency in an open loop is measured from the scheduled send time, so a server that stalls
 * cannot hide the queue it builds (no coordinated omission).
 */
import { mulberry32 } from '@tutti/zoo';

/** tutti's seeded generator (mulberry32, from @tutti/zoo): small, fast, good enough for arrival times. */
export const seededRandom = mulberry32;

/** Send times in ms from the start, for `rate` requests per second over `seconds`. */
export function poissonSchedule(rate: number, seconds: number, seed: number): number[] {
  if (!(rate > 0) || !(seconds > 0)) throw new RangeError(`rate and seconds must be positive, got ${rate} and ${seconds}`);
  const random = seededRandom(seed);
  const times: number[] = [];
  for (let t = 0; ;) {
    // Inverse transform: an exponential gap with mean 1000 / rate ms.
    t += (-Math.log(1 - random()) * 1000) / rate;
    if (t >= seconds * 1000) return times;
    times.push(t);
  }
}
