import { spawnSync } from 'node:child_process';
import axios from 'axios';
import path from 'node:path';
import { accountFingerprinter, isPipedriveCloud } from '../../../src/engine/account-fingerprint';
import type { PipedriveClient } from '../../../src/pipedrive/client';
import { isLoopbackHost, SandboxConfigError, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { sandboxAdminHeaders } from '../../../src/pipedrive/sandbox-admin';
import { call, start, v2 } from './helpers';

const ADMIN = 'admin-secret-7f3a';

/** A client of an empty account, recording which collections the API-listing fingerprint lists. */
function emptyAccountClient(): { calls: string[]; client: PipedriveClient } {
  const calls: string[] = [];
  const client = {
    listPages: async function* (collection: string) {
      calls.push(collection);
      yield [] as { id: number }[];
    },
    listFields: async () => [],
    listActivityTypes: async () => [],
    listUsers: async () => [],
  } as unknown as PipedriveClient;
  return { calls, client };
}

describe('the sandbox admin API token', () => {
  const open: RunningSandbox[] = [];
  const started = async (options: Parameters<typeof start>[0] = {}) => {
    const sandbox = await start(options);
    open.push(sandbox);
    return sandbox;
  };
  afterAll(async () => {
    for (const s of open) await s.close();
  });

  it('keeps a loopback sandbox without an admin token open, as the tests and the demo use it', async () => {
    const sandbox = await started();
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { token: null })).status).toBe(200);
    expect((await call(sandbox, 'POST', '/_sandbox/reset', { token: null })).status).toBe(200);
  });

  it('answers 401 on /_sandbox/* without the configured token, and serves it with Bearer or x-sandbox-admin-token', async () => {
    const sandbox = await started({ adminToken: ADMIN });
    for (const route of [
      ['GET', '/_sandbox/fingerprint'],
      ['POST', '/_sandbox/reset'],
      ['GET', '/_sandbox/snapshot'],
      ['PUT', '/_sandbox/faults'],
    ] as const) {
      const missing = await call(sandbox, route[0], route[1], { token: null, body: route[0] === 'PUT' ? {} : undefined });
      expect([route, missing.status]).toEqual([route, 401]);
      expect(missing.body.error).toContain('admin token');
      const wrong = await call(sandbox, route[0], route[1], { token: null, headers: { authorization: `Bearer ${ADMIN}x` } });
      expect([route, wrong.status]).toEqual([route, 401]);
    }
    // The Pipedrive API token is not the admin token.
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { headers: { authorization: 'Bearer sandbox-token' }, token: null })).status).toBe(401);
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { token: null, headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { token: null, headers: { 'x-sandbox-admin-token': ADMIN } })).status).toBe(200);
    // The Pipedrive API itself still takes its own API token.
    expect((await v2(sandbox, 'GET', '/persons')).status).toBe(200);
  });

  it('refuses to listen beyond loopback without an admin token, naming how to give one', async () => {
    const refused = start({ host: '0.0.0.0' });
    await expect(refused).rejects.toThrow(SandboxConfigError);
    await expect(refused).rejects.toThrow(/0\.0\.0\.0.*--admin-token <token> or SANDBOX_ADMIN_TOKEN/);
    const sandbox = await started({ host: '0.0.0.0', adminToken: ADMIN });
    const local = { ...sandbox, url: `http://127.0.0.1:${sandbox.port}` };
    expect((await call(local, 'GET', '/_sandbox/usage', { token: null })).status).toBe(401);
    expect((await call(local, 'GET', '/_sandbox/usage', { token: null, headers: sandboxAdminHeaders(ADMIN) })).status).toBe(200);
  });

  it('tells loopback hosts from the others', () => {
    expect(['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost', 'LOCALHOST'].filter(isLoopbackHost)).toHaveLength(6);
    expect(['0.0.0.0', '::', '192.168.1.10', 'sandbox.example.com', '127.0.0.1.example.com'].filter(isLoopbackHost)).toEqual([]);
  });

  it('the fingerprint activity sends SANDBOX_ADMIN_TOKEN, so a guarded sandbox is still fingerprinted as a sandbox', async () => {
    const sandbox = await started({ adminToken: ADMIN });
    const noClient = {} as PipedriveClient; // a sandbox answer never reaches the API-listing fallback
    const saved = process.env.SANDBOX_ADMIN_TOKEN;
    try {
      process.env.SANDBOX_ADMIN_TOKEN = ADMIN;
      expect(await accountFingerprinter.take(noClient, sandbox.url)).toEqual({ fingerprint: sandbox.fingerprint(), method: 'sandbox' });
    } finally {
      if (saved === undefined) delete process.env.SANDBOX_ADMIN_TOKEN;
      else process.env.SANDBOX_ADMIN_TOKEN = saved;
    }
  });

  it('a sandbox without its admin API (as a real account) answers 404 there, and is fingerprinted through the public API', async () => {
    const sandbox = await started({ adminApi: false });
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { token: null })).status).toBe(404);
    const { calls, client } = emptyAccountClient();
    const taken = await accountFingerprinter.take(client, sandbox.url);
    expect(taken.method).toBe('api-listing');
    expect(calls.length).toBeGreaterThan(0);
  });

  it('never asks a real Pipedrive account for the sandbox admin API', async () => {
    expect(['https://acme.pipedrive.com', 'https://pipedrive.com/', 'https://ACME.Pipedrive.com/api'].every(isPipedriveCloud)).toBe(true);
    expect(['http://127.0.0.1:8787', 'https://sandbox.example.com', 'https://pipedrive.com.example.org'].some(isPipedriveCloud)).toBe(false);
    const { client } = emptyAccountClient();
    const get = jest.spyOn(axios, 'get');
    try {
      expect((await accountFingerprinter.take(client, 'https://acme.pipedrive.com')).method).toBe('api-listing');
      expect(get).not.toHaveBeenCalled();
    } finally {
      get.mockRestore();
    }
  });

  it('npm run sandbox -- --host 0.0.0.0 without a token exits 1 with one line saying why', () => {
    const root = path.resolve(__dirname, '../../..');
    const env = { ...process.env };
    delete env.SANDBOX_ADMIN_TOKEN;
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['packages/pipedrive-sandbox/src/main.ts', '--host', '0.0.0.0', '--port', '0'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sandbox: .*0\.0\.0\.0.*--admin-token <token> or SANDBOX_ADMIN_TOKEN/)]);
  });
});
