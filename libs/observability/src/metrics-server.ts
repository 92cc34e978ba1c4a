import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { parseBindAddress, toBoundAddress, type BoundAddress } from './bind-address';

/**
 * Prometheus exposition on its own port (the original serves /metrics apart from /readyz),
 * with plain node:http so scrapes never queue behind the application's HTTP stack.
 */
export class MetricsHttpServer {
  private server: Server | undefined;
  private bound: BoundAddress | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly address: string,
  ) {}

  async start(): Promise<BoundAddress> {
    if (this.bound) return this.bound;
    const { host, port } = parseBindAddress(this.address);
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.bound = toBoundAddress(server.address());
    return this.bound;
  }

  boundAddress(): BoundAddress | undefined {
    return this.bound;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.bound = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Scrapers keep connections alive; shutdown must not wait for them.
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
      return;
    }
    try {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}
