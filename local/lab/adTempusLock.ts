import type { LockRow, LockTable } from '../../test/support/tdsPeer';

export type AcquireResult =
  | { readonly ok: true; readonly previousOwner: string | null; readonly tookOver: boolean }
  | { readonly ok: false; readonly owner: string; readonly ageMs: number | null; readonly message: string };

export type BeatResult = { readonly ok: true } | { readonly ok: false; readonly owner: string | null; readonly message: string };

/**
 * adTempus's ownership lock on one database, as the lab plays it. This is the one place its rules
 * live; the simulated service (through the lab's database endpoint) and the watchdog (through the
 * TDS peer reading the same LockTable) see the same row:
 * - a start takes the lock when it is free, already this machine's, or its owner's heartbeat is at
 *   least the takeover delay old on the database's clock; with `-takedbcontrol` it takes it anyway;
 * - the owner writes its heartbeat every few seconds; a heartbeat from a machine that no longer
 *   owns the lock is refused (the service has lost control and must stop);
 * - a clean stop releases the lock and keeps the last heartbeat time.
 */
export class AdTempusLock {
  constructor(
    readonly table: LockTable,
    readonly instanceName: string,
    readonly takeoverDelayMs: number,
  ) {}

  get row(): LockRow | undefined {
    return this.table.get(this.instanceName);
  }

  get owner(): string | null {
    const owner = this.row?.owner?.trim();
    return owner === undefined || owner === '' ? null : owner;
  }

  /** The owner's heartbeat age on the database's clock; null without a heartbeat. */
  ageMs(): number | null {
    const heartbeat = this.row?.heartbeatUtc;
    return heartbeat ? this.table.now().getTime() - heartbeat.getTime() : null;
  }

  acquire(host: string, options: { readonly takeControl: boolean }): AcquireResult {
    const owner = this.owner;
    const age = this.ageMs();
    const foreign = owner !== null && !sameHost(owner, host);
    if (foreign && !options.takeControl && (age === null || age < this.takeoverDelayMs)) {
      const ageText = age === null ? 'no heartbeat' : `heartbeat ${Math.round(age / 1000)} s old`;
      return {
        ok: false,
        owner,
        ageMs: age,
        message:
          `the database is owned by ${owner} (${ageText}; a new owner may take over after ${this.takeoverDelayMs / 1000} s); ` +
          'start with -takedbcontrol to take control now',
      };
    }
    this.table.set(this.instanceName, { owner: host, heartbeatUtc: this.table.now() });
    return { ok: true, previousOwner: owner, tookOver: foreign };
  }

  heartbeat(host: string): BeatResult {
    const owner = this.owner;
    if (owner === null || !sameHost(owner, host)) {
      return { ok: false, owner, message: owner === null ? 'the lock was released' : `${owner} has taken control of the database` };
    }
    this.table.set(this.instanceName, { owner, heartbeatUtc: this.table.now() });
    return { ok: true };
  }

  /** A clean stop: only the owner releases, and the last heartbeat stays for the record. */
  release(host: string): boolean {
    const owner = this.owner;
    if (owner === null || !sameHost(owner, host)) return false;
    this.table.set(this.instanceName, { owner: null, heartbeatUtc: this.row?.heartbeatUtc ?? null });
    return true;
  }

  /** A restore brings back the lock row the backup held (the source machine, its last heartbeat). */
  replace(row: LockRow): void {
    this.table.set(this.instanceName, row);
  }
}

/** Windows computer names compare case-insensitively. */
export function sameHost(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
