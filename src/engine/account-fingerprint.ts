import { createHash } from 'node:crypto';
import axios from 'axios';
import { CUSTOM_FIELD_ENTITIES, fingerprintCollections } from '../object-types/registry';
import { type PipedriveClient } from '../pipedrive/client';
import { sandboxAdminHeaders } from '../pipedrive/sandbox-admin';
import type { Fingerprinter, FingerprintResult } from './ports';

/**
 * The product's fingerprinter (the worker injects it; the tests exercise this one): a fingerprint of the whole account,
 * taken before the first write and after a rollback. The sandbox computes one over its complete state; a real account
 * gets one from what the API lists: every live record's id per collection, every field definition with its options,
 * pipelines, stages, activity types and users.
 */
export const accountFingerprinter: Fingerprinter = {
  async take(client: PipedriveClient, baseUrl: string): Promise<FingerprintResult> {
    const sandbox = isPipedriveCloud(baseUrl) ? undefined : await sandboxFingerprint(baseUrl);
    if (sandbox) return { fingerprint: sandbox, method: 'sandbox' };
    return { fingerprint: await apiListingFingerprint(client), method: 'api-listing' };
  },
};

/**
 * A real Pipedrive account (`https://<company>.pipedrive.com`): never asked for the sandbox's `/_sandbox/*` admin API,
 * which it does not have (and which must not receive a sandbox admin token).
 */
export function isPipedriveCloud(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname.toLowerCase();
  return host === 'pipedrive.com' || host.endsWith('.pipedrive.com');
}

async function sandboxFingerprint(baseUrl: string): Promise<string | undefined> {
  try {
    const res = await axios.get<{ fingerprint?: string }>(new URL('/_sandbox/fingerprint', baseUrl).toString(), {
      timeout: 10_000,
      // A sandbox reachable beyond loopback requires its admin token (SANDBOX_ADMIN_TOKEN on the worker).
      headers: sandboxAdminHeaders(),
      validateStatus: () => true,
    });
    return res.status === 200 && typeof res.data?.fingerprint === 'string' ? res.data.fingerprint : undefined;
  } catch {
    return undefined;
  }
}

export async function apiListingFingerprint(client: PipedriveClient): Promise<string> {
  const hash = createHash('sha256');
  // The registry's fingerprint order: every fingerprint recorded so far was taken in it.
  for (const collection of fingerprintCollections()) {
    const ids: number[] = [];
    for await (const page of client.listPages<{ id: number }>(collection, { limit: 500 })) ids.push(...page.map((r) => r.id));
    hash.update(`${collection}:${ids.sort((a, b) => a - b).join(',')}\n`);
  }
  for (const entity of CUSTOM_FIELD_ENTITIES) {
    const fields = await client.listFields(entity);
    const described = fields
      .map((f) => `${f.field_code}|${f.field_name}|${f.field_type}|${(f.options ?? []).map((o) => `${o.id}=${o.label}`).join(';')}`)
      .sort();
    hash.update(`${entity}Fields:${described.join('\n')}\n`);
  }
  const types = (await client.listActivityTypes()).filter((t) => t.active_flag !== false).map((t) => `${t.id}|${t.key_string}`);
  hash.update(`activityTypes:${types.sort().join(',')}\n`);
  const users = (await client.listUsers()).map((u) => String(u.id));
  hash.update(`users:${users.sort().join(',')}\n`);
  return hash.digest('hex');
}
