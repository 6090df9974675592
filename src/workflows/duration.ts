/**
 * A duration as people say it: `45 s`, `12 min 5 s`, `3 h 20 min`. The one formatter of the Web UI's Current Details
 * and the CLI's status (pure, deterministic: the workflow renders its details with it).
 */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}
