import { commandEnvelopeSchema, COMMAND_CONTRACT_VERSION, WATCHDOG_INBOX_QUEUE, type AgentCommand, type CommandEnvelope } from '../../../shared/contracts/agentCommands';
import type {
  CloseFailoverInput,
  FailoverResult,
  NotifyInput,
  OwnerReading,
  PrimaryLockEvidence,
  RaiseEpochInput,
  RaiseEpochResult,
  ReadOwnerInput,
  SendCommandInput,
} from '../../../shared/contracts/failoverContract';
import { fenceKey, fenceRecordSchema, type FenceRecord } from '../../../shared/contracts/fenceRecord';
import { unreadableHeartbeatAgeSeconds } from '../../../shared/domain/approvalGate';
import type { FailoverRequest } from '../../../shared/domain/failoverPolicy';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import type { Notification } from '../../../shared/domain/notification';
import { sameHost, type PairDefinition } from '../../../shared/domain/pair';
import { EMPTY_PAIR_CONTROL, type PairControl } from '../../../shared/domain/pairControl';
import type { FailoverSettings } from '../../../shared/domain/runbookSettings';
import { gatherFailoverFacts } from '../../../shared/services/failoverFacts';
import { stateKeys } from '../../../shared/services/stateKeys';
import { ACTIVITIES } from '../../../orchestrations/names';
import type { ActivityFake } from '../durableHarness';
import type { MemoryStateStore } from './memoryStateStore';
import type { SeededRandom } from './seededRandom';
import type { WorldBackups } from './worldBackups';

export interface ActivityFaults {
  /** Probability that one call of an activity throws (a transient fault). */
  readonly failure: number;
  /** Of those, the share that throw after the effect took place (a reply lost on the way back). */
  readonly afterEffect: number;
  /** At most this many failures in a row per activity, so a retry policy can get through. */
  readonly maxConsecutive: number;
}

export const NO_ACTIVITY_FAULTS: ActivityFaults = { failure: 0, afterEffect: 0, maxConsecutive: 0 };

/** What the activities read and change in the world. */
export interface ActivityWorld {
  readonly pair: PairDefinition & { readonly failover: FailoverSettings };
  readonly store: MemoryStateStore;
  readonly backups: WorldBackups;
  now(): Date;
  /** One side's lock as the heartbeat query reads it (a failed reading when its server is down). */
  readLock(side: 'primary' | 'secondary'): HeartbeatReading;
  /** A command enters the target host's queue. */
  sendCommand(envelope: CommandEnvelope): void;
  fenceChanged(record: FenceRecord): void;
}

/** What the activities did, for assertions. */
export interface ActivityLog {
  readonly commands: SendCommandInput[];
  readonly fenceWrites: FenceRecord[];
  readonly notifications: Notification[];
  readonly closed: FailoverResult[];
  readonly failures: { readonly activity: string; readonly afterEffect: boolean }[];
}

/**
 * The seven failover activities over the simulated world, following the contract
 * (shared/contracts/failoverContract.ts) and built on the same shared code as the real ones:
 * the facts come from gatherFailoverFacts (the real decision over the monitor's record), the
 * fence is an ETag-conditional write that recognises its own retry, the lock evidence falls back
 * to the heartbeat monitor's youngest estimate when the Primary's database cannot be read.
 */
