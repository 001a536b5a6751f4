import type { OrchestrationRuntimeStatus } from '../../../shared/ports/orchestrationClient.port';
import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import type { HeartbeatSource } from '../../../shared/ports/heartbeatSource.port';
import { silentLogger } from '../../../shared/ports/logger.port';
import { fenceKey, type FenceRecord } from '../../../shared/contracts/fenceRecord';
import type { Notification } from '../../../shared/domain/notification';
import { checkHeartbeat, type HeartbeatRecord } from '../../../shared/services/heartbeatMonitor';
import { runHeartbeatPass, type HeartbeatPairResult } from '../../../shared/services/heartbeatPass';
import { stateKeys } from '../../../shared/services/stateKeys';
import { testStorage, type TestStorage } from '../../support/azurite';
import { resolvedPair } from '../../support/pairs';

let storage: TestStorage;
beforeAll(async () => {
  storage = await testStorage();
});
afterAll(async () => {
  await storage.release();
});

const pair = resolvedPair();
const dbNow = new Date('2026-11-22T03:00:00Z');
/** A source that answers whatever the test sets: the shape of the real port, no database behind it. */
function source(reading: () => HeartbeatReading): HeartbeatSource {
  return { read: () => Promise.resolve(reading()), close: () => Promise.resolve() };
}
const row = (ageSeconds: number): HeartbeatReading => ({ kind: 'row', owner: 'ADT-PRI01', heartbeatUtc: new Date(dbNow.getTime() - ageSeconds * 1000), dbNowUtc: dbNow });

describe('checkHeartbeat', () => {
  it('never rolls the record back when a late execution finishes after a newer check', async () => {
    const state = new BlobStateStore(BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(`hb-${randomUUID()}`));
    const deps = (at: string, reading: HeartbeatReading) => ({
      pairs: [pair],
      state,
      channels: { forPair: () => ({ preferred: [], fallback: [] }) },
      clock: () => new Date(at),
      logger: silentLogger,
      maxConcurrency: 1,
      heartbeats: source(() => reading),
    });
    await checkHeartbeat(deps('2026-11-22T03:01:00Z', row(10)), pair);
    // An execution that began before the one above finishes now, with what it read back then.
    await checkHeartbeat(deps('2026-11-22T03:00:30Z', row(900)), pair);
    const record = (await state.read<HeartbeatRecord>(stateKeys.heartbeat(pair.id)))!.value;
    expect(record.memory.last.at).toBe('2026-11-22T03:01:00.000Z');
    expect(record.assessment).toMatchObject({ observed: 'healthy', observedCount: 1 });
  });
});

