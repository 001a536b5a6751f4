import { createCloseFailoverActivity } from '../../../../orchestrations/failover/activities/closeFailover';
import type { BlobStateStore } from '../../../../shared/adapters/blob/blobStateStore';
import type { CloseFailoverInput } from '../../../../shared/contracts/failoverContract';
import type { PairControl } from '../../../../shared/domain/pairControl';
import { silentLogger } from '../../../../shared/ports/logger.port';
import { stateKeys } from '../../../../shared/services/stateKeys';
import { failoverResult } from '../../../shared/services/failoverResults';
import { useFreshStateStore } from '../../../support/jest/freshStateStore';

const store = useFreshStateStore('close');
let state: BlobStateStore;
let activity: ReturnType<typeof createCloseFailoverActivity>;

beforeEach(() => {
  state = store.current;
  activity = createCloseFailoverActivity({ state, logger: silentLogger });
});

/** The result as it comes out of the durable history: through JSON, where a NaN became null. */
const fromHistory = (input: unknown): CloseFailoverInput => JSON.parse(JSON.stringify(input)) as CloseFailoverInput;

describe('the closeFailover activity', () => {
  it('keeps the audit record and starts the cool-down, and can run again with the same effect', async () => {
    const result = failoverResult();
    const key = stateKeys.failoverAudit('erp', 'failover-erp', result.startedAt);

    await activity(fromHistory({ result }));
    const audit = await state.read(key);
    const control = await state.read<PairControl>(stateKeys.control('erp'));
    await activity(fromHistory({ result }));

    expect(audit?.value).toEqual(result);
    expect(control?.value.lastFailover).toEqual({ instanceId: 'failover-erp', completedAt: result.endedAt });
    expect(await state.read(key)).toEqual(audit);
    expect(await state.read(stateKeys.control('erp'))).toEqual(control);
  });

  it('keeps the audit record of a run whose RTO could not be computed', async () => {
    const result = failoverResult({ outcome: 'stalled', code: 'VERIFY_FAILED', timings: { rtoSeconds: Number.NaN, stepSeconds: {} } });

    await activity(fromHistory({ result }));

    expect((await state.read(stateKeys.failoverAudit('erp', 'failover-erp', result.startedAt)))?.value).toMatchObject({ outcome: 'stalled', code: 'VERIFY_FAILED' });
  });

  it('refuses a result whose instance id cannot name a record, writing nothing', async () => {
    const result = { ...failoverResult(), instanceId: 'failover/../../x' };

    await expect(activity(fromHistory({ result }))).rejects.toMatchObject({ code: 'ACTIVITY_INPUT_INVALID', message: expect.stringContaining('result.instanceId') });
    expect(await state.read(stateKeys.control('erp'))).toBeUndefined();
  });
});
