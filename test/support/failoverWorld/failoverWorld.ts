import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../../orchestrations/failover/failover.orchestrator';
import type { AgentHeartbeat, AgentReply, CommandEnvelope } from '../../../shared/contracts/agentCommands';
import {
  FAILOVER_EVENTS,
  failoverInstanceId,
  routeReply,
  type ApprovalEvent,
  type CancelEvent,
  type FailoverInput,
  type FailoverProgress,
  type FailoverResult,
} from '../../../shared/contracts/failoverContract';
import { fenceKey, fenceRecordSchema, type FenceRecord } from '../../../shared/contracts/fenceRecord';
import type { FailoverDecision, FailoverRequest } from '../../../shared/domain/failoverPolicy';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import { sameHost, type PairDefinition, type Strategy } from '../../../shared/domain/pair';
import { EMPTY_PAIR_CONTROL, type PairControl } from '../../../shared/domain/pairControl';
import type { FailoverSettings } from '../../../shared/domain/runbookSettings';
import type { Logger } from '../../../shared/ports/logger.port';
import { gatherFailoverFacts } from '../../../shared/services/failoverFacts';
import { stateKeys } from '../../../shared/services/stateKeys';
import { isActive } from '../../../local/durable/historyStore';
import { ORCHESTRATIONS } from '../../../orchestrations/names';
import { DurableHarness, VirtualClock } from '../durableHarness';
import { resolvedPair } from '../pairs';
import { judgeRun, type RunVerdict } from './judgeRun';
import { failoverActivityFakes, NO_ACTIVITY_FAULTS, type ActivityFaults, type ActivityLog } from './activityFakes';
import { LockTable } from './lockTable';
import { MemoryStateStore } from './memoryStateStore';
import { SafetyMonitor } from './safetyMonitor';
import { SeededRandom } from './seededRandom';
import { SimulatedAdTempus, type ServiceTiming } from './simulatedAdTempus';
import { SimulatedAgent } from './simulatedAgent';
import { WatchdogView } from './watchdogView';
import { WorldBackups } from './worldBackups';
import { WorldHistoryStore } from './worldHistoryStore';
import { WorldScheduler } from './worldScheduler';
import { CALM_NETWORK, WorldServiceBus, type NetworkFaults } from './worldServiceBus';

export type { RunVerdict } from './judgeRun';
export type { NetworkFaults } from './worldServiceBus';

export type Role = 'primary' | 'secondary';

export interface WorldOptions {
  readonly strategy?: Strategy;
  readonly startAt?: string;
  readonly policy?: { readonly staleThresholdSeconds?: number; readonly consecutiveStaleChecks?: number; readonly automaticFailover?: boolean };
  readonly failover?: Partial<FailoverSettings>;
  readonly rpoBudgetMinutes?: number;
  /** Copied: the age of the newest backup when the world starts; undefined with `noBackup`. */
  readonly backupAgeMinutes?: number;
  readonly noBackup?: boolean;
  readonly service?: Partial<Omit<ServiceTiming, 'takeoverDelayMs'>>;
  readonly monitorSeconds?: number;
  readonly agentTickSeconds?: number;
  readonly downloadSeconds?: number;
  readonly restoreSeconds?: number;
  readonly network?: Partial<NetworkFaults>;
  readonly activityFaults?: ActivityFaults;
  /** Probability that one read of the fence record by an agent fails. */
  readonly fenceReadFailure?: number;
  readonly control?: Partial<PairControl>;
  readonly random?: SeededRandom;
  /** The orchestration to run; the real failover runbook unless a test checks the world with another. */
  readonly orchestration?: string;
}

export type WorldPair = PairDefinition & { readonly failover: FailoverSettings };

const PAIR_ID = 'erp';

/**
 * A pair of adTempus hosts for the failover orchestration to work on, in one process on the
 * virtual clock: the adTempus service on each host and its lock table(s), the real agent core on
 * each host, the heartbeat monitor's view, the watchdog's state records, the Service Bus paths
 * (with their faults) and the seven activities. The orchestrator itself runs on the real
 * durable-functions replay engine through DurableHarness. Safety rules are checked on every change.
 */
