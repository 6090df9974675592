/** v2 timestamps are RFC3339 in UTC without fractions ("2021-01-01T00:00:00Z"). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** v1 timestamps are "YYYY-MM-DD HH:MM:SS" in UTC. */
export function v1Timestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const V1_TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

export function isValidDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** Parses RFC3339 or "YYYY-MM-DD HH:MM:SS" (UTC); undefined when it is neither. */
export function parseTimestamp(value: string): number | undefined {
  if (V1_TIMESTAMP_RE.test(value)) {
    const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (RFC3339_RE.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** "HH:MM" or "HH:MM:SS" → "HH:MM:SS" (the form the v2 spec's examples return); undefined when invalid. */
export function normalizeTime(value: string): string | undefined {
  const m = TIME_RE.exec(value);
  if (!m) return undefined;
  return `${m[1]}:${m[2]}:${m[3] ?? '00'}`;
}

/** Durations are "HH:MM" or "HH:MM:SS" with hours unbounded. */
export function normalizeDuration(value: string): string | undefined {
  const m = /^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$/.exec(value);
  if (!m) return undefined;
  return `${m[1]!.padStart(2, '0')}:${m[2]}:${m[3] ?? '00'}`;
}
