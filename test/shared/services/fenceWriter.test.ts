import type { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { fenceKey, type FenceRecord } from '../../../shared/contracts/fenceRecord';
import type { StateStore, WriteCondition, WriteResult } from '../../../shared/ports/stateStore.port';
import { raiseEpoch, type RaiseEpochRequest } from '../../../shared/services/fenceWriter';
import { useFreshStateStore } from '../../support/jest/freshStateStore';

const NOW = new Date('2026-11-22T03:00:00.000Z');
const KEY = fenceKey('erp');

const store = useFreshStateStore('fence');
let state: BlobStateStore;

beforeEach(() => {
  state = store.current;
});

function request(overrides: Partial<RaiseEpochRequest> = {}): RaiseEpochRequest {
  return { pairId: 'erp', activeHost: 'ADT-SEC01', failoverId: 'failover-erp', reason: 'primary host lost', now: NOW, ...overrides };
}

const primaryActive: FenceRecord = { pairId: 'erp', epoch: 4, activeHost: 'ADT-PRI01', updatedAt: '2026-11-01T00:00:00.000Z', reason: 'failback', failoverId: 'failback-erp' };

/**
 * The real Blob store, except that the first `writers` reads wait for each other: every writer
 * then holds the same version, so all but one conditional write really fail at Azurite.
 */
function racing(inner: StateStore, writers: number): StateStore & { readonly conflicts: () => number } {
  const waiting: (() => void)[] = [];
  let heldBack = 0;
  let conflicts = 0;
  return {
    async read<T>(key: string) {
      const read = await inner.read<T>(key);
      if (heldBack < writers) {
        heldBack += 1;
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === writers) for (const release of waiting) release();
        });
      }
      return read;
    },
    async write<T>(key: string, value: T, condition: WriteCondition): Promise<WriteResult> {
      const written = await inner.write(key, value, condition);
      if (!written.ok) conflicts += 1;
      return written;
    },
    conflicts: () => conflicts,
  };
}

describe('raiseEpoch', () => {
  it('writes epoch 1 naming the Secondary when the pair has no fence record yet', async () => {
    const result = await raiseEpoch(state, request());

    expect(result).toEqual({ epoch: 1, activeHost: 'ADT-SEC01', previousEpoch: 0, alreadyRaised: false });
    expect((await state.read<FenceRecord>(KEY))?.value).toEqual({
      pairId: 'erp',
      epoch: 1,
      activeHost: 'ADT-SEC01',
      updatedAt: NOW.toISOString(),
      reason: 'primary host lost',
      failoverId: 'failover-erp',
    });
  });

  it('raises the epoch the record holds by one', async () => {
    await state.write(KEY, primaryActive, { absent: true });

    const result = await raiseEpoch(state, request());

    expect(result).toEqual({ epoch: 5, activeHost: 'ADT-SEC01', previousEpoch: 4, alreadyRaised: false });
    expect((await state.read<FenceRecord>(KEY))?.value).toMatchObject({ epoch: 5, activeHost: 'ADT-SEC01', failoverId: 'failover-erp' });
  });

  it('answers a retry of the same failover with the epoch it raised, without raising it again', async () => {
    await state.write(KEY, primaryActive, { absent: true });
    const first = await raiseEpoch(state, request());
    const before = await state.read<FenceRecord>(KEY);

    const retried = await raiseEpoch(state, request({ now: new Date(NOW.getTime() + 60_000), reason: 'retried' }));

    expect(retried).toEqual({ ...first, alreadyRaised: true });
    expect(await state.read<FenceRecord>(KEY)).toEqual(before);
  });

  it('recognises its own record whatever the case or DNS suffix of the host name', async () => {
    await state.write(KEY, { ...primaryActive, epoch: 5, activeHost: 'adt-sec01.corp.example', failoverId: 'failover-erp' }, { absent: true });

    expect(await raiseEpoch(state, request())).toEqual({ epoch: 5, activeHost: 'adt-sec01.corp.example', previousEpoch: 4, alreadyRaised: true });
  });

  it('raises again for a different failover instance, even when the record already names the Secondary', async () => {
    await state.write(KEY, { ...primaryActive, epoch: 5, activeHost: 'ADT-SEC01', failoverId: 'failover-erp-old' }, { absent: true });

    expect(await raiseEpoch(state, request())).toEqual({ epoch: 6, activeHost: 'ADT-SEC01', previousEpoch: 5, alreadyRaised: false });
  });

  it('keeps the reason within the 500 characters the fence record allows', async () => {
    await raiseEpoch(state, request({ reason: 'x'.repeat(900) }));

    expect((await state.read<FenceRecord>(KEY))?.value.reason).toHaveLength(500);
  });

  it('lets two concurrent writers both raise, one on top of the other, after a real ETag conflict', async () => {
    await state.write(KEY, primaryActive, { absent: true });
    const store = racing(state, 2);

    const results = await Promise.all([raiseEpoch(store, request({ failoverId: 'failover-a' })), raiseEpoch(store, request({ failoverId: 'failover-b' }))]);

    expect(store.conflicts()).toBe(1);
    expect(results.map((r) => [r.previousEpoch, r.epoch]).sort()).toEqual([
      [4, 5],
      [5, 6],
    ]);
    const winner = results.find((r) => r.epoch === 6) === results[0] ? 'failover-a' : 'failover-b';
    expect((await state.read<FenceRecord>(KEY))?.value).toMatchObject({ epoch: 6, failoverId: winner });
  });

  it('lets two racing retries of one failover raise the epoch once: the one that loses the create finds its own record', async () => {
    const store = racing(state, 2);

    const results = await Promise.all([raiseEpoch(store, request()), raiseEpoch(store, request())]);

    expect(store.conflicts()).toBe(1);
    expect(results.map((r) => r.alreadyRaised).sort()).toEqual([false, true]);
    expect(results.every((r) => r.epoch === 1)).toBe(true);
    expect((await state.read<FenceRecord>(KEY))?.value.epoch).toBe(1);
  });

  it('refuses to overwrite a record it cannot read, and leaves it as it is', async () => {
    const unreadable = { pairId: 'erp', epoch: 'seven', activeHost: 'ADT-PRI01' };
    await state.write(KEY, unreadable, { absent: true });
    const before = await state.read(KEY);

    await expect(raiseEpoch(state, request())).rejects.toMatchObject({ code: 'FENCE_RECORD_INVALID' });
    expect(await state.read(KEY)).toEqual(before);
  });
});
