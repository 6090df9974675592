/**
 * Where the machine's CPU went during a phase (Linux only): the CPU seconds of the processes that take part in a
 * migration, sampled from /proc every SAMPLE_MS so a span known only afterwards (a phase's from/to, from its history) can
 * be cut out. On a machine with few cores these processes take turns, so the throughput of one figure says little
 * about which of them to make cheaper; CPU milliseconds per record do.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const SAMPLE_MS = 250;
const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the bench runs on (sysconf(_SC_CLK_TCK))

/** A group of processes, by how to recognise them. */
export interface ProcessGroup {
  name: string;
  /** Whether a process (pid, command name, parent pid) belongs to the group. */
  matches(pid: number, comm: string, ppid: number): boolean;
}

interface Sample {
  at: number;
  seconds: Record<string, number>;
  /** This process's main thread so far: where a worker in this process runs its activities. */
  loop: EventLoopUtilization;
}

/** CPU seconds (user + system) of one process, its command name and its parent, or undefined once it is gone. */
function processCpu(pid: number): { comm: string; ppid: number; seconds: number } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ... utime stime ...": comm may hold spaces and parentheses, so split after the last ')'.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
}

export class CpuSampler {
  private readonly samples: Sample[] = [];
  private readonly timer?: NodeJS.Timeout;
  /** Processes once seen in a group, with the CPU seconds last read: an exited one keeps counting what it used. */
  private readonly last = new Map<number, { group: string; seconds: number }>();
  /** Live processes once read: their parent, and their group if any. */
  private readonly seen = new Map<number, { ppid: number; group?: string }>();

  constructor(private readonly groups: readonly ProcessGroup[]) {
    if (os.platform() !== 'linux') return;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * CPU seconds per group between two wall-clock times (ms), from the samples nearest inside the span; undefined when
   * the span holds fewer than two samples (or not on Linux).
   */
  between(from: number, to: number): Record<string, number> | undefined {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    if (inside.length < 2) return undefined;
    const [first, last] = [inside[0]!, inside.at(-1)!];
    // Scaled to the whole span: the samples cover it but for up to SAMPLE_MS at each end.
    const scale = (to - from) / (last.at - first.at);
    return Object.fromEntries(this.groups.map(({ name }) => [name, ((last.seconds[name] ?? 0) - (first.seconds[name] ?? 0)) * scale]));
  }

  /**
   * The share of a span this process's event loop was busy (0–1), from the samples nearest inside it. One thread runs
   * a worker's activities, so near 1 it is what limits them, however many cores the machine has.
   */
  loopBusy(from: number, to: number): number | undefined {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    if (inside.length < 2) return undefined;
    return performance.eventLoopUtilization(inside.at(-1)!.loop, inside[0]!.loop).utilization;
  }

  /**
   * Cores the groups kept busy in each whole second of a span (CPU seconds of every group together per second), from
   * the samples nearest each second's ends: a second well under the machine's cores had idle time to spare.
   */
  coresBusyPerSecond(from: number, to: number): number[] {
    const total = (s: Sample) => Object.values(s.seconds).reduce((a, b) => a + b, 0);
    const nearest = (at: number) => this.samples.reduce((best, s) => (Math.abs(s.at - at) < Math.abs(best.at - at) ? s : best));
    const busy: number[] = [];
    if (this.samples.length < 2) return busy;
    for (let start = from; start < to; start += 1000) {
      const [a, b] = [nearest(start), nearest(Math.min(start + 1000, to))];
      busy.push(b.at > a.at ? (total(b) - total(a)) / ((b.at - a.at) / 1000) : 0);
    }
    return busy;
  }

  private sample(): void {
    const present = new Set<number>();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/u.test(entry)) continue;
      const pid = Number(entry);
      present.add(pid);
      const known = this.seen.get(pid);
      // A process outside every group stays outside: read once, not every sample (the bench shares the worker's thread).
      if (known && known.group === undefined) continue;
      const cpu = processCpu(pid);
      if (!cpu) continue;
      const group =
        known?.group ?? this.groups.find((g) => g.matches(pid, cpu.comm, cpu.ppid))?.name ?? this.groups.find((g) => this.descends(g, cpu.ppid))?.name;
      this.seen.set(pid, { ppid: cpu.ppid, ...(group && { group }) });
      if (group) this.last.set(pid, { group, seconds: cpu.seconds });
    }
    // A pid that is gone may come back as another process.
    for (const pid of this.seen.keys()) if (!present.has(pid)) this.seen.delete(pid);
    const seconds: Record<string, number> = {};
    for (const { group, seconds: s } of this.last.values()) seconds[group] = (seconds[group] ?? 0) + s;
    this.samples.push({ at: Date.now(), seconds, loop: performance.eventLoopUtilization() });
  }

  /** A group named by a root process also holds that process's descendants (a dev server's children, say). */
  private descends(group: ProcessGroup, parent: number): boolean {
    for (let p: number | undefined = parent; p !== undefined && p > 1; p = this.seen.get(p)?.ppid) {
      const known = this.seen.get(p)?.group;
      if (known) return known === group.name;
    }
    return false;
  }
}