export class FailoverWorld {
  readonly clock: VirtualClock;
  readonly scheduler: WorldScheduler;
  readonly store = new MemoryStateStore();
  readonly history = new WorldHistoryStore();
  readonly pair: WorldPair;
  readonly instanceId: string;
  readonly databases: { readonly primary: LockTable; readonly secondary: LockTable };
  readonly services: Record<Role, SimulatedAdTempus>;
  readonly agents: Record<Role, SimulatedAgent>;
  readonly view: WatchdogView;
  readonly safety: SafetyMonitor;
  readonly backups: WorldBackups;
  readonly log: ActivityLog = { commands: [], fenceWrites: [], notifications: [], closed: [], failures: [] };
  /** Every reply the agents sent (whether or not it reached the orchestration). */
  readonly replies: AgentReply[] = [];
  readonly agentErrors: string[] = [];
  harness: DurableHarness;
  private readonly random: SeededRandom;
  private readonly bus: WorldServiceBus;
  private readonly fenceReadFailure: number;
  /** When the Primary's agent first sent a succeeded reply to a stopService (virtual ms). */
  primaryStopConfirmedAt: number | undefined;
  private readonly orchestration: string;
  private constructor(
    options: WorldOptions,
    /** The agents' state folders live under it (real files, as AgentState needs). */
    private readonly stateRoot: string,
  ) {
    this.clock = new VirtualClock(options.startAt ?? '2026-11-22T02:00:00.000Z');
    this.scheduler = new WorldScheduler(this.clock);
    this.random = options.random ?? new SeededRandom(1);
    this.bus = new WorldServiceBus(this.scheduler, this.random.fork(), { ...CALM_NETWORK, ...options.network });
    this.fenceReadFailure = options.fenceReadFailure ?? 0;
    this.orchestration = options.orchestration ?? ORCHESTRATIONS.failover;
    const strategy = options.strategy ?? 'shared';
    this.pair = resolvedPair({
      id: PAIR_ID,
      strategy,
      policy: { staleThresholdSeconds: 300, consecutiveStaleChecks: 3, automaticFailover: true, ...options.policy },
      backup: { container: 'adtempus-backups', prefix: `${PAIR_ID}/`, rpoBudgetMinutes: options.rpoBudgetMinutes ?? 1440, expectedIntervalMinutes: 1440 },
      failover: { ...options.failover },
    });
    this.instanceId = failoverInstanceId(PAIR_ID);
    const now = (): number => this.clock.now().getTime();
    if (strategy === 'shared') {
      const shared = new LockTable('shared', now);
      this.databases = { primary: shared, secondary: shared };
    } else {
      // SQL Server Express runs on each adTempus host: its database goes down with the host.
      this.databases = {
        primary: new LockTable('primary', now, () => this.services.primary.hostAlive),
        secondary: new LockTable('secondary', now, () => this.services.secondary.hostAlive),
      };
    }
    const timing: ServiceTiming = {
      startMs: 8_000,
      stopMs: 4_000,
      heartbeatMs: 15_000,
      ...options.service,
      takeoverDelayMs: this.pair.policy.staleThresholdSeconds * 1000,
    };
    const hooks = { starting: (s: SimulatedAdTempus) => this.safety.serviceStarting(s), changed: () => this.safety.serviceChanged() };
    this.services = {
      primary: new SimulatedAdTempus(this.pair.primary.hostName, this.databases.primary, this.scheduler, timing, hooks),
      secondary: new SimulatedAdTempus(this.pair.secondary.hostName, this.databases.secondary, this.scheduler, timing, hooks),
    };
    this.safety = new SafetyMonitor({
      primary: this.services.primary,
      secondary: this.services.secondary,
      primaryDatabase: this.databases.primary,
      takeoverDelaySeconds: this.pair.policy.staleThresholdSeconds,
      fence: () => this.fence(),
      primaryStopConfirmed: () => this.primaryStopConfirmedAt !== undefined,
      nowIso: () => this.clock.now().toISOString(),
    });
    this.backups = new WorldBackups(this.pair, this.scheduler, { downloadMs: (options.downloadSeconds ?? 120) * 1000, restoreMs: (options.restoreSeconds ?? 90) * 1000 });
    this.view = new WatchdogView(this.pair, this.store, () => this.clock.now(), this.databases.primary, options.agentTickSeconds ?? 30);
    const fakes = failoverActivityFakes(
      {
        pair: this.pair,
        store: this.store,
        backups: this.backups,
        now: () => this.clock.now(),
        readLock: (side) => this.readLock(side),
        sendCommand: (envelope) => this.deliverCommand(envelope),
        fenceChanged: () => this.safety.serviceChanged(),
      },
      this.log,
      this.random.fork(),
      options.activityFaults ?? NO_ACTIVITY_FAULTS,
    );
    this.harness = new DurableHarness({ clock: this.clock, store: this.history, fakes });
    const tickSeconds = options.agentTickSeconds ?? 30;
    const logger = (host: string): Logger => ({
      info: () => undefined,
      warn: () => undefined,
      error: (message, fields) => {
        if (this.agentErrors.length < 200) this.agentErrors.push(`${host}: ${message} ${JSON.stringify(fields ?? {})}`);
      },
    });
    const agent = (role: Role): SimulatedAgent =>
      new SimulatedAgent(
        this.services[role],
        {
          scheduler: this.scheduler,
          pairId: this.pair.id,
          primaryHost: this.pair.primary.hostName,
          machineId: this.pair.primary.machineId,
          readFence: () => this.readFenceForAgent(),
          sendReply: (reply) => this.agentReplied(reply),
          sendHeartbeat: (heartbeat) => this.agentBeat(heartbeat),
          download: (_host, request, alive) => this.backups.download(request, alive),
          restore: (_host, request, alive) => this.backups.restore(request, alive, (row) => this.databases.secondary.replaceWith(row)),
        },
        join(this.stateRoot, role),
        { tickSeconds, pollMs: 2_000, killWaitMs: 20_000 },
        logger(this.services[role].host),
      );
    this.agents = { primary: agent('primary'), secondary: agent('secondary') };
  }

