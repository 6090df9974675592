/**
 * The throughput bench's sandbox in a process of its own (`--sandbox-process`), as Pipedrive is to a real worker: the
 * sandbox's own work then no longer shares the worker's event loop. Started by `fork`, its options as JSON in argv[2];
 * it tells the parent its URL and burst limit, keeps every request it answered (stamped when it finished, with its
 * parsed body when asked) until the parent asks for them, and closes when the parent says so. The log stays here while
 * a run goes on: sent one message a request, it cost the worker's process (the bench's) a parse each and a heap that
 * grew through the very phase it measured.
 */
import { startSandbox, type SandboxOptions } from '@dentrix-pipedrive/pipedrive-sandbox';

/** One request the sandbox answered. */
export interface SandboxProcessRequest {
  method: string;
  path: string;
  status: number | string;
  at: number;
  body?: unknown;
}

/** What the bench's parent process hears from the sandbox process. */
export type SandboxProcessMessage =
  { kind: 'ready'; url: string; burstLimit: number } | { kind: 'requests'; requests: SandboxProcessRequest[] } | { kind: 'closed' };

/** What the parent asks of it: the requests answered so far, or to close. */
export type SandboxProcessCommand = { kind: 'requests' } | { kind: 'close' };

async function main(): Promise<void> {
  const { withBodies, ...options } = JSON.parse(process.argv[2] ?? '{}') as SandboxOptions & { withBodies?: boolean };
  const send = (message: SandboxProcessMessage) => process.send?.(message);
  const requests: SandboxProcessRequest[] = [];
  const sandbox = await startSandbox({
    ...options,
    onRequest: (entry, body) =>
      requests.push({ method: entry.method, path: entry.path, status: entry.status, at: Date.now(), ...(withBodies ? { body } : {}) }),
  });
  send({ kind: 'ready', url: sandbox.url, burstLimit: sandbox.usage().burstLimit });
  process.on('message', (message: SandboxProcessCommand) => {
    if (message.kind === 'requests') send({ kind: 'requests', requests });
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
