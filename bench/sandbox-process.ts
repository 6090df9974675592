/**
 * The throughput bench's sandbox in a process of its own (`--sandbox-process`), as Pipedrive is to a real worker: the
 * sandbox's own work then no longer shares the worker's event loop. Started by `fork`, its options as JSON in argv[2];
 * it tells the parent its URL and burst limit, then every request it answered (stamped when it finished, with its
 * parsed body when asked), and closes when the parent says so.
 */
import { startSandbox, type SandboxOptions } from '@dentrix-pipedrive/pipedrive-sandbox';

/** What the bench's parent process hears from the sandbox process. */
export type SandboxProcessMessage =
  | { kind: 'ready'; url: string; burstLimit: number }
  | { kind: 'request'; method: string; path: string; status: number | string; at: number; body?: unknown }
  | { kind: 'closed' };

async function main(): Promise<void> {
  const { withBodies, ...options } = JSON.parse(process.argv[2] ?? '{}') as SandboxOptions & { withBodies?: boolean };
  const send = (message: SandboxProcessMessage) => process.send?.(message);
  const sandbox = await startSandbox({
    ...options,
    onRequest: (entry, body) =>
      send({ kind: 'request', method: entry.method, path: entry.path, status: entry.status, at: Date.now(), ...(withBodies ? { body } : {}) }),
  });
  send({ kind: 'ready', url: sandbox.url, burstLimit: sandbox.usage().burstLimit });
  process.on('message', (message: { kind?: string }) => {
    if (message.kind !== 'close') return;
    void sandbox.close().then(() => {
      send({ kind: 'closed' });
      process.disconnect();
    });
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
