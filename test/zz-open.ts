import { runStep } from '@tutti/bench';
import { loadManifest } from '@tutti/manifest';
const ens = await loadManifest('ensembles/digits');
const scrape = async () => Object.fromEntries([...(await (await fetch('http://127.0.0.1:9464/metrics')).text()).matchAll(/^(tutti_(?:request_duration|queue)_seconds)_bucket\{le="([^"]+)"\} (\d+)/gm)].map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]));
const rate = Number(process.argv[2] ?? 9800);
await runStep({ endpoint: 'tcp://127.0.0.1:5555', inputs: ens.inputs, mode: 'open', load: rate, processes: 2, warmupSeconds: 1, seconds: 1 });
const a = await scrape();
const s = await runStep({ endpoint: 'tcp://127.0.0.1:5555', inputs: ens.inputs, mode: 'open', load: rate, processes: 2, warmupSeconds: 0.01, seconds: 6 });
const b = await scrape();
console.log('client', s.requestsPerSecond.toFixed(0), 'p50', s.latency.p50.toFixed(2), 'p90', s.latency.p90.toFixed(2), 'p99', s.latency.p99.toFixed(2));
const tot = b['tutti_request_duration_seconds +Inf']! - a['tutti_request_duration_seconds +Inf']!;
for (const k of Object.keys(b)) { const d = b[k]! - a[k]!; console.log(k, (d / tot * 100).toFixed(2) + '%'); }