  /** Builds the world: the Primary runs adTempus, the Secondary stands by, both agents are up, the monitor has checked once. */
  static async create(options: WorldOptions = {}): Promise<FailoverWorld> {
    const world = new FailoverWorld(options, await mkdtemp(join(stateParent(), 'failover-world-')));
    await world.setUp(options);
    return world;
  }

  private async setUp(options: WorldOptions): Promise<void> {
    const now = this.clock.now();
    this.services.primary.setUp('running', 'automatic');
    this.services.secondary.setUp('stopped', 'manual');
    if (this.pair.strategy === 'copied') {
      // The Secondary's copy holds an old restore: the Primary owned its lock days ago.
      this.databases.secondary.replaceWith({ owner: this.pair.primary.hostName, heartbeatUtc: new Date(now.getTime() - 3 * 86_400_000) });
      if (!options.noBackup) this.backups.add(new Date(now.getTime() - (options.backupAgeMinutes ?? 120) * 60_000));
    }
    if (options.control) this.setControl(options.control);
    this.scheduler.spawn(() => this.agents.primary.boot());
    this.scheduler.spawn(() => this.agents.secondary.boot());
    // On the agents' beat, so one turn of the clock serves both.
    const monitorMs = (options.monitorSeconds ?? 30) * 1000;
    this.scheduler.every(monitorMs, monitorMs, () => this.view.check());
    await this.runFor(2);
    if (this.scheduler.faults.length > 0) throw new AggregateError(this.scheduler.faults, 'The failover test world could not be set up');
  }

  /** Removes the agents' state folders. */
  async dispose(): Promise<void> {
    await rm(this.stateRoot, { recursive: true, force: true });
  }

  // ---- the watchdog's side -------------------------------------------------------------------

  failoverInput(overrides: Partial<FailoverInput> = {}): FailoverInput {
    return {
      pairId: this.pair.id,
      trigger: 'automatic',
      reason: "the Primary's heartbeat is stale",
      requestedAt: this.clock.now().toISOString(),
      evidence: ['test world'],
      ...overrides,
    };
  }

  /** Replaces the pair's control record (maintenance, restarts in place, last failover). */
  setControl(control: Partial<PairControl>): void {
    this.store.put(stateKeys.control(this.pair.id), { ...EMPTY_PAIR_CONTROL, ...control });
  }

  /** A time `secondsAgo` before now, as the records write it. */
  ago(secondsAgo: number): string {
    return new Date(this.clock.now().getTime() - secondsAgo * 1000).toISOString();
  }

