import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config';
import { connectClient } from '../../src/runtime/temporal';
import { describeTemporal, temporalConnectConfig } from '../../src/runtime/temporal-config';

/** Stand-ins for PEM files: the settings are read and passed on here; the TLS library parses them at connect. */
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';

let dir: string;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};
const configError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the Temporal connection settings', () => {
  it('default to the local dev server: 127.0.0.1:7233, namespace default, plain text', () => {
    const c = temporalConnectConfig({}, {});
    expect(c).toEqual({ address: '127.0.0.1:7233', namespace: 'default', connectionOptions: { address: '127.0.0.1:7233' } });
  });

  it('take TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE from the environment; explicit settings win over it', () => {
    const source = { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'practices' };
    expect(temporalConnectConfig({}, source)).toMatchObject({ address: 'temporal.internal:7233', namespace: 'practices' });
    expect(temporalConnectConfig({ TEMPORAL_NAMESPACE: 'other', TEMPORAL_ADDRESS: undefined }, source)).toMatchObject({
      address: 'temporal.internal:7233',
      namespace: 'other',
    });
  });

  it('read the client certificate, its key and the server CA for mTLS, and apply them to the connection', () => {
    const c = temporalConnectConfig(
      {},
      {
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', CERT),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key', KEY),
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem', CA),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      },
    );
    const tls = c.connectionOptions.tls as {
      clientCertPair: { crt: Uint8Array; key: Uint8Array };
      serverRootCACertificate: Uint8Array;
      serverNameOverride: string;
    };
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toBe(CERT);
    expect(Buffer.from(tls.clientCertPair.key).toString()).toBe(KEY);
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toBe(CA);
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(describeTemporal(c)).toEqual({ address: 'temporal.internal:7233', namespace: 'default', tls: true, mtls: true, apiKey: false });
  });

  it('turn TLS on with an API key (Temporal Cloud), off only when TEMPORAL_TLS=false says so', () => {
    const cloud = { TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233', TEMPORAL_NAMESPACE: 'lakeside.a1b2c', TEMPORAL_API_KEY: 'secret-key' };
    const c = temporalConnectConfig({}, cloud);
    expect(c.connectionOptions).toEqual({ address: 'us-east-1.aws.api.temporal.io:7233', tls: true, apiKey: 'secret-key' });
    expect(c.namespace).toBe('lakeside.a1b2c');
    expect(temporalConnectConfig({}, { ...cloud, TEMPORAL_TLS: 'false' }).connectionOptions.tls).toBe(false);
    expect(temporalConnectConfig({}, { TEMPORAL_TLS: 'true' }).connectionOptions.tls).toEqual({});
    // A log line says that a key is used, never the key.
    expect(JSON.stringify(describeTemporal(c))).not.toContain('secret-key');
    expect(describeTemporal(c)).toMatchObject({ tls: true, mtls: false, apiKey: true });
  });

  it('pass gRPC metadata from TEMPORAL_GRPC_META_*', () => {
    expect(temporalConnectConfig({}, { TEMPORAL_GRPC_META_TENANT: 'lakeside' }).connectionOptions.metadata).toEqual({ tenant: 'lakeside' });
  });

  it('read a profile of the config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE); the environment overrides it', () => {
    const toml = file(
      'temporal.toml',
      [
        '[profile.default]',
        'address = "127.0.0.1:7233"',
        '',
        '[profile.prod]',
        'address = "temporal.internal:7233"',
        'namespace = "practices"',
        '[profile.prod.tls]',
        `client_cert_path = "${file('prod.pem', CERT)}"`,
        `client_key_path = "${file('prod.key', KEY)}"`,
        '[profile.prod.grpc_meta]',
        'x-tenant = "lakeside"',
        '',
        '[profile.cloud]',
        'address = "us-east-1.aws.api.temporal.io:7233"',
        'namespace = "lakeside.a1b2c"',
        'api_key = "cloud-key"',
      ].join('\n'),
    );
    const prod = temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' });
    expect(prod).toMatchObject({ address: 'temporal.internal:7233', namespace: 'practices', profile: 'prod', configFile: toml });
    expect(prod.connectionOptions.metadata).toEqual({ 'x-tenant': 'lakeside' });
    expect(Buffer.from((prod.connectionOptions.tls as { clientCertPair: { crt: Uint8Array } }).clientCertPair.crt).toString()).toBe(CERT);

    const cloud = temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'staging.a1b2c' });
    expect(cloud).toMatchObject({ address: 'us-east-1.aws.api.temporal.io:7233', namespace: 'staging.a1b2c' });
    expect(cloud.connectionOptions).toMatchObject({ tls: true, apiKey: 'cloud-key' });

    // Without TEMPORAL_PROFILE: the "default" profile.
    expect(temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: toml }).profile).toBe('default');
    // A file without profiles (empty) is no profile at all, unless one is asked for.
    const empty = file('empty.toml', '');
    expect(temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: empty, TEMPORAL_NAMESPACE: 'ns' })).toMatchObject({ address: '127.0.0.1:7233', namespace: 'ns' });
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: empty, TEMPORAL_PROFILE: 'prod' }))).toBe(
      `TEMPORAL_PROFILE: no profile "prod" in ${empty}`,
    );
  });

  it("find Temporal's default config file under XDG_CONFIG_HOME, as the Temporal CLI does", () => {
    file('config/temporalio/temporal.toml', '[profile.default]\naddress = "temporal.internal:7233"\nnamespace = "from-file"\n');
    const c = temporalConnectConfig({}, { XDG_CONFIG_HOME: path.join(dir, 'config') });
    expect(c).toMatchObject({ address: 'temporal.internal:7233', namespace: 'from-file', profile: 'default' });
  });

  it('name the setting when a certificate or key path is bad', () => {
    const missing = path.join(dir, 'nope.pem');
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: file('k.key', KEY) }))).toBe(
      `TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${missing} (no such file)`,
    );
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_TLS_SERVER_CA_CERT_PATH: dir }))).toBe(
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${dir} (a folder, not a file)`,
    );
    const notPem = file('key.der', 'binary junk');
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_TLS_CLIENT_CERT_PATH: file('c.pem', CERT), TEMPORAL_TLS_CLIENT_KEY_PATH: notPem }))).toBe(
      `TEMPORAL_TLS_CLIENT_KEY_PATH (${notPem}): not a PEM certificate or key (no "-----BEGIN" line)`,
    );
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_TLS_CLIENT_CERT_PATH: file('c.pem', CERT) }))).toMatch(
      /^TEMPORAL_TLS_CLIENT_KEY_PATH: mTLS needs a client certificate and its key/,
    );
    // From a profile: the file and the key in it.
    const toml = file('temporal.toml', `[profile.prod.tls]\nclient_cert_path = "${missing}"\nclient_key_path = "${file('p.key', KEY)}"\n`);
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' }))).toBe(
      `tls.client_cert_path of profile "prod" in ${toml}: cannot read ${missing} (no such file)`,
    );
  });

  it('name the setting for a missing config file, an unknown profile, a broken file or a TEMPORAL_TLS that is not a boolean', () => {
    const missing = path.join(dir, 'none.toml');
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: missing }))).toBe(`TEMPORAL_CONFIG_FILE: no file at ${missing}`);
    const toml = file('temporal.toml', '[profile.default]\naddress = "127.0.0.1:7233"\n');
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' }))).toBe(
      `TEMPORAL_PROFILE: no profile "prod" in ${toml}`,
    );
    const broken = file('broken.toml', '[profile.default\naddress = ');
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_CONFIG_FILE: broken }))).toMatch(new RegExp(`^TEMPORAL_CONFIG_FILE \\(${broken}\\): `));
    expect(configError(() => temporalConnectConfig({}, { TEMPORAL_TLS: 'yes' }))).toBe('TEMPORAL_TLS: expected true or false, got "yes"');
  });

  it("are what the CLI's client connects with: a bad setting fails before any connection is tried", async () => {
    const saved = process.env.TEMPORAL_TLS_CLIENT_CERT_PATH;
    process.env.TEMPORAL_TLS_CLIENT_CERT_PATH = path.join(dir, 'nope.pem');
    try {
      const err = await connectClient({ TEMPORAL_ADDRESS: '127.0.0.1:1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read /);
    } finally {
      if (saved === undefined) delete process.env.TEMPORAL_TLS_CLIENT_CERT_PATH;
      else process.env.TEMPORAL_TLS_CLIENT_CERT_PATH = saved;
    }
  });
});
