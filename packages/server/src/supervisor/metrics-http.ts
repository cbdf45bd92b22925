/**
 * The supervisor's HTTP endpoint: /metrics (Prometheus text, every process's metrics merged),
 * /live (the supervisor answers) and /ready (every member has a live, warmed instance: 200, else 503).
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export type ProcessMetrics = MetricObjectWithValues<MetricValue<string>>[];

export interface MetricsSource {
  /** prom-client JSON of every process, gathered now. */
  gather(): Promise<ProcessMetrics[]>;
  ready(): Promise<boolean>;
}

export class MetricsEndpoint {
  readonly url: string;
  #http: HttpServer;

  private constructor(http: HttpServer, url: string) {
    this.#http = http;
    this.url = url;
  }

  static async start(port: number, host: string, source: MetricsSource): Promise<MetricsEndpoint> {
    const http = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const answer = async (): Promise<[number, string, string]> => {
        if (path === '/metrics') {
          const merged = AggregatorRegistry.aggregate(await source.gather());
          return [200, merged.contentType, await merged.metrics()];
        }
        if (path === '/live') return [200, 'text/plain', 'live\n'];
        if (path === '/ready') return (await source.ready()) ? [200, 'text/plain', 'ready\n'] : [503, 'text/plain', 'not ready\n'];
        return [404, 'text/plain', 'try /metrics, /live or /ready\n'];
      };
      answer().then(
        ([status, type, body]) => response.writeHead(status, { 'content-type': type }).end(body),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve());
    });
    const address = http.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    return new MetricsEndpoint(http, `http://${host}:${bound}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#http.close(() => resolve()));
  }
}
