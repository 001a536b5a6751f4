import type { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import type { FailoverResult } from '../../../shared/contracts/failoverContract';
import type { PairControl } from '../../../shared/domain/pairControl';
import { silentLogger } from '../../../shared/ports/logger.port';
import { closeFailover, failoverResultSchema } from '../../../shared/services/failoverAudit';
import { stateKeys } from '../../../shared/services/stateKeys';
import { failoverResult } from './failoverResults';
import { useFreshStateStore } from '../../support/jest/freshStateStore';

const store = useFreshStateStore('audit');
let state: BlobStateStore;

beforeEach(() => {
  state = store.current;
});

const auditKey = (r: FailoverResult): string => stateKeys.failoverAudit(r.pairId, r.instanceId, r.startedAt);
const control = async (): Promise<PairControl | undefined> => (await state.read<PairControl>(stateKeys.control('erp')))?.value;

describe('closeFailover', () => {
  it('keeps the result as the audit record and starts the cool-down of a completed failover, creating the control record', async () => {
    const result = failoverResult();

    expect(await closeFailover({ state, logger: silentLogger }, result)).toEqual({ auditWritten: true, coolDownStarted: true });

    expect((await state.read(auditKey(result)))?.value).toEqual(result);
    expect(await control()).toEqual({ version: 1, restartsInPlace: [], lastFailover: { instanceId: 'failover-erp', completedAt: '2026-11-22T03:12:30.000Z' } });
  });

  it('keeps everything else in the control record', async () => {
    const maintenance = { by: 'ops', reason: 'patching', since: '2026-11-20T00:00:00.000Z' };
    await state.write<PairControl>(stateKeys.control('erp'), { version: 1, maintenance, restartsInPlace: ['2026-11-21T00:00:00.000Z'] }, { absent: true });

    await closeFailover({ state, logger: silentLogger }, failoverResult());

    expect(await control()).toEqual({
      version: 1,
      maintenance,
      restartsInPlace: ['2026-11-21T00:00:00.000Z'],
      lastFailover: { instanceId: 'failover-erp', completedAt: '2026-11-22T03:12:30.000Z' },
    });
  });

  it('can run again: a retry finds both writes done and keeps an acknowledgement given meanwhile', async () => {
    const result = failoverResult();
    await closeFailover({ state, logger: silentLogger }, result);
    const acknowledged: PairControl = { version: 1, restartsInPlace: [], lastFailover: { instanceId: 'failover-erp', completedAt: result.endedAt, acknowledgedBy: 'ops', acknowledgedAt: '2026-11-22T04:00:00.000Z' } };
    const stored = await state.read<PairControl>(stateKeys.control('erp'));
    await state.write(stateKeys.control('erp'), acknowledged, { etag: stored!.etag });
    const audit = await state.read(auditKey(result));

    expect(await closeFailover({ state, logger: silentLogger }, result)).toEqual({ auditWritten: false, coolDownStarted: false });

    expect(await state.read(auditKey(result))).toEqual(audit);
    expect(await control()).toEqual(acknowledged);
  });

  it.each(['aborted', 'stalled'] as const)('keeps the audit record of a failover that ended %s, without starting a cool-down', async (outcome) => {
    const result = failoverResult({ outcome, code: outcome === 'aborted' ? 'REJECTED' : 'START_FAILED' });

    expect(await closeFailover({ state, logger: silentLogger }, result)).toEqual({ auditWritten: true, coolDownStarted: false });

    expect((await state.read(auditKey(result)))?.value).toEqual(result);
    expect(await control()).toBeUndefined();
  });

  it('never lets a late close of an older failover replace a newer one', async () => {
    const newer = failoverResult({ startedAt: '2026-11-23T03:00:00.000Z', endedAt: '2026-11-23T03:10:00.000Z' });
    await closeFailover({ state, logger: silentLogger }, newer);

    expect(await closeFailover({ state, logger: silentLogger }, failoverResult())).toEqual({ auditWritten: true, coolDownStarted: false });
    expect((await control())?.lastFailover).toEqual({ instanceId: 'failover-erp', completedAt: '2026-11-23T03:10:00.000Z' });
  });

  it('keeps the audit record but refuses to overwrite a control record it cannot read', async () => {
    const result = failoverResult();
    await state.write(stateKeys.control('erp'), { version: 2, surprise: true }, { absent: true });

    await expect(closeFailover({ state, logger: silentLogger }, result)).rejects.toMatchObject({ code: 'CONTROL_RECORD_INVALID' });
    expect((await state.read(auditKey(result)))?.value).toEqual(result);
    expect((await state.read(stateKeys.control('erp')))?.value).toEqual({ version: 2, surprise: true });
  });
});

describe('failoverResultSchema', () => {
  it('takes a timing the runbook could not compute (null in JSON) as absent, and keeps fields it does not know', () => {
    const raw = { ...failoverResult(), timings: { detectionSeconds: null, rtoSeconds: null, stepSeconds: {} }, extra: 'kept' };

    const parsed = failoverResultSchema.parse(raw);

    expect(parsed.timings.rtoSeconds).toBeUndefined();
    expect(parsed).toMatchObject({ extra: 'kept', pairId: 'erp' });
  });

  it.each([
    ['an instance id that could climb out of its key', { instanceId: '../control' }, 'instanceId'],
    ['a start time that is not a time', { startedAt: 'yesterday' }, 'startedAt'],
    ['an outcome the runbook does not have', { outcome: 'half-done' }, 'outcome'],
  ])('refuses %s', (_case, override, path) => {
    const parsed = failoverResultSchema.safeParse({ ...failoverResult(), ...override });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
