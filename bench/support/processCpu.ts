import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system, ms) of this process and of its direct children by role, read from
 * /proc, so a pass on a small shared machine can be told apart from a busy emulator next to it.
 * Linux only: elsewhere the children are simply left out.
 */
export interface CpuSample {
  readonly self: number;
  readonly children: Readonly<Record<string, number>>;
}

// /proc reports in USER_HZ clock ticks, 100 per second on every mainstream Linux.
const MS_PER_TICK = 10;

export function sampleCpu(roleOf: (commandLine: string) => string): CpuSample {
  const usage = process.cpuUsage();
  const children: Record<string, number> = {};
  for (const pid of childPids()) {
    const ms = cpuMsOf(pid);
    if (ms === undefined) continue;
    const role = roleOf(commandLineOf(pid));
    children[role] = (children[role] ?? 0) + ms;
  }
  return { self: (usage.user + usage.system) / 1000, children };
}

/** CPU ms each spent between two samples. */
export function cpuBetween(before: CpuSample, after: CpuSample): Record<string, number> {
  const spent: Record<string, number> = { watchdog: after.self - before.self };
  for (const [role, ms] of Object.entries(after.children)) spent[role] = ms - (before.children[role] ?? 0);
  return spent;
}

function childPids(): number[] {
  try {
    return readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cpuMsOf(pid: number): number | undefined {
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}
