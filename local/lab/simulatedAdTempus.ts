import type { LockTable } from '../../test/support/tdsPeer';

export type SimulatedState = 'running' | 'hung' | 'stopped';

/**
 * The part of an adTempus service the watchdog sees: while running it writes its heartbeat into
 * the lock table every few seconds; hung, it stops writing but keeps the lock; stopped cleanly,
 * it releases the lock.
 */
export class SimulatedAdTempus {
  #timer: NodeJS.Timeout | undefined;
  #state: SimulatedState = 'stopped';

  constructor(
    private readonly table: LockTable,
    readonly instanceName: string,
    readonly hostName: string,
    private readonly heartbeatMs: number,
  ) {}

  get state(): SimulatedState {
    return this.#state;
  }

  start(): void {
    this.#state = 'running';
    this.#beat();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#beat(), this.heartbeatMs);
    this.#timer.unref();
  }

  hang(): void {
    clearInterval(this.#timer);
    this.#state = 'hung';
  }

  stopCleanly(): void {
    clearInterval(this.#timer);
    this.#state = 'stopped';
    this.table.set(this.instanceName, { owner: null, heartbeatUtc: this.table.get(this.instanceName)?.heartbeatUtc ?? null });
  }

  #beat(): void {
    this.table.set(this.instanceName, { owner: this.hostName, heartbeatUtc: this.table.now() });
  }
}
