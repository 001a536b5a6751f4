import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import { createPrimaryLockEvidenceActivity } from '../../../../orchestrations/failover/activities/primaryLockEvidence';
import { BlobStateStore } from '../../../../shared/adapters/blob/blobStateStore';
import { SqlHeartbeatSource } from '../../../../shared/adapters/sql/sqlHeartbeatSource';
import type { ResolvedPair } from '../../../../shared/config/loadConfig';
import type { Logger } from '../../../../shared/ports/logger.port';
import { silentLogger } from '../../../../shared/ports/logger.port';
import { checkHeartbeat } from '../../../../shared/services/heartbeatMonitor';
import { stateKeys } from '../../../../shared/services/stateKeys';
import { testStorage, type TestStorage } from '../../../support/azurite';
import { databaseAt } from '../../../support/monitorFixture';
import { pairInput, resolvedPair } from '../../../support/pairs';
import { DEFAULT_LOGIN, LockTable, TdsPeer, lockTableResponder, sessionChatter, type LockRow } from '../../../support/tdsPeer';

// The real mssql client against the TDS test peer's lock table; the monitor's record in Azurite.

const NOW = Date.parse('2026-11-22T12:00:00.000Z');
const SECOND = 1_000;

let storage: TestStorage;
let blob: BlobServiceClient;
let peer: TdsPeer;
let table: LockTable;
let state: BlobStateStore;
let stateContainer: string;
let warnings: string[];
const sources: SqlHeartbeatSource[] = [];

beforeAll(async () => {
  [storage, peer] = await Promise.all([testStorage(), TdsPeer.start()]);
  blob = BlobServiceClient.fromConnectionString(storage.connectionString);
});
afterAll(async () => {
  await Promise.all([peer.stop(), storage.release()]);
});
beforeEach(() => {
  table = new LockTable(() => NOW);
  peer.respond = lockTableResponder(table);
  stateContainer = `lock-${randomUUID()}`;
  state = new BlobStateStore(blob.getContainerClient(stateContainer));
  warnings = [];
});
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
});

function pairOn(port: number): ResolvedPair {
  const base = pairInput();
  return resolvedPair({
    primary: { ...base.primary, database: databaseAt(port, 'adTempus') },
    secondary: { ...base.secondary, database: databaseAt(port, 'adTempusStandby') },
  });
}

function sourceFor(pair: ResolvedPair): SqlHeartbeatSource {
  const source = new SqlHeartbeatSource([pair], { connectTimeoutMs: 2_000, requestTimeoutMs: 2_000, logger: silentLogger });
  sources.push(source);
  return source;
}

const logger: Logger = { info: () => undefined, warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`), error: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`) };

function activityFor(pair: ResolvedPair, clockMs = NOW) {
  return createPrimaryLockEvidenceActivity({ pairs: [pair], heartbeats: sourceFor(pair), state, clock: () => new Date(clockMs), logger });
}

const dbAgo = (seconds: number): Date => new Date(table.now().getTime() - seconds * SECOND);

function monitorDeps(pair: ReturnType<typeof pairOn>, at: number): Parameters<typeof checkHeartbeat>[0] {
  return { pairs: [pair], state, channels: { forPair: () => ({ preferred: [], fallback: [] }) }, clock: () => new Date(at), logger: silentLogger, maxConcurrency: 1, heartbeats: sourceFor(pair) };
}

