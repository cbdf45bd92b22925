/** Reads tutti_batches_routed_total from a running server's /metrics: batches routed per instance so far. */
export async function routedBatches(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^tutti_batches_routed_total\{instance="([^"]+)"\} (\S+)$/gm)) counts.set(match[1]!, Number(match[2]));
  return counts;
}