  /** What the runbook would decide now (the monitor's automatic trigger asks the same). */
  async decideNow(request?: FailoverRequest): Promise<FailoverDecision> {
    const facts = await gatherFailoverFacts({ pairs: [this.pair], state: this.store, backups: this.backups, clock: () => this.clock.now() }, this.pair.id, request);
    return facts.decision;
  }

  /** Runs the world until the decision is a failover (as the heartbeat monitor's trigger waits for it), at most `maxSeconds`. */
  async runUntilFailoverDecided(maxSeconds: number, stepSeconds = 30): Promise<FailoverDecision> {
    const limit = this.clock.now().getTime() + maxSeconds * 1000;
    let decision = await this.decideNow();
    while (decision.action !== 'failover' && this.clock.now().getTime() < limit) {
      await this.runFor(stepSeconds);
      decision = await this.decideNow();
    }
    return decision;
  }

  /** Starts the orchestration under the pair's fixed instance id (throws while one runs). */
  async startFailover(overrides: Partial<FailoverInput> = {}): Promise<void> {
    await this.harness.engine.startNew(this.orchestration, { instanceId: this.instanceId, input: this.failoverInput(overrides) });
    await this.settle();
  }

  requestFailover(requestedBy = 'alice@example.com', reason = 'planned move to the Secondary'): Promise<void> {
    return this.startFailover({ trigger: 'requested', requestedBy, reason });
  }

  approve(by = 'bob@example.com'): Promise<void> {
    return this.raise(FAILOVER_EVENTS.approval, { decision: 'approve', by, at: this.clock.now().toISOString() } satisfies ApprovalEvent);
  }

  reject(by = 'bob@example.com', comment = 'not now'): Promise<void> {
    return this.raise(FAILOVER_EVENTS.approval, { decision: 'reject', by, comment, at: this.clock.now().toISOString() } satisfies ApprovalEvent);
  }

  cancel(by = 'carol@example.com', reason = 'the Primary is back'): Promise<void> {
    return this.raise(FAILOVER_EVENTS.cancel, { by, reason, at: this.clock.now().toISOString() } satisfies CancelEvent);
  }

  /** Raises an event on the run (dropped once it finished, as the host answers 410); call settle() to let it act. */
  async raise(eventName: string, data: unknown): Promise<void> {
    if (this.finished) return;
    await this.harness.engine.raiseEvent(this.instanceId, eventName, data);
  }

  /** The Functions host goes down and comes back: a new engine resumes from the stored history. */
  async restartHost(): Promise<void> {
    this.harness = await this.harness.restart();
  }

