import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { maintenanceActive, type PairControl } from '../../../shared/domain/pairControl';
import { readPairControl } from '../../../shared/services/failoverFacts';
import {
  RESTARTS_KEPT,
  acknowledgeFailover,
  clearMaintenance,
  forgetRestartInPlace,
  recordAutomaticTrigger,
  recordRestartInPlace,
  setMaintenance,
} from '../../../shared/services/pairControl';
import { stateKeys } from '../../../shared/services/stateKeys';
import { testStorage, type TestStorage } from '../../support/azurite';

const T0 = Date.parse('2026-11-22T03:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

let storage: TestStorage;
let state: BlobStateStore;

beforeAll(async () => {
  storage = await testStorage();
});

afterAll(async () => {
  await storage.release();
});

beforeEach(() => {
  state = new BlobStateStore(BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(`control-${randomUUID()}`));
});

const control = async (): Promise<PairControl | undefined> => readPairControl(state, 'erp');

describe('maintenance', () => {
  it('is switched on with who, why and since when, and read back as active until it is switched off', async () => {
    const outcome = await setMaintenance(state, 'erp', { by: 'alice@example.com', reason: 'patching the Primary' }, at(0));

    expect(outcome).toMatchObject({ kind: 'set', control: { maintenance: { by: 'alice@example.com', reason: 'patching the Primary', since: at(0).toISOString() } } });
    expect(maintenanceActive(await control(), at(86_400))).toBe(true);

    expect(await clearMaintenance(state, 'erp', 'bob@example.com')).toMatchObject({ kind: 'cleared', by: 'bob@example.com', previous: { by: 'alice@example.com' } });
    expect((await control())?.maintenance).toBeUndefined();
    expect(maintenanceActive(await control(), at(60))).toBe(false);
  });

  it('ends by itself at its until time', async () => {
    await setMaintenance(state, 'erp', { by: 'alice', reason: 'window', until: at(3600).toISOString() }, at(0));
    expect(maintenanceActive(await control(), at(3599))).toBe(true);
    expect(maintenanceActive(await control(), at(3600))).toBe(false);
  });

  it.each([
    [{ by: '', reason: 'x' }, 'by: must be 1 to 256 characters'],
    [{ by: 'alice', reason: '  ' }, 'reason: must be 1 to 1000 characters'],
    [{ by: 'alice', reason: 'x', until: 'tomorrow' }, 'until: must be an ISO 8601 time'],
    [{ by: 'alice', reason: 'x', until: at(-1).toISOString() }, 'until: must be in the future'],
  ])('refuses %j as a value naming the problem, and writes nothing', async (request, problem) => {
    expect(await setMaintenance(state, 'erp', request, at(0))).toEqual({ kind: 'invalid', problems: [problem] });
    expect(await control()).toBeUndefined();
  });

  it('says so when there is no maintenance to clear', async () => {
    expect(await clearMaintenance(state, 'erp', 'bob')).toEqual({ kind: 'not-in-maintenance' });
  });
});

describe('acknowledgeFailover', () => {
  it('is an error value when no failover is recorded', async () => {
    expect(await acknowledgeFailover(state, 'erp', 'alice', at(0))).toEqual({ kind: 'nothing-to-acknowledge' });
  });

  it('records who ended the cool-down, and keeps the first acknowledgement when asked again', async () => {
    await state.write(stateKeys.control('erp'), { version: 1, restartsInPlace: [], lastFailover: { instanceId: 'failover-erp', completedAt: at(0).toISOString() } }, { absent: true });

    expect(await acknowledgeFailover(state, 'erp', 'alice', at(60))).toMatchObject({ kind: 'acknowledged', lastFailover: { acknowledgedBy: 'alice', acknowledgedAt: at(60).toISOString() } });
    expect(await acknowledgeFailover(state, 'erp', 'bob', at(120))).toMatchObject({ kind: 'already-acknowledged', lastFailover: { acknowledgedBy: 'alice' } });
    expect((await control())?.lastFailover).toEqual({ instanceId: 'failover-erp', completedAt: at(0).toISOString(), acknowledgedBy: 'alice', acknowledgedAt: at(60).toISOString() });
  });
});

describe('restarts in place', () => {
  it('are kept newest last and bounded, however many are recorded', async () => {
    // Recorded out of order on purpose: two monitors with slightly different clocks.
    for (let i = 0; i < RESTARTS_KEPT + 5; i++) await recordRestartInPlace(state, 'erp', at(i % 2 === 0 ? i * 60 : i * 60 - 90));
    const times = (await control())!.restartsInPlace;

    expect(times).toHaveLength(RESTARTS_KEPT);
    expect([...times].sort((a, b) => Date.parse(a) - Date.parse(b))).toEqual(times);
    expect(times.at(-1)).toBe(at((RESTARTS_KEPT + 4) * 60).toISOString());
  });

  it('take back only the restart whose command was not sent', async () => {
    await recordRestartInPlace(state, 'erp', at(0));
    await recordRestartInPlace(state, 'erp', at(300));
    await forgetRestartInPlace(state, 'erp', at(300));
    expect((await control())!.restartsInPlace).toEqual([at(0).toISOString()]);
  });

  it('are all kept when recorded at the same moment by concurrent writers (ETag conditions)', async () => {
    await Promise.all([0, 1, 2, 3, 4].map((i) => recordRestartInPlace(state, 'erp', at(i))));
    expect((await control())!.restartsInPlace).toHaveLength(5);
  });
});

describe('recordAutomaticTrigger', () => {
  it('keeps the condition, the instance and the time, next to what people set', async () => {
    await setMaintenance(state, 'erp', { by: 'alice', reason: 'window' }, at(0));
    await recordAutomaticTrigger(state, 'erp', '2026-11-22T02:55:00.000Z', 'failover-erp', at(30));
    expect(await control()).toMatchObject({
      maintenance: { by: 'alice' },
      lastAutomaticTrigger: { conditionSince: '2026-11-22T02:55:00.000Z', instanceId: 'failover-erp', at: at(30).toISOString() },
    });
  });
});

it('refuses to overwrite a control record that does not parse', async () => {
  await state.write(stateKeys.control('erp'), { version: 2, hand: 'edited' }, { absent: true });
  await expect(recordRestartInPlace(state, 'erp', at(0))).rejects.toMatchObject({ code: 'CONTROL_RECORD_INVALID' });
  expect((await state.read(stateKeys.control('erp')))?.value).toEqual({ version: 2, hand: 'edited' });
});
