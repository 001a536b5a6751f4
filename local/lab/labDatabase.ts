import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockTable } from '../../test/support/tdsPeer';
import { AdTempusLock, sameHost, type AcquireResult, type BeatResult } from './adTempusLock';
import { decodeLabBackup, encodeLabBackup, type LabBackupContent } from './labBackupFile';

/** Backups a host keeps in its folder; older ones are deleted, as a backup job's retention does. */
const BACKUPS_KEPT = 5;

export interface LabSession {
  readonly host: string;
  /** Started with -norun: adTempus runs but executes no jobs. */
  readonly noRun: boolean;
  readonly since: string;
}

export type BackupResult = { readonly ok: true; readonly file: string } | { readonly ok: false; readonly message: string };
export type RestoreResult = { readonly ok: true; readonly content: LabBackupContent } | { readonly ok: false; readonly message: string };

/**
 * One simulated adTempus database on a lab SQL Server: its lock (see AdTempusLock), who runs
 * adTempus on it, its backups and restores, and whether the watchdog can reach it.
 */
export class LabDatabase {
  readonly table = new LockTable();
  readonly lock: AdTempusLock;
  session: LabSession | undefined;
  backupsPaused = false;
  backupsTaken = 0;
  lastBackup: { readonly file: string; readonly takenAt: string } | undefined;
  /** Why the last start was refused, for people watching the lab. */
  lastRefusal: { readonly host: string; readonly message: string; readonly at: string } | undefined;
  #cut = false;
  #waiting: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly instanceName: string,
    takeoverDelayMs: number,
  ) {
    this.lock = new AdTempusLock(this.table, instanceName, takeoverDelayMs);
  }

  /** Whether the watchdog's connections to this database hang (a network path cut). */
  get cut(): boolean {
    return this.#cut;
  }

  setCut(on: boolean): void {
    this.#cut = on;
    if (!on) for (const resume of this.#waiting.splice(0)) resume();
  }

  /** Resolves once the watchdog can reach this database again. */
  reachable(): Promise<void> {
    return this.#cut ? new Promise((resolve) => this.#waiting.push(resolve)) : Promise.resolve();
  }

  acquire(host: string, options: { readonly takeControl: boolean; readonly noRun: boolean }): AcquireResult {
    const result = this.lock.acquire(host, options);
    const at = this.table.now().toISOString();
    if (result.ok) this.session = { host, noRun: options.noRun, since: at };
    else this.lastRefusal = { host, message: result.message, at };
    return result;
  }

  heartbeat(host: string): BeatResult {
    return this.lock.heartbeat(host);
  }

  release(host: string): boolean {
    if (this.session && sameHost(this.session.host, host)) this.session = undefined;
    return this.lock.release(host);
  }

  /** BACKUP DATABASE ... TO DISK in `folder`, asked for by the service that owns the lock. */
  async backup(host: string, folder: string): Promise<BackupResult> {
    if (this.backupsPaused) return { ok: false, message: 'backups of this database are paused in the lab' };
    if (this.lock.owner === null || !sameHost(this.lock.owner, host)) return { ok: false, message: `${host} does not own the database` };
    const takenAt = this.table.now();
    const row = this.lock.row;
    const content: LabBackupContent = {
      database: this.name,
      instanceName: this.instanceName,
      owner: row?.owner ?? null,
      heartbeatUtc: row?.heartbeatUtc?.toISOString() ?? null,
      takenAt: takenAt.toISOString(),
      host,
    };
    const file = join(folder, `${this.name}_${takenAt.toISOString().replace(/[-:.]/g, '')}.bak`);
    // Written aside and renamed: the shipper must never see half a backup under a .bak name.
    await writeFile(`${file}.partial`, encodeLabBackup(content));
    await rename(`${file}.partial`, file);
    this.backupsTaken += 1;
    this.lastBackup = { file, takenAt: content.takenAt };
    await this.#prune(folder);
    return { ok: true, file };
  }

  /** RESTORE DATABASE ... WITH REPLACE from a lab backup of the same adTempus instance. */
  async restore(file: string): Promise<RestoreResult> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      return { ok: false, message: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    const content = decodeLabBackup(bytes);
    if (typeof content === 'string') return { ok: false, message: content };
    if (content.instanceName.toLowerCase() !== this.instanceName.toLowerCase()) {
      return { ok: false, message: `the backup holds adTempus instance ${content.instanceName}, not ${this.instanceName}` };
    }
    this.lock.replace({ owner: content.owner, heartbeatUtc: content.heartbeatUtc === null ? null : new Date(content.heartbeatUtc) });
    this.session = undefined;
    return { ok: true, content };
  }

  async #prune(folder: string): Promise<void> {
    const mine = (await readdir(folder)).filter((n) => n.startsWith(`${this.name}_`) && n.endsWith('.bak')).sort();
    await Promise.all(mine.slice(0, Math.max(0, mine.length - BACKUPS_KEPT)).map((n) => rm(join(folder, n), { force: true })));
  }
}
