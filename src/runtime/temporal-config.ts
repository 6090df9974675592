import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { ConfigError } from '../config';

/** Where Temporal is when nothing says otherwise: the local dev server of `npm run temporal`. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** The two settings a composition root or a test may set explicitly; they win over the process env and the profile. */
export interface TemporalSettings {
  TEMPORAL_ADDRESS?: string;
  TEMPORAL_NAMESPACE?: string;
}

/** Options both `Connection.connect` (the CLI's client) and `NativeConnection.connect` (the worker) accept. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export interface TemporalConnectConfig {
  address: string;
  namespace: string;
  connectionOptions: TemporalConnectionOptions;
  /** The profile read from a config file, when one was. */
  profile?: string;
  configFile?: string;
}

/**
 * The connection to Temporal, resolved the way Temporal's own tools do (`@temporalio/envconfig`): a profile of the TOML
 * config file (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE, else "default"), then
 * the environment on top (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_*,
 * TEMPORAL_GRPC_META_*), then `settings`. Without any of it: the local dev server, plain text, namespace "default".
 * An API key turns TLS on (Temporal Cloud) unless TEMPORAL_TLS=false. Certificates and keys are read here, so a bad
 * path or file is one ConfigError naming the setting, before any connection is tried.
 */
export function temporalConnectConfig(settings: TemporalSettings = {}, source: Record<string, string | undefined> = process.env): TemporalConnectConfig {
  const env: Record<string, string> = {};
  for (const layer of [source, settings]) for (const [k, v] of Object.entries(layer)) if (v !== undefined) env[k] = v;

  if (env.TEMPORAL_TLS !== undefined && !['1', '0', 'true', 'false'].includes(env.TEMPORAL_TLS)) {
    throw new ConfigError(`TEMPORAL_TLS: expected true or false, got "${env.TEMPORAL_TLS}"`);
  }
  const configFile = env.TEMPORAL_CONFIG_FILE ?? defaultConfigFile(env);
  if (env.TEMPORAL_CONFIG_FILE !== undefined && !fs.existsSync(env.TEMPORAL_CONFIG_FILE)) {
    throw new ConfigError(`TEMPORAL_CONFIG_FILE: no file at ${env.TEMPORAL_CONFIG_FILE}`);
  }
  let fileRead = configFile !== undefined && fs.existsSync(configFile);
  const profileName = env.TEMPORAL_PROFILE ?? 'default';

  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: env });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    // envconfig 1.24 trips over a file without any [profile.*] table (an empty file): that is a file with no profiles.
    const noProfiles = err instanceof TypeError && /^Cannot read properties of undefined/.test(message);
    if (noProfiles && env.TEMPORAL_PROFILE === undefined) {
      profile = loadClientConfigProfile({ overrideEnvVars: env, disableFile: true });
      fileRead = false;
    } else if (noProfiles || /^Profile '.*' not found/.test(message)) {
      throw new ConfigError(`TEMPORAL_PROFILE: no profile "${profileName}" in ${fileRead ? configFile : 'any Temporal config file (none found)'}`);
    } else {
      const where = env.TEMPORAL_CONFIG_FILE !== undefined ? 'TEMPORAL_CONFIG_FILE' : 'the Temporal config file';
      throw new ConfigError(`${where} (${configFile}): ${message}`);
    }
  }

  const fileSetting = (key: string) => `tls.${key} of profile "${profileName}" in ${configFile}`;
  const read = (data: ConfigDataSource | undefined, envKey: string, tomlKey: string): Uint8Array | undefined => {
    if (data === undefined) return undefined;
    if (!('path' in data)) {
      const bytes = typeof data.data === 'string' ? Buffer.from(data.data) : data.data;
      return checkPem(bytes, env[`${envKey}_DATA`] !== undefined ? `${envKey}_DATA` : fileSetting(`${tomlKey}_data`));
    }
    const setting = env[`${envKey}_PATH`] === data.path ? `${envKey}_PATH` : fileSetting(`${tomlKey}_path`);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(data.path);
    } catch (err) {
      throw new ConfigError(`${setting}: cannot read ${data.path} (${readFailure(err)})`);
    }
    return checkPem(bytes, `${setting} (${data.path})`);
  };

  let tls: TLSConfig | boolean | undefined;
  if (profile.tls?.disabled === true) {
    tls = false;
  } else if (profile.tls !== undefined) {
    const crt = read(profile.tls.clientCert, 'TEMPORAL_TLS_CLIENT_CERT', 'client_cert');
    const key = read(profile.tls.clientKey, 'TEMPORAL_TLS_CLIENT_KEY', 'client_key');
    if ((crt === undefined) !== (key === undefined)) {
      const [has, lacks] = crt ? ['a client certificate', 'TEMPORAL_TLS_CLIENT_KEY_PATH'] : ['a client key', 'TEMPORAL_TLS_CLIENT_CERT_PATH'];
      throw new ConfigError(`${lacks}: mTLS needs a client certificate and its key; ${has} is set but not ${lacks} (or its profile setting)`);
    }
    const ca = read(profile.tls.serverCACert, 'TEMPORAL_TLS_SERVER_CA_CERT', 'server_ca_cert');
    tls = {
      ...(profile.tls.serverName ? { serverNameOverride: profile.tls.serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  } else if (profile.apiKey !== undefined) {
    tls = true;
  }

  const address = profile.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const grpcMeta = profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0 ? profile.grpcMeta : undefined;
  return {
    address,
    namespace: profile.namespace ?? DEFAULT_TEMPORAL_NAMESPACE,
    connectionOptions: {
      address,
      ...(tls !== undefined ? { tls } : {}),
      ...(profile.apiKey !== undefined ? { apiKey: profile.apiKey } : {}),
      ...(grpcMeta ? { metadata: grpcMeta } : {}),
    },
    ...(fileRead ? { profile: profileName, configFile } : {}),
  };
}

/** What a log line may say about the connection: never the key, the certificate or the metadata's values. */
export function describeTemporal(config: TemporalConnectConfig): {
  address: string;
  namespace: string;
  tls: boolean;
  mtls: boolean;
  apiKey: boolean;
  profile?: string;
} {
  const tls = config.connectionOptions.tls;
  return {
    address: config.address,
    namespace: config.namespace,
    tls: Boolean(tls),
    mtls: typeof tls === 'object' && tls.clientCertPair !== undefined,
    apiKey: config.connectionOptions.apiKey !== undefined,
    ...(config.profile ? { profile: config.profile } : {}),
  };
}

function checkPem(bytes: Uint8Array, setting: string): Uint8Array {
  if (!Buffer.from(bytes).toString('latin1').includes('-----BEGIN ')) {
    throw new ConfigError(`${setting}: not a PEM certificate or key (no "-----BEGIN" line)`);
  }
  return bytes;
}

function readFailure(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a folder, not a file';
  return code ?? (err instanceof Error ? err.message : String(err));
}

/** Temporal's default config file, as `@temporalio/envconfig` and the Temporal CLI find it. */
function defaultConfigFile(env: Record<string, string>): string | undefined {
  if (os.platform() === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (os.platform() === 'darwin') return env.HOME ? path.join(env.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return path.isAbsolute(xdg) ? path.join(xdg, 'temporalio', 'temporal.toml') : undefined;
  return env.HOME ? path.join(env.HOME, '.config', 'temporalio', 'temporal.toml') : undefined;
}
