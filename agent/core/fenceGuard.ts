import type { AgentHeartbeat } from '../../shared/contracts/agentCommands';
import { isFenced, type FenceRecord } from '../../shared/contracts/fenceRecord';
import type { Logger } from '../../shared/ports/logger.port';
import type { ServiceControl, WaitTiming } from '../service/serviceControl.port';
import { describe, stopAndDisable, type StopAndDisableOutcome } from '../service/stopAndDisable';
import type { AgentState } from './agentState';
import type { FenceReader } from './fenceReader.port';
import type { Mutex } from './mutex';
import type { ServiceActivity } from './serviceActivity';

export type FenceCheck =
  | { readonly ok: true; readonly fenced: boolean; readonly record?: FenceRecord }
  /** The record could not be read: `fenced` is the last verdict this agent knew. */
  | { readonly ok: false; readonly fenced: boolean; readonly problem: string };

/** The heartbeat fields only the agent's core knows; the sender adds identity, time and sequence. */
export type HeartbeatFields = Pick<AgentHeartbeat, 'service' | 'epochSeen' | 'fenced'>;

export interface FenceGuardDeps {
  readonly pairId: string;
  readonly host: string;
  /** Active while no fence record exists. */
  readonly primaryHost: string;
  readonly reader: FenceReader;
  readonly state: AgentState;
  readonly control: ServiceControl;
  readonly activity: ServiceActivity;
  /** Shared with the command dispatcher: enforcement never interleaves with a start or restore. */
  readonly serviceLock: Mutex;
  readonly log: Logger;
  readonly now: () => Date;
  readonly timing: WaitTiming;
  readonly stopTimeoutMs: number;
  readonly killOnFence: boolean;
  readonly killWaitMs: number;
}

/**
 * Keeps a fenced host's adTempus down. The pair's fence record names the one host that may run
 * adTempus; this guard reads it at start-up, on every command and periodically. A host that is
 * not the active one stops adTempus and sets it Disabled, persists the record's epoch (so older
 * commands are refused from then on), logs it, and reports `fenced: true` in its heartbeat.
 *
 * A record that cannot be read changes nothing on its own: a storage outage must not stop a
 * healthy Primary. The dispatcher refuses starts and restores while the record is unreadable.
 */
export class FenceGuard {
  private lastFenced: boolean;

  constructor(private readonly deps: FenceGuardDeps) {
    this.lastFenced = deps.state.fence?.fenced ?? false;
  }

  get fenced(): boolean {
    return this.lastFenced;
  }

  /** Reads the record, persists a higher epoch and the verdict. Does not touch the service. */
  async check(): Promise<FenceCheck> {
    const { deps } = this;
    let record: FenceRecord | undefined;
    try {
      record = await deps.reader.read(deps.pairId);
    } catch (error) {
      const problem = `the fence record could not be read (${codeOf(error)})`;
      deps.log.warn('Fence record unreadable', { pairId: deps.pairId, reason: codeOf(error), lastKnownFenced: this.lastFenced });
      return { ok: false, fenced: this.lastFenced, problem };
    }
    const fenced = isFenced(record, deps.host, deps.primaryHost);
    if (record !== undefined) await deps.state.raiseEpoch(record.epoch);
    await deps.state.rememberFence({
      fenced,
      epoch: record?.epoch ?? 0,
      ...(record !== undefined ? { activeHost: record.activeHost } : {}),
      checkedAt: deps.now().toISOString(),
    });
    if (fenced !== this.lastFenced) {
      if (fenced) {
        deps.log.error('This host is fenced: another host is the active side; adTempus is kept stopped and Disabled here', {
          pairId: deps.pairId,
          host: deps.host,
          activeHost: record?.activeHost,
          epoch: record?.epoch,
        });
      } else {
        deps.log.info('This host is no longer fenced', { pairId: deps.pairId, host: deps.host, activeHost: record?.activeHost, epoch: record?.epoch });
      }
    }
    this.lastFenced = fenced;
    return { ok: true, fenced, ...(record !== undefined ? { record } : {}) };
  }

  /** check(), then, when fenced, make sure adTempus is stopped and Disabled. */
  async checkAndEnforce(): Promise<FenceCheck> {
    const result = await this.check();
    if (result.ok && result.fenced) await this.enforce();
    return result;
  }

  /** Start-up: the first thing the agent does, before it takes any command. */
  async startUp(): Promise<FenceCheck> {
    const result = await this.checkAndEnforce();
    if (!result.ok) this.deps.log.warn('Fence record unreadable at start-up; commands that could start adTempus are refused until it can be read', { pairId: this.deps.pairId });
    return result;
  }

  /** Stops and disables adTempus on a fenced host; quick when it already is. */
  enforce(): Promise<StopAndDisableOutcome> {
    const { deps } = this;
    return deps.serviceLock.runExclusive(async () => {
      await deps.activity.stopOrdering();
      const outcome = await stopAndDisable(deps.control, {
        timeoutMs: deps.stopTimeoutMs,
        killAfterTimeout: deps.killOnFence,
        killWaitMs: deps.killWaitMs,
        timing: deps.timing,
      });
      if (!outcome.ok) {
        deps.log.error('Fenced host: adTempus could not be confirmed stopped', { pairId: deps.pairId, code: outcome.code, reason: outcome.message, state: outcome.status?.state });
      } else {
        await deps.activity.observe(outcome.status.state);
        if (outcome.wasRunning || outcome.disableProblem !== undefined) {
          deps.log.warn('Fenced host: adTempus stopped and Disabled', { pairId: deps.pairId, killed: outcome.killed, disableProblem: outcome.disableProblem });
        }
      }
      return outcome;
    });
  }

  /** Re-checks every `intervalMs` (a storage outage at start-up must not leave a returning Primary unfenced). */
  runPeriodically(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.checkAndEnforce()
        .catch((error: unknown) => this.deps.log.error('Periodic fence check failed', { reason: describe(error) }))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async currentHeartbeatFields(): Promise<HeartbeatFields> {
    const { deps } = this;
    let state: HeartbeatFields['service']['state'] = 'unknown';
    let startupType: HeartbeatFields['service']['startupType'] = 'unknown';
    try {
      const status = await deps.control.query();
      state = status.state;
      startupType = status.startupType;
      await deps.activity.observe(state);
    } catch (error) {
      deps.log.warn('Service state unreadable for the heartbeat', { reason: describe(error) });
    }
    const since = deps.activity.since;
    return {
      service: { state, startupType, stopOrdered: deps.activity.stopOrdered, ...(since !== undefined ? { since } : {}) },
      epochSeen: deps.state.highestEpoch,
      fenced: this.lastFenced,
    };
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}