describe('checkHeartbeat after a failover', () => {
  const T0 = Date.parse('2026-11-22T03:00:00Z');
  let state: BlobStateStore;
  let now: Date;
  let sides: Record<'primary' | 'secondary', HeartbeatReading>;
  let reads: string[];
  let sent: Notification[];
  /** The pair's failover instance as the durable runtime would report it. */
  let failover: OrchestrationRuntimeStatus | undefined;
  const starts: unknown[] = [];

  const lockOf = (owner: string | null, ageSeconds: number): HeartbeatReading => ({
    kind: 'row',
    owner,
    heartbeatUtc: new Date(now.getTime() - ageSeconds * 1000),
    dbNowUtc: now,
  });
  const policyPair = (strategy: 'copied' | 'shared'): ReturnType<typeof resolvedPair> =>
    resolvedPair({ strategy, policy: { staleThresholdSeconds: 60, consecutiveStaleChecks: 2, automaticFailover: true } });
  const deps = (p: ReturnType<typeof resolvedPair>) => ({
    pairs: [p],
    state,
    channels: { forPair: () => ({ preferred: [{ kind: 'email' as const, label: 'email:test', send: (n: Notification) => { sent.push(n); return Promise.resolve(); } }], fallback: [] }) },
    clock: () => now,
    logger: silentLogger,
    maxConcurrency: 1,
    orchestrations: () => ({
      start: (...args: unknown[]) => {
        starts.push(args);
        return Promise.resolve({ started: true as const });
      },
      getStatus: (instanceId: string) =>
        Promise.resolve(failover && { instanceId, name: 'failover', runtimeStatus: failover, createdAt: new Date(T0).toISOString(), lastUpdatedAt: now.toISOString() }),
      raiseEvent: () => Promise.resolve(false),
    }),
    heartbeats: {
      read: (_id: string, side: 'primary' | 'secondary' = 'primary') => {
        reads.push(side);
        return Promise.resolve(sides[side]);
      },
      close: () => Promise.resolve(),
    },
  });
  const passAt = async (seconds: number, p: ReturnType<typeof resolvedPair>): Promise<HeartbeatPairResult> => {
    now = new Date(T0 + seconds * 1000);
    const [outcome] = await runHeartbeatPass(deps(p));
    return outcome!.result!;
  };
  /** The fence names the Secondary; `completed`: the failover that raised it closed (the cool-down starts). */
  const failedOver = async (epoch = 5, completed = true): Promise<void> => {
    await state.write<FenceRecord>(fenceKey('erp'), { pairId: 'erp', epoch, activeHost: 'ADT-SEC01', updatedAt: new Date(T0).toISOString(), reason: 'failover' }, { absent: true });
    if (!completed) return;
    const current = await state.read<Record<string, unknown>>(stateKeys.control('erp'));
    const value = { version: 1, restartsInPlace: [], ...current?.value, lastFailover: { instanceId: 'failover-erp', completedAt: new Date(T0 + 1000).toISOString() } };
    await state.write(stateKeys.control('erp'), value, current ? { etag: current.etag } : { absent: true });
  };
  const recordOf = async (): Promise<HeartbeatRecord> => (await state.read<HeartbeatRecord>(stateKeys.heartbeat('erp')))!.value;

  beforeEach(() => {
    state = new BlobStateStore(BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(`hb-${randomUUID()}`));
    now = new Date(T0);
    reads = [];
    sent = [];
    failover = undefined;
    starts.length = 0;
    sides = { primary: lockOf('ADT-PRI01', 5), secondary: lockOf('ADT-SEC01', 5) };
  });

  it("reads the Secondary's copied database once the fence names it, and judges it the active side", async () => {
    const p = policyPair('copied');
    // The Primary went down; the old database keeps its last heartbeat forever.
    sides.primary = lockOf('ADT-PRI01', 600);
    await passAt(0, p);
    await passAt(30, p);
    expect((await recordOf()).assessment.state).toBe('stale');
    await failedOver();
    reads = [];

    const result = await passAt(60, p);
    expect(reads).toEqual(['primary', 'secondary']);
    expect(result).toMatchObject({ state: 'healthy', decision: { action: 'none', reason: 'ALREADY_FAILED_OVER' } });
    const record = await recordOf();
    expect(record.assessment).toMatchObject({ state: 'healthy', owner: 'ADT-SEC01', afterFailover: { epoch: 5, activeHost: 'ADT-SEC01', configuredPrimary: 'ADT-PRI01' } });
    expect(record.assessment.evidence[0]).toBe(
      'after the failover at epoch 5, ADT-SEC01 is the active side (roles swapped: "Primary" below means ADT-SEC01, and ADT-PRI01 owning the lock with a fresh heartbeat is the danger)',
    );
    // The old side's last heartbeat is not carried over as the active side's.
    expect(record.assessment.lastPrimaryHeartbeatUtc).toBe(new Date(T0 - 5_000).toISOString());
    expect(record.watchedHost).toBe('ADT-SEC01');
    expect(sent.map((n) => n.title)).toEqual(['Primary heartbeat stale: Primary down suspected', 'Resolved: ADT-SEC01 owns the adTempus lock after the failover']);
    expect(sent[1]!.summary).toMatch(/^After the failover at epoch 5, ADT-SEC01 is the active side\./);
  });

  it('alerts critically when the old Primary takes the shared lock back, and starts nothing', async () => {
    const p = policyPair('shared');
    await failedOver();
    await passAt(0, p);
    sides.primary = lockOf('ADT-PRI01', 2);

    const result = await passAt(30, p);
    expect(reads.filter((r) => r === 'secondary')).toEqual([]);
    expect(result).toMatchObject({ state: 'secondary-active', decision: { action: 'none', reason: 'ALREADY_FAILED_OVER' } });
    const alert = sent.find((n) => n.condition === 'heartbeat' && n.title.startsWith('The old Primary'));
    expect(alert).toMatchObject({ severity: 'critical', title: 'The old Primary owns the adTempus lock again after the failover' });
    expect(alert?.nextSteps[0]).toMatch(/^Stop adTempus on ADT-PRI01 now/);
    expect(starts).toEqual([]);
  });

  it('alerts when the new active side goes down, but never fails back on its own', async () => {
    const p = policyPair('copied');
    await failedOver();
    sides.secondary = lockOf('ADT-SEC01', 600);
    for (const seconds of [0, 30, 60, 90]) {
      const result = await passAt(seconds, p);
      expect(result.decision).toMatchObject({ action: 'none', reason: 'ALREADY_FAILED_OVER' });
      expect(result.trigger).toBeUndefined();
    }
    expect(sent.map((n) => n.title)).toEqual(['Active side heartbeat stale after the failover: the active side may be down']);
    expect(starts).toEqual([]);
  });

  it('raises no alert for what the takeover itself does: the Secondary owning the shared lock before the failover closes', async () => {
    const p = policyPair('shared');
    await passAt(0, p);
    await failedOver(5, false);
    failover = 'Running';
    // The runbook stopped the Primary and started the Secondary on the one shared database.
    sides.primary = lockOf('ADT-SEC01', 2);
    await passAt(30, p);
    await passAt(60, p);
    const duringTakeover = sent.map((n) => n.title);
    // Seen and said, but not confirmed: the record goes on describing the Primary for the runbook.
    expect((await recordOf()).assessment).toMatchObject({ state: 'healthy', observed: 'secondary-active' });
    expect((await recordOf()).assessment.evidence).toContain("secondary-active is what the running failover's takeover does: seen, not confirmed, no alert");

    const control = await state.read<Record<string, unknown>>(stateKeys.control('erp'));
    await state.write(stateKeys.control('erp'), { version: 1, restartsInPlace: [], ...control?.value, lastFailover: { instanceId: 'failover-erp', completedAt: new Date(T0 + 61_000).toISOString() } }, control ? { etag: control.etag } : { absent: true });
    failover = 'Completed';
    await passAt(90, p);

    expect(duringTakeover).toEqual([]);
    expect((await recordOf()).assessment).toMatchObject({ state: 'healthy', owner: 'ADT-SEC01' });
    expect(sent.map((n) => n.title)).toEqual([]);
  });

  it('still alerts during the takeover on what the takeover does not do: an unexpected machine owning the lock', async () => {
    const p = policyPair('shared');
    await passAt(0, p);
    await failedOver(5, false);
    failover = 'Running';
    sides.primary = lockOf('ADT-ELSEWHERE', 2);
    await passAt(30, p);
    await passAt(60, p);

    expect((await recordOf()).assessment.state).toBe('unknown-owner');
    expect(sent.map((n) => n.condition)).toEqual(['heartbeat']);
  });

  it('alerts as always once a failover that fenced the Primary has ended without closing (stalled): nobody runs adTempus', async () => {
    const p = policyPair('copied');
    await passAt(0, p);
    await failedOver(5, false);
    failover = 'Completed';
    sides.primary = lockOf('ADT-PRI01', 600);
    await passAt(30, p);
    await passAt(60, p);

    expect((await recordOf()).assessment.state).toBe('stale');
    expect(sent.map((n) => n.title)).toEqual(['Primary heartbeat stale: Primary down suspected']);
  });

  it('goes on watching the configured Primary while the failover that raised the fence has not completed', async () => {
    const p = policyPair('copied');
    sides.primary = lockOf('ADT-PRI01', 600);
    await failedOver(5, false);
    const result = await passAt(0, p);
    expect(reads).toEqual(['primary']);
    expect(result).toMatchObject({ observed: 'stale', decision: { action: 'none', reason: 'ALREADY_FAILED_OVER' } });
    expect((await recordOf()).assessment.afterFailover).toBeUndefined();
  });

  it('takes the old Primary still owning the lock with a stale heartbeat (a restored backup, a takeover not done yet) as the active side not heartbeating, not as a second owner', async () => {
    const p = policyPair('copied');
    await failedOver();
    sides.secondary = lockOf('ADT-PRI01', 3600);
    await passAt(0, p);
    expect((await recordOf()).assessment).toMatchObject({ observed: 'stale' });
    expect(sent).toEqual([]);
  });
});
