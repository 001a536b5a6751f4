import { createReadOwnerActivity } from '../../../../orchestrations/failover/activities/readOwner';
import { SqlHeartbeatSource } from '../../../../shared/adapters/sql/sqlHeartbeatSource';
import type { ResolvedPair } from '../../../../shared/config/loadConfig';
import type { ReadOwnerInput } from '../../../../shared/contracts/failoverContract';
import { silentLogger } from '../../../../shared/ports/logger.port';
import { databaseAt } from '../../../support/monitorFixture';
import { pairInput, resolvedPair } from '../../../support/pairs';
import { DEFAULT_LOGIN, LockTable, TdsPeer, lockTableResponder, sessionChatter } from '../../../support/tdsPeer';

// Each side's database is its own lock table on the TDS test peer, read by the real mssql client.

const NOW = Date.parse('2026-11-22T12:00:00.000Z');

let peer: TdsPeer;
let primaryTable: LockTable;
let secondaryTable: LockTable;
let source: SqlHeartbeatSource;
let activity: ReturnType<typeof createReadOwnerActivity>;

/** A copied pair whose two databases are on the peer. */
function pairOn(port: number): ResolvedPair {
  const base = pairInput();
  return resolvedPair({
    primary: { ...base.primary, database: databaseAt(port, 'adTempus') },
    secondary: { ...base.secondary, database: databaseAt(port, 'adTempusStandby') },
  });
}

beforeAll(async () => {
  peer = await TdsPeer.start();
});
afterAll(async () => {
  await peer.stop();
});
beforeEach(() => {
  primaryTable = new LockTable(() => NOW);
  secondaryTable = new LockTable(() => NOW);
  const primary = lockTableResponder(primaryTable);
  const secondary = lockTableResponder(secondaryTable);
  peer.respond = (request) => (request.database === 'adTempusStandby' ? secondary(request) : primary(request));
  const onPeer = pairOn(peer.port);
  source = new SqlHeartbeatSource([onPeer], { connectTimeoutMs: 2_000, requestTimeoutMs: 2_000, logger: silentLogger });
  activity = createReadOwnerActivity({ pairs: [onPeer], heartbeats: source });
});
afterEach(async () => {
  await source.close();
});

describe('the readOwner activity', () => {
  it("reads the owner and heartbeat from the side's own database, with the age on its clock", async () => {
    primaryTable.set('Default', { owner: 'ADT-PRI01', heartbeatUtc: new Date(NOW - 900_000) });
    secondaryTable.set('Default', { owner: 'ADT-SEC01', heartbeatUtc: new Date(NOW - 7_000) });

    expect(await activity({ pairId: 'erp', side: 'secondary' })).toEqual({
      ok: true,
      owner: 'ADT-SEC01',
      heartbeatUtc: new Date(NOW - 7_000).toISOString(),
      ageSeconds: 7,
      detail: expect.stringContaining("ADT-SEC01 owns the lock on the secondary's database"),
    });
    expect(await activity({ pairId: 'erp', side: 'primary' })).toMatchObject({ ok: true, owner: 'ADT-PRI01', ageSeconds: 900 });
  });

  it('reports a released lock as owner null', async () => {
    secondaryTable.set('Default', { owner: null, heartbeatUtc: null });

    expect(await activity({ pairId: 'erp', side: 'secondary' })).toEqual({ ok: true, owner: null, detail: expect.stringContaining('released') });
  });

  it('answers ok false with the safe message when the database cannot be read', async () => {
    peer.respond = (request) => sessionChatter(request) ?? { error: { number: 208, message: "Invalid object name 'watchdog.adTempusLock'." } };

    const reading = await activity({ pairId: 'erp', side: 'secondary' });

    expect(reading).toEqual({ ok: false, detail: expect.stringMatching(/QUERY_FAILED.*Invalid object name/) });
    expect(reading.detail).not.toContain(DEFAULT_LOGIN.password);
  });

  it('answers ok false when no row comes back for the instance', async () => {
    expect(await activity({ pairId: 'erp', side: 'primary' })).toEqual({ ok: false, detail: expect.stringContaining('NO_ROW') });
  });

  it.each([
    ['a side that is neither', { pairId: 'erp', side: 'both' }, 'side'],
    ['no pair id', { side: 'primary' }, 'pairId'],
  ])('refuses %s', async (_case, input, path) => {
    await expect(activity(input as unknown as ReadOwnerInput)).rejects.toMatchObject({ code: 'ACTIVITY_INPUT_INVALID', message: expect.stringContaining(path) });
  });
});
