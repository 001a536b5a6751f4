import type { ServiceState, StartupType } from '../../../shared/contracts/agentCommands';
import { ServiceControlError, type ServiceControl, type ServiceParameter, type ServiceStatus, type SettableStartupType } from '../../../agent/service/serviceControl.port';
import type { LockTable } from './lockTable';
import type { WorldScheduler } from './worldScheduler';

export interface ServiceTiming {
  /** From a start request to running (or to giving up on a fresh foreign lock). */
  readonly startMs: number;
  readonly stopMs: number;
  /** How often the running service writes its lock heartbeat. */
  readonly heartbeatMs: number;
  /** adTempus's takeover delay: a foreign lock younger than this blocks a start without -takedbcontrol. */
  readonly takeoverDelayMs: number;
}

export interface ServiceHooks {
  /** A start was accepted (the service goes start-pending); the safety checks look at the world now. */
  readonly starting: (service: SimulatedAdTempus, parameters: readonly ServiceParameter[]) => void;
  /** Any change of state, startup type or liveness. */
  readonly changed: (service: SimulatedAdTempus) => void;
}

/**
 * The adTempus Windows service on one host, as the SCM and the database see it. It honours the
 * lock: a start without -takedbcontrol gives up while another owner's heartbeat is younger than
 * the takeover delay; a running service heartbeats; a clean stop releases the lock; a crash, a
 * hang, a kill or a lost host leave the lock with its last heartbeat.
 */
export class SimulatedAdTempus {
  private current: ServiceState = 'stopped';
  private startup: StartupType = 'manual';
  private transition = 0;
  private pid = 0;
  /** Hung: reports running, writes no heartbeat, ignores stop requests; a kill ends it. */
  hung = false;
  hostAlive = true;
  /** Starts that end during start-up (a broken install, a bad database). */
  failingStarts = 0;
  /** Every start this service accepted, with its parameters and time. */
  readonly starts: { readonly at: number; readonly parameters: readonly ServiceParameter[] }[] = [];
  lastParameters: readonly ServiceParameter[] = [];

  constructor(
    readonly host: string,
    /** The database this host's adTempus uses (shared: the one; copied: its own). */
    readonly database: LockTable,
    private readonly scheduler: WorldScheduler,
    private readonly timing: ServiceTiming,
    private readonly hooks: ServiceHooks,
  ) {}

  get state(): ServiceState {
    return this.current;
  }

  get startupType(): StartupType {
    return this.startup;
  }

  /** Counts as running jobs: on a live host, running or starting, not hung. */
  get active(): boolean {
    return this.hostAlive && !this.hung && (this.current === 'running' || this.current === 'start-pending');
  }

  /** Sets up a world: the service running (with the lock) or stopped, without any checks. */
  setUp(state: 'running' | 'stopped', startupType: StartupType): void {
    this.startup = startupType;
    this.current = state;
    if (state === 'running') this.database.take(this.host, this.timing.heartbeatMs);
  }

  status(): ServiceStatus {
    return { state: this.current, startupType: this.startup, ...(this.current !== 'stopped' ? { pid: this.pid } : {}) };
  }

  setStartupType(type: SettableStartupType): void {
    this.startup = type;
    this.hooks.changed(this);
  }

  start(parameters: readonly ServiceParameter[]): void {
    if (this.startup === 'disabled') throw new ServiceControlError('DISABLED', 'The service cannot be started because it is disabled');
    if (this.current !== 'stopped') throw new ServiceControlError('ALREADY_RUNNING', 'An instance of the service is already running');
    const token = ++this.transition;
    this.pid++;
    this.lastParameters = [...parameters];
    this.starts.push({ at: this.scheduler.nowMs(), parameters: [...parameters] });
    this.set('start-pending');
    this.hooks.starting(this, parameters);
    this.scheduler.after(this.timing.startMs, () => this.finishStart(token, parameters));
  }

  stop(): void {
    if (this.current === 'stopped') throw new ServiceControlError('NOT_STARTED', 'The service has not been started');
    if (this.current !== 'running') throw new ServiceControlError('COMMAND_FAILED', 'The service cannot accept control messages at this time');
    const token = ++this.transition;
    this.set('stop-pending');
    if (this.hung) return;
    this.scheduler.after(this.timing.stopMs, () => {
      if (token !== this.transition || !this.hostAlive) return;
      this.database.release(this.host);
      this.set('stopped');
    });
  }

  kill(): void {
    if (this.current === 'stopped') return;
    this.end();
  }

  /** Fault: the process ends on its own; the lock keeps its last heartbeat. */
  crash(): void {
    if (!this.hostAlive || this.current === 'stopped') return;
    this.end();
  }

  /** Fault: the service stops heartbeating and answering stop requests. */
  hang(): void {
    if (!this.hostAlive || this.current !== 'running') return;
    this.hung = true;
    this.database.freeze(this.host);
    this.hooks.changed(this);
  }

  /** Fault: the host is gone, and adTempus with it. */
  loseHost(): void {
    if (!this.hostAlive) return;
    this.hostAlive = false;
    this.transition++;
    this.database.freeze(this.host);
    this.hooks.changed(this);
  }

  /** The SCM as one agent process sees it: a crashed agent's pending call never returns. */
  control(alive: () => boolean): ServiceControl {
    const gate = async <T>(action: () => T): Promise<T> => {
      if (!alive() || !this.hostAlive) return this.scheduler.park();
      return action();
    };
    return {
      query: () => gate(() => this.status()),
      setStartupType: (type) => gate(() => this.setStartupType(type)),
      start: (parameters) => gate(() => this.start(parameters)),
      stop: () => gate(() => this.stop()),
      kill: () => gate(() => this.kill()),
    };
  }

  private finishStart(token: number, parameters: readonly ServiceParameter[]): void {
    if (token !== this.transition || this.current !== 'start-pending' || !this.hostAlive) return;
    if (this.failingStarts > 0) {
      this.failingStarts--;
      this.set('stopped');
      return;
    }
    const row = this.database.read();
    const age = this.database.ageSeconds();
    const foreign = row.owner !== null && row.owner.toLowerCase() !== this.host.toLowerCase();
    const freshForeignLock = foreign && age !== undefined && age * 1000 <= this.timing.takeoverDelayMs;
    if (!this.database.reachable() || (freshForeignLock && !parameters.includes('-takedbcontrol'))) {
      this.set('stopped');
      return;
    }
    this.database.take(this.host, this.timing.heartbeatMs);
    this.set('running');
  }

  private end(): void {
    this.transition++;
    this.hung = false;
    this.database.freeze(this.host);
    this.set('stopped');
  }

  private set(state: ServiceState): void {
    this.current = state;
    this.hooks.changed(this);
  }
}
