/** One row of adTempus's ownership lock as the heartbeat query returns it. */
export interface LockRow {
  readonly owner: string | null;
  readonly heartbeatUtc: Date | null;
}

interface Writer {
  readonly host: string;
  readonly sinceMs: number;
  readonly intervalMs: number;
}

/**
 * adTempus's lock table in one database. The running service heartbeats into it every few
 * seconds; instead of an event per beat, the newest beat is computed when the row is read (the
 * database clock is the virtual clock), which keeps a thousand simulated runs fast.
 */
export class LockTable {
  private owner: string | null = null;
  private beatMs: number | null = null;
  private writer: Writer | undefined;

  constructor(
    readonly name: string,
    private readonly nowMs: () => number,
    /** False while the database's server is down (a copied database lives on its adTempus host). */
    readonly reachable: () => boolean = () => true,
  ) {}

  read(): LockRow {
    const beat = this.lastBeatMs();
    return { owner: this.owner, heartbeatUtc: beat === null ? null : new Date(beat) };
  }

  /** The owner's heartbeat age on the database clock, in seconds; undefined without a heartbeat. */
  ageSeconds(): number | undefined {
    const beat = this.lastBeatMs();
    return beat === null ? undefined : (this.nowMs() - beat) / 1000;
  }

  /** A service takes the lock and starts heartbeating. */
  take(host: string, intervalMs: number): void {
    const now = this.nowMs();
    this.owner = host;
    this.beatMs = now;
    this.writer = { host, sinceMs: now, intervalMs };
  }

  /** The writer stops heartbeating (crash, hang, kill, lost host): the row keeps its last beat. */
  freeze(host: string): void {
    if (this.writer?.host !== host) return;
    this.beatMs = this.lastBeatMs();
    this.writer = undefined;
  }

  /** A clean shutdown releases the lock. */
  release(host: string): void {
    if (this.owner !== host) return;
    this.freeze(host);
    this.owner = null;
  }

  /** A restore replaces the whole database, the lock row with it. */
  replaceWith(row: LockRow): void {
    this.writer = undefined;
    this.owner = row.owner;
    this.beatMs = row.heartbeatUtc?.getTime() ?? null;
  }

  isWriting(host: string): boolean {
    return this.writer?.host === host;
  }

  private lastBeatMs(): number | null {
    const w = this.writer;
    if (w === undefined) return this.beatMs;
    return w.sinceMs + Math.floor((this.nowMs() - w.sinceMs) / w.intervalMs) * w.intervalMs;
  }
}
