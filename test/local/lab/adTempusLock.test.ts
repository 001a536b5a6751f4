import { AdTempusLock } from '../../../local/lab/adTempusLock';
import { LockTable, type LockRow } from '../../support/tdsPeer';

const NOW = Date.parse('2026-11-22T02:00:00.000Z');
const DELAY_MS = 30_000;
const ago = (ms: number): Date => new Date(NOW - ms);

function lockWith(row: LockRow | undefined): AdTempusLock {
  const table = new LockTable(() => NOW);
  if (row) table.set('Default', row);
  return new AdTempusLock(table, 'Default', DELAY_MS);
}

describe("the lab's adTempus ownership lock", () => {
  it.each([
    ['a lock nobody ever held', undefined, false, true],
    ['a released lock', { owner: null, heartbeatUtc: ago(1_000) }, false, true],
    ["the machine's own lock, still fresh (a restart after a crash)", { owner: 'adt-erp-sec', heartbeatUtc: ago(1_000) }, false, true],
    ["another machine's lock younger than the takeover delay", { owner: 'ADT-ERP-PRI', heartbeatUtc: ago(DELAY_MS - 1) }, false, false],
    ["another machine's lock exactly as old as the takeover delay", { owner: 'ADT-ERP-PRI', heartbeatUtc: ago(DELAY_MS) }, false, true],
    ["another machine's lock without a heartbeat", { owner: 'ADT-ERP-PRI', heartbeatUtc: null }, false, false],
    ["another machine's fresh lock, with -takedbcontrol", { owner: 'ADT-ERP-PRI', heartbeatUtc: ago(1_000) }, true, true],
  ])('on %s (-takedbcontrol: %s), a start takes the lock: %s', (_case, row, takeControl, taken) => {
    const lock = lockWith(row);

    const result = lock.acquire('ADT-ERP-SEC', { takeControl });

    expect(result.ok).toBe(taken);
    expect(lock.owner).toBe(taken ? 'ADT-ERP-SEC' : 'ADT-ERP-PRI');
    if (taken) expect(lock.row?.heartbeatUtc).toEqual(new Date(NOW));
  });

  it('names the owner, the heartbeat age and the way out when it refuses', () => {
    const result = lockWith({ owner: 'ADT-ERP-PRI', heartbeatUtc: ago(12_000) }).acquire('ADT-ERP-SEC', { takeControl: false });

    expect(result).toEqual({
      ok: false,
      owner: 'ADT-ERP-PRI',
      ageMs: 12_000,
      message: 'the database is owned by ADT-ERP-PRI (heartbeat 12 s old; a new owner may take over after 30 s); start with -takedbcontrol to take control now',
    });
  });

  it('accepts a heartbeat from the owner only, so a service that lost control learns it', () => {
    const lock = lockWith({ owner: 'ADT-ERP-SEC', heartbeatUtc: ago(5_000) });

    expect(lock.heartbeat('ADT-ERP-PRI')).toEqual({ ok: false, owner: 'ADT-ERP-SEC', message: 'ADT-ERP-SEC has taken control of the database' });
    expect(lock.row?.heartbeatUtc).toEqual(ago(5_000));
    expect(lock.heartbeat('ADT-ERP-SEC')).toEqual({ ok: true });
    expect(lock.row?.heartbeatUtc).toEqual(new Date(NOW));
  });

  it("releases on the owner's clean stop only, keeping the last heartbeat time", () => {
    const lock = lockWith({ owner: 'ADT-ERP-PRI', heartbeatUtc: ago(2_000) });

    expect(lock.release('ADT-ERP-SEC')).toBe(false);
    expect(lock.owner).toBe('ADT-ERP-PRI');
    expect(lock.release('ADT-ERP-PRI')).toBe(true);
    expect(lock.row).toEqual({ owner: null, heartbeatUtc: ago(2_000) });
  });

  it("measures the heartbeat's age on the database's clock", () => {
    const lock = lockWith({ owner: 'ADT-ERP-PRI', heartbeatUtc: ago(10_000) });
    lock.table.clockSkewMs = 25_000;

    expect(lock.ageMs()).toBe(35_000);
    expect(lock.acquire('ADT-ERP-SEC', { takeControl: false }).ok).toBe(true);
  });
});
