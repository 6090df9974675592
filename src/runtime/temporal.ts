import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { temporalConnectConfig, type TemporalSettings } from './temporal-config';

/** Temporal did not answer a connection: one readable line naming the address, the namespace and what to do. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    readonly namespace: string,
    readonly reason: string,
  ) {
    super(`Temporal at ${address} (namespace ${namespace}) does not answer: ${reason} — start it with "npm run temporal" or set TEMPORAL_ADDRESS`);
  }
}

/**
 * What went wrong with a connection attempt, in a few words: the gRPC libraries' messages are dumps (the Rust core's
 * reads `tonic::transport::Error(Transport, ConnectError(...))`), which an operator should not have to decode.
 */
export function shortConnectReason(err: unknown): string {
  // The client wraps the transport's error (ServiceError ← gRPC status): read the whole chain.
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    // Duck-typed: an error from another realm (Node's own, seen from a VM context) is not `instanceof Error`.
    const m = (e as { message?: unknown }).message;
    messages.push(typeof m === 'string' ? m : typeof e === 'string' ? e : '');
  }
  const message = messages.join(' <- ');
  const known: [RegExp, string][] = [
    [/connection refused|ECONNREFUSED/i, 'connection refused'],
    [/dns error|ENOTFOUND|EAI_AGAIN|failed to lookup address|name or service not known/i, 'the host name does not resolve'],
    [/EHOSTUNREACH|ENETUNREACH|no route to host|network is unreachable/i, 'no route to the host'],
    [/ECONNRESET|connection reset/i, 'the connection was reset'],
    [
      /\bUNAUTHENTICATED\b|\bPERMISSION_DENIED\b|unauthori[sz]ed|invalid api key/i,
      'the server refused the credentials (TEMPORAL_API_KEY or the client certificate)',
    ],
    [/certificate|handshake|InvalidContentType|CorruptMessage|\btls\b|\bssl\b/i, 'the TLS handshake failed (check TEMPORAL_TLS and the certificates)'],
    [/deadline|timed? ?out/i, 'no answer in time'],
    [/\bUNAVAILABLE\b|no connection established/i, 'the server is unavailable'],
    [/invalid ?uri|invalid address|InvalidUri/i, 'not a valid host:port'],
  ];
  for (const [pattern, reason] of known) if (pattern.test(message)) return reason;
  const firstLine = messages[0]!.split('\n')[0]!.trim();
  return firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine || 'unknown error';
}

/**
 * The CLI's client: connection settings from `temporalConnectConfig` (Temporal's env vars and config profile, `env` on
 * top), so the same CLI reaches the local dev server, a self-hosted cluster with mTLS or Temporal Cloud.
 */
export async function connectClient(env: TemporalSettings = {}): Promise<Client> {
  const config = temporalConnectConfig(env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connectionOptions, connectTimeout: '5s' });
  } catch (err) {
    const reason = await probeReason(config.address, err);
    // The port answers but TLS never completes: most often TLS against a plain-text server (or the reverse).
    const tlsHint = reason === 'no answer in time' && config.connectionOptions.tls ? 'no TLS answer in time (check TEMPORAL_TLS and the certificates)' : reason;
    throw new TemporalUnreachableError(config.address, config.namespace, tlsHint);
  }
  return new Client({ connection, namespace: config.namespace });
}

/**
 * The client library says only "Failed to connect before the deadline", whatever happened; one plain TCP connection
 * tells a refused port or an unknown host from a server that is slow to answer.
 */
async function probeReason(address: string, err: unknown): Promise<string> {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) return shortConnectReason(err);
  const probe = await new Promise<unknown>((resolve) => {
    const socket = net.connect({ host: m[1]!, port: Number(m[2]) });
    socket.setTimeout(2000, () => socket.destroy(new Error('timed out')));
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', resolve);
  });
  return shortConnectReason(probe ?? err);
}

export const migrationWorkflowId = (migrationId: string): string => `migration-${migrationId}`;
export const rollbackWorkflowId = (migrationId: string): string => `rollback-${migrationId}`;