describe('the primaryLockEvidence activity', () => {
  it.each<[string, () => LockRow, object]>([
    ['the Primary owns the lock', () => ({ owner: 'ADT-PRI01', heartbeatUtc: dbAgo(42) }), { state: 'primary-owner', owner: 'ADT-PRI01', ageSeconds: 42 }],
    ['the Primary owns it under its DNS name', () => ({ owner: 'adt-pri01.corp.example', heartbeatUtc: dbAgo(400) }), { state: 'primary-owner', owner: 'adt-pri01.corp.example', ageSeconds: 400 }],
    ['the Primary owns it but never wrote a heartbeat', () => ({ owner: 'ADT-PRI01', heartbeatUtc: null }), { state: 'primary-owner', owner: 'ADT-PRI01' }],
    ['the lock was released', () => ({ owner: null, heartbeatUtc: dbAgo(30) }), { state: 'released' }],
    ['the owner is blank', () => ({ owner: '', heartbeatUtc: dbAgo(30) }), { state: 'released' }],
    ['the Secondary owns the lock', () => ({ owner: 'ADT-SEC01', heartbeatUtc: dbAgo(5) }), { state: 'other-owner', owner: 'ADT-SEC01' }],
    ['a stranger owns the lock', () => ({ owner: 'LAPTOP-7', heartbeatUtc: dbAgo(5) }), { state: 'other-owner', owner: 'LAPTOP-7' }],
  ])('tells when %s, reading the lock now', async (_case, row, expected) => {
    table.set('Default', row());
    const pair = pairOn(peer.port);

    const evidence = await activityFor(pair)({ pairId: pair.id });

    expect(evidence).toEqual({ ...expected, detail: expect.any(String) });
  });

  it("measures the age on the database's clock, however far the watchdog's clock is off", async () => {
    table.clockSkewMs = -3 * 3_600_000;
    table.set('Default', { owner: 'ADT-PRI01', heartbeatUtc: dbAgo(42) });
    const pair = pairOn(peer.port);

    expect(await activityFor(pair)({ pairId: pair.id })).toMatchObject({ state: 'primary-owner', ageSeconds: 42, detail: expect.stringContaining('database clock') });
  });

  it("gives no age when only its own read failed: the Primary may have written heartbeats after the monitor's last read", async () => {
    const pair = pairOn(peer.port);
    table.set('Default', { owner: 'ADT-PRI01', heartbeatUtc: dbAgo(400) });
    await checkHeartbeat(monitorDeps(pair, NOW), pair);
    peer.respond = (request) => sessionChatter(request) ?? { error: { number: 50000, message: 'lock table offline' } };

    const evidence = await activityFor(pair, NOW + 60 * SECOND)({ pairId: pair.id });

    expect(evidence).toEqual({ state: 'unknown', detail: expect.stringMatching(/QUERY_FAILED.*nothing bounds its heartbeat's age/) });
  });

  it('bounds the age by the time since the database stopped answering the monitor, not by the last heartbeat it saw', async () => {
    const pair = pairOn(peer.port);
    table.set('Default', { owner: 'ADT-PRI01', heartbeatUtc: dbAgo(400) });
    await checkHeartbeat(monitorDeps(pair, NOW), pair);
    peer.respond = (request) => sessionChatter(request) ?? { error: { number: 50000, message: 'lock table offline' } };
    await checkHeartbeat(monitorDeps(pair, NOW + 30 * SECOND), pair);
    await checkHeartbeat(monitorDeps(pair, NOW + 60 * SECOND), pair);

    const evidence = await activityFor(pair, NOW + 120 * SECOND)({ pairId: pair.id });

    // First failed check at NOW + 30 s: 90 s ago. The last heartbeat seen (520 s) would overstate it.
    expect(evidence).toEqual({ state: 'unknown', ageSeconds: 90, detail: expect.stringMatching(/QUERY_FAILED.*since 2026-11-22T12:00:30.000Z.*at least 90 s old/) });
  });

  it('answers unknown without an age when the database cannot be reached and the monitor has not checked the pair', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const pair = pairOn(port);

    const evidence = await activityFor(pair)({ pairId: pair.id });

    expect(evidence).toEqual({ state: 'unknown', detail: expect.stringContaining("nothing bounds its heartbeat's age") });
    expect(evidence.detail).toMatch(/UNREACHABLE/);
    expect(evidence.detail).not.toContain(DEFAULT_LOGIN.password);
  });

  it("answers unknown, and logs why, when neither the database nor the monitor's record can be read", async () => {
    const pair = pairOn(peer.port);
    peer.respond = (request) => sessionChatter(request) ?? { error: { number: 50000, message: 'lock table offline' } };
    const container = blob.getContainerClient(stateContainer);
    await container.createIfNotExists();
    await container.getBlockBlobClient(`${stateKeys.heartbeat(pair.id)}.json`).upload('{not json', 9);

    expect(await activityFor(pair)({ pairId: pair.id })).toEqual({ state: 'unknown', detail: expect.any(String) });
    expect(warnings).toEqual([expect.stringContaining('heartbeat record unreadable')]);
  });

  it('refuses an input without a pair id, and a pair that is not configured', async () => {
    const pair = pairOn(peer.port);
    const activity = activityFor(pair);

    await expect(activity({} as { pairId: string })).rejects.toMatchObject({ code: 'ACTIVITY_INPUT_INVALID', message: expect.stringContaining('pairId') });
    await expect(activity({ pairId: 'hr' })).rejects.toMatchObject({ code: 'UNKNOWN_PAIR' });
  });
});
