import { describe, expect, it } from 'vitest';
import { addedLatency, histogramSums, meansBetween } from '../src/breakdown.js';
import { throughputLatencySvg } from '../src/plot.js';

describe('server-side breakdown', () => {
  it('gives the mean of each histogram over a step, per label set, in ms', () => {
    const before = histogramSums(
      'tutti_queue_seconds_sum 1\ntutti_queue_seconds_count 100\ntutti_member_compute_seconds_sum{member="a",device="cpu"} 2\ntutti_member_compute_seconds_count{member="a",device="cpu"} 10',
    );
    const after = histogramSums(
      'tutti_queue_seconds_sum 1.5\ntutti_queue_seconds_count 200\ntutti_member_compute_seconds_sum{member="a",device="cpu"} 2.2\ntutti_member_compute_seconds_count{member="a",device="cpu"} 30',
    );
    const means = meansBetween(before, after);
    expect(means.tutti_queue_seconds).toBeCloseTo(5, 9);
    expect(means['tutti_member_compute_seconds{member="a",device="cpu"}']).toBeCloseTo(10, 9);
  });

  it('gives the mean batch size in rows, and leaves other histograms out', () => {
    const before = histogramSums('tutti_batch_size_sum 100\ntutti_batch_size_count 10\nother_bytes_sum 5\nother_bytes_count 1');
    const after = histogramSums('tutti_batch_size_sum 400\ntutti_batch_size_count 30\nother_bytes_sum 9\nother_bytes_count 2');
    expect(meansBetween(before, after)).toEqual({ tutti_batch_size: 15 });
  });
});

describe('added latency', () => {
  it("takes the members' compute off the client p50: the slowest member, and all of them", () => {
    const added = addedLatency(2, {
      tutti_queue_seconds: 0.05,
      'tutti_member_compute_seconds{member="a",device="cpu"}': 0.3,
      'tutti_member_compute_seconds{member="b",device="cpu"}': 0.5,
    })!;
    expect(added.slowestMemberMs).toBeCloseTo(0.5, 12);
    expect(added.allMembersMs).toBeCloseTo(0.8, 12);
    expect(added.addedMs).toBeCloseTo(1.5, 12);
    expect(added.addedAtLeastMs).toBeCloseTo(1.2, 12);
  });

  it("is unknown without the members' compute", () => {
    expect(addedLatency(2, { tutti_queue_seconds: 0.05 })).toBeUndefined();
  });
});

describe('throughput-latency plot', () => {
  it('draws one line per system and the compute bound', () => {
    const svg = throughputLatencySvg(
      't',
      [
        {
          name: 'tutti',
          points: [
            { throughput: 10, p99: 1 },
            { throughput: 100, p99: 5 },
          ],
        },
        { name: 'naive', points: [{ throughput: 5, p99: 2 }] },
      ],
      150,
    );
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('compute bound');
    expect(svg).toContain('>naive<');
  });
});
