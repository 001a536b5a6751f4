import { createRaiseEpochActivity } from '../../../../orchestrations/failover/activities/raiseEpoch';
import type { BlobStateStore } from '../../../../shared/adapters/blob/blobStateStore';
import { fenceKey, type FenceRecord } from '../../../../shared/contracts/fenceRecord';
import type { RaiseEpochInput } from '../../../../shared/contracts/failoverContract';
import type { Logger } from '../../../../shared/ports/logger.port';
import { resolvedPair } from '../../../support/pairs';
import { useFreshStateStore } from '../../../support/jest/freshStateStore';

// The fence record in Azurite; the ETag races themselves are tested with the writer (test/shared/services/fenceWriter.test.ts).

const NOW = new Date('2026-11-22T03:00:00.000Z');

const store = useFreshStateStore('epoch');
let state: BlobStateStore;
let logs: string[];
let activity: ReturnType<typeof createRaiseEpochActivity>;

beforeEach(() => {
  state = store.current;
  logs = [];
  const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
  activity = createRaiseEpochActivity({ pairs: [resolvedPair()], state, clock: () => NOW, logger });
});

const input: RaiseEpochInput = { pairId: 'erp', instanceId: 'failover-erp', reason: 'failover failover-erp started 2026-11-22T02:59:00.000Z: PRIMARY_HOST_LOST' };

describe('the raiseEpoch activity', () => {
  it("fences the Primary: the record names the pair's Secondary at the next epoch, for this failover", async () => {
    expect(await activity(input)).toEqual({ epoch: 1, activeHost: 'ADT-SEC01', previousEpoch: 0, alreadyRaised: false });

    expect((await state.read<FenceRecord>(fenceKey('erp')))?.value).toEqual({
      pairId: 'erp',
      epoch: 1,
      activeHost: 'ADT-SEC01',
      updatedAt: NOW.toISOString(),
      reason: input.reason,
      failoverId: 'failover-erp',
    });
    expect(logs).toEqual(['fence raised: the Secondary is now the active host']);
  });

  it('answers its own retry with the same epoch, marked as already raised', async () => {
    const first = await activity(input);

    expect(await activity(input)).toEqual({ ...first, alreadyRaised: true });
    expect((await state.read<FenceRecord>(fenceKey('erp')))?.value.epoch).toBe(1);
  });

  it.each([
    ['no instance id', { pairId: 'erp', reason: 'x' }, 'instanceId'],
    ['an empty reason', { pairId: 'erp', instanceId: 'failover-erp', reason: '' }, 'reason'],
  ])('refuses an input with %s, writing nothing', async (_case, bad, path) => {
    await expect(activity(bad as RaiseEpochInput)).rejects.toMatchObject({ code: 'ACTIVITY_INPUT_INVALID', message: expect.stringContaining(path) });
    expect(await state.read(fenceKey('erp'))).toBeUndefined();
  });

  it('refuses a pair that is not configured', async () => {
    await expect(activity({ ...input, pairId: 'hr' })).rejects.toMatchObject({ code: 'UNKNOWN_PAIR' });
  });
});
