import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileHistoryStore, fileNameOf, HistoryFileUnreadableError } from '../../../local/durable/fileHistoryStore';
import { historyEvent, HistoryEventType } from '../../../local/durable/historyEvent';
import type { InstanceRecord } from '../../../local/durable/historyStore';
import { DurableHarness, VirtualClock } from '../../support/durableHarness';

const MINUTE = 60_000;

let root: string;
let sequence = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'file-history-store-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function freshDirectory(): string {
  return join(root, `store-${++sequence}`);
}

function record(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  const at = new Date('2026-01-05T09:00:00.000Z');
  return {
    instanceId,
    name: 'failover',
    executionId: 'e1',
    runtimeStatus: 'Running',
    input: { pairId: 'erp' },
    createdAt: at.toISOString(),
    lastUpdatedAt: at.toISOString(),
    history: [historyEvent(HistoryEventType.ExecutionStarted, at, { Name: 'failover', Input: '{"pairId":"erp"}' })],
    inbox: [],
    ...overrides,
  };
}

describe('FileHistoryStore', () => {
  it('reads back what it wrote, lists every instance, and knows nothing of an instance never written', async () => {
    const store = await FileHistoryStore.open(freshDirectory());
    const erp = record('failover-erp');
    const payroll = record('failover-payroll', { runtimeStatus: 'Completed', output: { outcome: 'completed' } });

    await store.write(erp);
    await store.write(payroll);

    expect(await store.read('failover-erp')).toEqual(erp);
    expect(await store.read('failover-payroll')).toEqual(payroll);
    expect(await store.read('failover-hr')).toBeUndefined();
    expect((await store.list()).map((r) => r.instanceId).sort()).toEqual(['failover-erp', 'failover-payroll']);
  });

  it('keeps one file per instance, named so that any id (sub-orchestration colons, slashes, capitals) is a distinct, plain file name', async () => {
    const directory = freshDirectory();
    const store = await FileHistoryStore.open(directory);
    const ids = ['failover-erp', 'failover-erp:3', 'a/b\\c', 'ERP', 'erp', '..', 'x.tmp'];

    for (const id of ids) await store.write(record(id));
    await store.write(record('failover-erp', { runtimeStatus: 'Completed' }));

    expect((await readdir(directory)).sort()).toEqual(ids.map((id) => `${fileNameOf(id)}.json`).sort());
    expect(fileNameOf('failover-erp')).toBe('failover-erp');
    expect((await readdir(directory)).every((name) => /^[a-z0-9_%-]+\.json$/.test(name))).toBe(true);
    for (const id of ids) expect((await store.read(id))?.instanceId).toBe(id);
  });

  it('replaces a record whole: a reader racing many overwrites only ever sees a complete record', async () => {
    const store = await FileHistoryStore.open(freshDirectory());
    // Large enough that a write in place would be seen half done.
    const bulky = (n: number): InstanceRecord => record('failover-erp', { customStatus: { version: n, padding: 'x'.repeat(256 * 1024) } });
    await store.write(bulky(0));
    const versions: number[] = [];
    let writing = true;

    const writes = (async () => {
      for (let n = 1; n <= 30; n++) await store.write(bulky(n));
      writing = false;
    })();
    while (writing) versions.push(((await store.read('failover-erp'))?.customStatus as { version: number }).version);
    await writes;

    expect(versions.length).toBeGreaterThan(0);
    expect(versions.every((v) => Number.isInteger(v))).toBe(true);
    expect(((await store.read('failover-erp'))?.customStatus as { version: number }).version).toBe(30);
  });

  it('ignores a half-written temp file a crashed writer left behind, and removes it when opened again', async () => {
    const directory = freshDirectory();
    const store = await FileHistoryStore.open(directory);
    await store.write(record('failover-erp'));
    const leftover = join(directory, 'failover-erp.json.4242-7-deadbeef.tmp');
    await writeFile(leftover, '{"instanceId":"failover-erp","name":"fail');

    expect((await store.list()).map((r) => r.instanceId)).toEqual(['failover-erp']);
    expect(await store.read('failover-erp')).toEqual(record('failover-erp'));

    const reopened = await FileHistoryStore.open(directory);
    expect(await readdir(directory)).toEqual(['failover-erp.json']);
    expect((await reopened.list()).map((r) => r.instanceId)).toEqual(['failover-erp']);
  });

  it('skips and reports a record file that does not parse when listing, and refuses to read it as an instance', async () => {
    const directory = freshDirectory();
    const unreadable: string[] = [];
    const store = await FileHistoryStore.open(directory, { onUnreadable: (file) => unreadable.push(file) });
    await store.write(record('failover-erp'));
    await writeFile(join(directory, 'failover-hr.json'), '');

    expect((await store.list()).map((r) => r.instanceId)).toEqual(['failover-erp']);
    expect(unreadable).toEqual([join(directory, 'failover-hr.json')]);
    await expect(store.read('failover-hr')).rejects.toBeInstanceOf(HistoryFileUnreadableError);
  });

  it('writes plain JSON a person can read', async () => {
    const directory = freshDirectory();
    const store = await FileHistoryStore.open(directory);

    await store.write(record('failover-erp'));

    expect(JSON.parse(await readFile(join(directory, 'failover-erp.json'), 'utf8'))).toMatchObject({ instanceId: 'failover-erp', runtimeStatus: 'Running' });
  });

  describe('under the durable engine', () => {
    it('lets a new engine over the same directory resume an instance waiting on a durable timer, without redoing finished work', async () => {
      const prepare = `prepareFile${++sequence}`;
      const finish = `finishFile${sequence}`;
      const waiting = `waitsOnTimer${sequence}`;
      df.app.activity(prepare, { handler: (pair: unknown) => `prepared ${String(pair)}` });
      df.app.activity(finish, { handler: (text: unknown) => `finished ${String(text)}` });
      df.app.orchestration(waiting, function* (context: OrchestrationContext) {
        const prepared: string = yield context.df.callActivity(prepare, context.df.getInput());
        yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 15 * MINUTE));
        const result: unknown = yield context.df.callActivity(finish, prepared);
        return result;
      });
      const directory = freshDirectory();
      const clock = new VirtualClock();
      const before = new DurableHarness({ clock, store: await FileHistoryStore.open(directory) });
      const id = await before.start(waiting, { instanceId: 'failover-erp', input: 'erp' });
      expect(await before.status(id)).toMatchObject({ runtimeStatus: 'Running' });

      before.engine.stop();
      const after = new DurableHarness({ clock, store: await FileHistoryStore.open(directory) });
      const resumed = await after.engine.resumeAll();
      await after.advance(15 * MINUTE);

      expect(resumed).toBe(1);
      expect(await after.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'finished prepared erp' });
      expect(before.activityCalls).toEqual([{ name: prepare, input: 'erp' }]);
      expect(after.activityCalls).toEqual([{ name: finish, input: 'prepared erp' }]);
      expect((await after.history(id)).filter((e) => e.EventType === HistoryEventType.TimerFired)).toHaveLength(1);
    });
  });
});
