import http from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PipedriveClient, type PipedriveClientOptions } from '../../../../src/pipedrive/client';

/** One request as the fake Pipedrive saw it; `arrivedAt` is `performance.now()` when its headers arrived. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  arrivedAt: number;
}

export type Reply =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string>; delayMs?: number }
  /** Read the request, then drop the connection without answering. */
  | { destroy: true }
  /** Never answer. */
  | { hang: true };

export type Script = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface ScriptedServer {
  baseUrl: string;
  requests: RecordedRequest[];
  script: Script;
  /** Connections the server accepted. */
  connections: number;
  close(): Promise<void>;
}

export const ok = (data: unknown, additional_data?: unknown, status = 200): Reply => ({
  status,
  json: { success: true, data, ...(additional_data !== undefined && { additional_data }) },
});

/** A local HTTP server that answers each request as the test's script says, and records what it received. */
export async function startScriptedServer(script: Script = () => ok(null), opts: { keepAliveTimeoutMs?: number } = {}): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer();
  if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  const state: ScriptedServer = { baseUrl: '', requests: [], script, connections: 0, close: () => Promise.resolve() };

  server.on('connection', (socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
        arrivedAt,
      };
      const index = state.requests.push(recorded) - 1;
      void Promise.resolve(state.script(recorded, index)).then(async (reply) => {
        if ('destroy' in reply) return req.socket.destroy();
        if ('hang' in reply) return;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        const text = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
        res.writeHead(reply.status, { 'content-type': reply.text === undefined ? 'application/json' : 'text/html', ...reply.headers });
        res.end(text);
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** A client with fast timings for tests; the server's script decides what Pipedrive answers. */
export function clientFor(server: ScriptedServer, overrides: Partial<PipedriveClientOptions> = {}): PipedriveClient {
  return new PipedriveClient({
    baseUrl: server.baseUrl,
    apiToken: TEST_TOKEN,
    burstLimit: 50,
    burstWindowMs: 200,
    retryBaseDelayMs: 10,
    timeoutMs: 2000,
    ...overrides,
  });
}

export function jsonBody(req: RecordedRequest): unknown {
  return JSON.parse(req.body.toString('utf8'));
}
