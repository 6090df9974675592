import { spawn } from 'node:child_process';
import { connectClient, shortConnectReason, TemporalUnreachableError } from '../../src/runtime/temporal';
import { entryPoint, REPO } from '../support/entry-point';

/** Port 1 (tcpmux) is closed on any machine these tests run on: the connection is refused at once. */
const CLOSED = '127.0.0.1:1';

function runWorker(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(...entryPoint('src/worker.ts'), {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 14_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a worker or CLI whose Temporal does not answer', () => {
  it('the worker prints one readable line naming the address and namespace, and exits 1', async () => {
    const started = Date.now();
    // The store is never reached: Temporal is checked first (an unreachable DATABASE_URL proves it).
    const r = await runWorker({
      TEMPORAL_ADDRESS: CLOSED,
      TEMPORAL_NAMESPACE: 'practice-ns',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/never_used',
      LOG_LEVEL: 'info',
    });
    expect(Date.now() - started).toBeLessThan(14_000);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `worker: Temporal at ${CLOSED} (namespace practice-ns) does not answer: connection refused — start it with "npm run temporal" or set TEMPORAL_ADDRESS`,
    ]);
    expect(r.stdout).not.toMatch(/tonic|TransportError/);
  }, 15_000);

  it('the CLI client fails with the same sentence', async () => {
    const err = await connectClient({ TEMPORAL_ADDRESS: CLOSED, TEMPORAL_NAMESPACE: 'default' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalUnreachableError);
    expect((err as Error).message).toBe(
      `Temporal at ${CLOSED} (namespace default) does not answer: connection refused — start it with "npm run temporal" or set TEMPORAL_ADDRESS`,
    );
  }, 15_000);

  it("reads the gRPC libraries' dumps as a few words", () => {
    const tonic = (inner: string) => new Error(`tonic::transport::Error(Transport, ConnectError(ConnectError(${inner})))`);
    expect(shortConnectReason(tonic('"tcp connect error", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" }'))).toBe(
      'connection refused',
    );
    expect(
      shortConnectReason(tonic('"dns error", Custom { kind: Uncategorized, error: "failed to lookup address information: Name or service not known" }')),
    ).toBe('the host name does not resolve');
    expect(shortConnectReason(new Error('Failed to connect before the deadline'))).toBe('no answer in time');
    expect(shortConnectReason(new Error('no answer within 10 s'))).toBe('no answer within 10 s');
  });
});
