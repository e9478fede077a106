import fs from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;
const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

/** User + system CPU time a process has used so far (Linux `/proc/<pid>/stat`), in milliseconds. */
export function processCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ms(Number(fields[11]) + Number(fields[12])); // utime, stime
}

/**
 * CPU time of the whole machine so far, every core (Linux `/proc/stat`), in milliseconds: `busy` is what
 * ran (user, nice, system, irq, softirq; not idle, not I/O wait, not time stolen by the hypervisor),
 * `total` everything. Differences of two readings give a phase's cost and the machine's busy share.
 */
export function machineCpuMs(): { busy: number; total: number } {
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.slice(0, 8).map(Number);
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy: ms(busy), total: ms(busy + idle! + iowait! + steal!) };
}