export function failoverActivityFakes(world: ActivityWorld, log: ActivityLog, random: SeededRandom, faults: ActivityFaults): Record<string, ActivityFake> {
  const consecutive = new Map<string, number>();
  /** Fails some calls, before or after the effect, never more than `maxConsecutive` in a row. */
  const flaky =
    <I, O>(name: string, effect: (input: I) => Promise<O> | O) =>
    async (input: unknown): Promise<O> => {
      const streak = consecutive.get(name) ?? 0;
      if (streak < faults.maxConsecutive && random.chance(faults.failure)) {
        consecutive.set(name, streak + 1);
        const afterEffect = random.chance(faults.afterEffect);
        log.failures.push({ activity: name, afterEffect });
        if (afterEffect) await effect(input as I);
        throw new Error(`${name}: transient fault injected by the test world${afterEffect ? ' after the effect' : ''}`);
      }
      consecutive.set(name, 0);
      return effect(input as I);
    };

  return {
    [ACTIVITIES.gatherFacts]: flaky(ACTIVITIES.gatherFacts, (input: { pairId: string; request?: FailoverRequest }) =>
      gatherFailoverFacts({ pairs: [world.pair], state: world.store, backups: world.backups, clock: () => world.now() }, input.pairId, input.request),
    ),
    [ACTIVITIES.sendCommand]: flaky(ACTIVITIES.sendCommand, async (input: SendCommandInput) => {
      const pair = world.pair;
      const command: AgentCommand =
        input.command.type === 'restoreDatabase'
          ? {
              ...input.command,
              sasUrl: await world.backups.readOnlyUrl(pair.backup.container, input.command.backupName, new Date(Date.parse(input.notAfter) + 300_000)),
            }
          : input.command;
      const envelope = commandEnvelopeSchema.parse({
        contract: COMMAND_CONTRACT_VERSION,
        messageId: input.messageId,
        pairId: pair.id,
        targetHost: pair[input.role].hostName,
        epoch: input.epoch,
        issuedAt: input.issuedAt,
        notAfter: input.notAfter,
        replyTo: WATCHDOG_INBOX_QUEUE,
        correlationId: input.correlationId,
        command,
      } satisfies CommandEnvelope);
      log.commands.push(input);
      world.sendCommand(envelope);
      return { sent: true as const };
    }),
    [ACTIVITIES.raiseEpoch]: flaky(ACTIVITIES.raiseEpoch, (input: RaiseEpochInput): RaiseEpochResult => {
      const key = fenceKey(input.pairId);
      const stored = world.store.readNow<unknown>(key);
      const current = stored === undefined ? undefined : fenceRecordSchema.parse(stored.value);
      const secondary = world.pair.secondary.hostName;
      if (current && sameHost(current.activeHost, secondary) && current.failoverId === input.instanceId) {
        return { epoch: current.epoch, activeHost: current.activeHost, previousEpoch: Math.max(0, current.epoch - 1), alreadyRaised: true };
      }
      const previousEpoch = current?.epoch ?? 0;
      const next: FenceRecord = {
        pairId: input.pairId,
        epoch: previousEpoch + 1,
        activeHost: secondary,
        updatedAt: world.now().toISOString(),
        reason: input.reason.slice(0, 500),
        failoverId: input.instanceId,
      };
      const written = world.store.writeNow(key, next, stored ? { etag: stored.etag } : { absent: true });
      if (!written.ok) throw new Error('fence record changed meanwhile');
      log.fenceWrites.push(next);
      world.fenceChanged(next);
      return { epoch: next.epoch, activeHost: next.activeHost, previousEpoch, alreadyRaised: false };
    }),
    [ACTIVITIES.primaryLockEvidence]: flaky(ACTIVITIES.primaryLockEvidence, (_input: { pairId: string }): PrimaryLockEvidence => {
      const reading = world.readLock('primary');
      const primary = world.pair.primary.hostName;
      if (reading.kind === 'failed') {
        const memory = world.store.readNow<{ memory: Parameters<typeof unreadableHeartbeatAgeSeconds>[0] }>(stateKeys.heartbeat(world.pair.id))?.value.memory;
        const age = unreadableHeartbeatAgeSeconds(memory, world.now());
        return age === undefined
          ? { state: 'unknown', detail: "the Primary's database cannot be read; nothing is known of its heartbeat" }
          : { state: 'unknown', ageSeconds: Math.floor(age * 10) / 10, detail: `the Primary's database cannot be read; its heartbeat is at least ${age} s old` };
      }
      const owner = reading.owner?.trim() ?? '';
      if (owner === '') return { state: 'released', detail: "the lock on the Primary's database is released" };
      if (!sameHost(owner, primary)) return { state: 'other-owner', owner, detail: `${owner} owns the lock on the Primary's database` };
      const age = reading.heartbeatUtc === null ? undefined : Math.max(0, Math.round((reading.dbNowUtc.getTime() - reading.heartbeatUtc.getTime()) / 100) / 10);
      return { state: 'primary-owner', owner, ...(age !== undefined ? { ageSeconds: age } : {}), detail: `the Primary owns the lock; heartbeat ${age ?? '?'} s old` };
    }),
    [ACTIVITIES.readOwner]: flaky(ACTIVITIES.readOwner, (input: ReadOwnerInput): OwnerReading => {
      const reading = world.readLock(input.side);
      if (reading.kind === 'failed') return { ok: false, detail: `the ${input.side}'s database cannot be read` };
      const owner = reading.owner === null || reading.owner.trim() === '' ? null : reading.owner;
      const age = reading.heartbeatUtc === null ? undefined : Math.max(0, (reading.dbNowUtc.getTime() - reading.heartbeatUtc.getTime()) / 1000);
      return {
        ok: true,
        owner,
        ...(reading.heartbeatUtc !== null ? { heartbeatUtc: reading.heartbeatUtc.toISOString() } : {}),
        ...(age !== undefined ? { ageSeconds: age } : {}),
        detail: `${owner ?? 'nobody'} owns the lock on the ${input.side}'s database`,
      };
    }),
    [ACTIVITIES.notify]: flaky(ACTIVITIES.notify, (input: NotifyInput) => {
      log.notifications.push(input.notification);
      return { delivered: true };
    }),
    [ACTIVITIES.closeFailover]: flaky(ACTIVITIES.closeFailover, (input: CloseFailoverInput) => {
      log.closed.push(input.result);
      if (input.result.outcome === 'completed') {
        const key = stateKeys.control(world.pair.id);
        const current = world.store.readNow<PairControl>(key)?.value ?? EMPTY_PAIR_CONTROL;
        world.store.put<PairControl>(key, { ...current, lastFailover: { instanceId: input.result.instanceId, completedAt: input.result.endedAt } });
      }
      return null;
    }),
  };
}