  get finished(): boolean {
    const status = this.history.statusOf(this.instanceId);
    return status !== undefined && !isActive(status);
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Lets everything already under way finish: the engine's work and the world's tasks. */
  async settle(): Promise<void> {
    // At rest when a whole pass changed no history: the engine idle, the world's tasks all waiting.
    for (;;) {
      const writes = this.history.writes;
      await this.harness.engine.whenIdle();
      await this.scheduler.rest();
      if (this.history.writes === writes) return;
    }
  }

  async runFor(seconds: number): Promise<void> {
    const until = this.clock.now().getTime() + seconds * 1000;
    await this.runUntil(() => false, until);
    this.clock.moveTo(until);
  }

  /** Runs until the orchestration finishes or `maxSeconds` of virtual time pass; true when it finished. */
  runToEnd(maxSeconds = 24 * 3600): Promise<boolean> {
    return this.runUntil(() => this.finished, this.clock.now().getTime() + maxSeconds * 1000);
  }

  /** Runs until the run's custom status satisfies `predicate` (or it finished, or `maxSeconds` passed); true when it holds. */
  async runUntilProgress(predicate: (progress: FailoverProgress) => boolean, maxSeconds = 24 * 3600): Promise<boolean> {
    const holds = (): boolean => {
      const progress = this.progress();
      return progress !== undefined && predicate(progress);
    };
    await this.runUntil(() => holds() || this.finished, this.clock.now().getTime() + maxSeconds * 1000);
    return holds();
  }

  /** The run's custom status: its phase, steps, what it waits for. */
  progress(): FailoverProgress | undefined {
    return this.history.customStatusOf(this.instanceId) as FailoverProgress | undefined;
  }

  /** Calls `action` `seconds` from now (virtual). */
  at(seconds: number, action: () => unknown): void {
    this.scheduler.after(seconds * 1000, action);
  }

  private async runUntil(done: () => boolean, limit: number): Promise<boolean> {
    await this.settle();
    while (!done()) {
      if (!this.clock.fireNext(limit)) return done();
      await this.settle();
    }
    return true;
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** The host is gone: adTempus, its agent and (copied) its database with it. */
  loseHost(role: Role): void {
    this.agents[role].loseHost();
    this.services[role].loseHost();
  }

  crashAgent(role: Role): void {
    this.agents[role].crash();
  }

  restartAgent(role: Role): void {
    this.scheduler.spawn(() => this.agents[role].boot());
  }

  crashService(role: Role): void {
    this.services[role].crash();
  }

  hangService(role: Role): void {
    this.services[role].hang();
  }

  // ---- reading the world -----------------------------------------------------------------------

  fence(): FenceRecord | undefined {
    const stored = this.store.readNow<unknown>(fenceKey(this.pair.id));
    return stored === undefined ? undefined : fenceRecordSchema.parse(stored.value);
  }

  async status(): Promise<Awaited<ReturnType<DurableHarness['status']>>> {
    return this.harness.status(this.instanceId);
  }

  async output(): Promise<FailoverResult> {
    return (await this.status()).output as FailoverResult;
  }

  /** Commands the orchestration sent, by their commandKey (`fence-stop-1`, `start-2`, ...). */
  commandKeys(): string[] {
    return this.log.commands.map((c) => c.correlationId.slice(c.correlationId.indexOf('/') + 1));
  }

  /** The end of the run against the rules (see judgeRun), with what was seen while it ran. */
  async verdict(): Promise<RunVerdict> {
    return judgeRun({
      status: await this.harness.engine.getStatus(this.instanceId),
      seen: [...this.safety.violations, ...this.scheduler.faults.map((f) => `the test world failed: ${f instanceof Error ? (f.stack ?? f.message) : String(f)}`)],
      notifications: this.log.notifications,
      fence: this.fence(),
      secondary: this.services.secondary,
    });
  }

  // ---- the paths between the watchdog and the hosts -------------------------------------------

  private readLock(side: Role): HeartbeatReading {
    const table = this.databases[side];
    if (!table.reachable()) return { kind: 'failed', code: 'UNREACHABLE', message: `the ${side}'s database server does not answer` };
    return { kind: 'row', ...table.read(), dbNowUtc: this.clock.now() };
  }

  private readFenceForAgent(): FenceRecord | undefined {
    if (this.fenceReadFailure > 0 && this.random.chance(this.fenceReadFailure)) throw Object.assign(new Error('storage did not answer'), { code: 'ETIMEDOUT' });
    return this.fence();
  }

  private deliverCommand(envelope: CommandEnvelope): void {
    const agent = sameHost(envelope.targetHost, this.pair.primary.hostName) ? this.agents.primary : this.agents.secondary;
    this.bus.sendCommand(envelope, (e) => agent.enqueue(e));
  }

  private agentReplied(reply: AgentReply): void {
    this.replies.push(reply);
    if (sameHost(reply.host, this.pair.primary.hostName) && reply.commandType === 'stopService' && reply.kind === 'succeeded') {
      this.primaryStopConfirmedAt ??= this.clock.now().getTime();
    }
    this.bus.sendReply(reply, (r) => this.raiseReply(r));
  }

  /** The reply listener: a reply for an orchestration's command is raised on it as an event. */
  private async raiseReply(reply: AgentReply): Promise<void> {
    const route = routeReply(reply.correlationId);
    if (route === undefined) return;
    const status = this.history.statusOf(route.instanceId);
    if (status === undefined || !isActive(status)) return;
    await this.harness.engine.raiseEvent(route.instanceId, route.eventName, reply);
  }

  private agentBeat(heartbeat: AgentHeartbeat): void {
    this.view.receiveHeartbeat(heartbeat);
  }
}

/**
 * The agents fsync their state file on every change; a thousand worlds on a disk spend most of
 * their time there. A RAM-backed tmpfs keeps the same file semantics without the wait.
 */
function stateParent(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}
