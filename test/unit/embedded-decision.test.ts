import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadEnv } from '../../src/config';
import { decideDatabase, hydrateSymlinks, resolveDatabase } from '../../src/store/embedded';

/** A port that answers (a listening server) and one that does not (taken, then released). */
async function listening(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function closedPort(): Promise<number> {
  const s = await listening();
  await s.close();
  return s.port;
}

describe('which PostgreSQL the store uses', () => {
  it('DATABASE_URL unset and nothing answering at the default address: the embedded server', async () => {
    const port = await closedPort();
    const d = await decideDatabase(undefined, { defaultUrl: `postgres://postgres@127.0.0.1:${port}/dentrix_pipedrive` });
    expect(d).toEqual({ kind: 'embedded', why: 'default-silent' });
    expect(await decideDatabase('', { defaultUrl: `postgres://postgres@127.0.0.1:${port}/dentrix_pipedrive` })).toEqual(d);
  });

  it('DATABASE_URL unset and the default address answering: the default URL', async () => {
    const server = await listening();
    try {
      const url = `postgres://postgres@127.0.0.1:${server.port}/dentrix_pipedrive`;
      expect(await decideDatabase(undefined, { defaultUrl: url })).toEqual({ kind: 'url', url, why: 'default-answers' });
    } finally {
      await server.close();
    }
  });

  it('DATABASE_URL=embedded: the embedded server, without probing anything', async () => {
    expect(await decideDatabase('embedded', { defaultUrl: 'postgres://postgres@127.0.0.1:1/x' })).toEqual({ kind: 'embedded', why: 'explicit' });
  });

  it('an explicit URL: as given, even when nothing answers there (the store then says it does not answer)', async () => {
    const url = `postgres://app:secret@127.0.0.1:${await closedPort()}/practice_store`;
    expect(await decideDatabase(url)).toEqual({ kind: 'url', url, why: 'explicit' });
    const db = await resolveDatabase({ DATABASE_URL: url });
    expect(db).toMatchObject({ url, embedded: false, startedHere: false });
    expect(db.description).toContain('postgres://app:***@127.0.0.1');
    expect(db.description).not.toContain('secret');
    await db.stop(); // nothing to stop
  });

  it('the configuration accepts "embedded" or a URL for DATABASE_URL, and names it otherwise', () => {
    expect(loadEnv({ DATABASE_URL: 'embedded' }).DATABASE_URL).toBe('embedded');
    expect(loadEnv({}).DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/dentrix_pipedrive');
    expect(() => loadEnv({ DATABASE_URL: 'embeded' })).toThrow(/DATABASE_URL: expected a postgres:\/\/ URL or "embedded"/u);
  });
});

describe('the embedded server binaries', () => {
  it('restores the library symlinks an install without scripts left out, and keeps the ones there', () => {
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx-pgpkg-'));
    try {
      const lib = path.join(pkg, 'native', 'lib');
      fs.mkdirSync(lib, { recursive: true });
      fs.writeFileSync(path.join(lib, 'libicuuc.so.60.2'), 'x');
      fs.writeFileSync(path.join(lib, 'libpq.so.5.18'), 'y');
      fs.symlinkSync('libpq.so.5.18', path.join(lib, 'libpq.so.5'));
      fs.writeFileSync(
        path.join(pkg, 'native', 'pg-symlinks.json'),
        JSON.stringify([
          { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so.60' },
          { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
        ]),
      );
      hydrateSymlinks(pkg);
      expect(fs.readlinkSync(path.join(lib, 'libicuuc.so.60'))).toBe('libicuuc.so.60.2');
      expect(fs.readFileSync(path.join(lib, 'libicuuc.so.60'), 'utf8')).toBe('x');
      expect(fs.readlinkSync(path.join(lib, 'libpq.so.5'))).toBe('libpq.so.5.18');
    } finally {
      fs.rmSync(pkg, { recursive: true, force: true });
    }
  });
});
