import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentReply } from '../../../shared/contracts/agentCommands';
import { AgentState } from '../../../agent/core/agentState';

const T0 = new Date('2026-11-22T02:00:00.000Z');
let dir: string;
let now: Date;
const open = (options: { maxEntries?: number; maxAgeMs?: number } = {}) => AgentState.open(dir, { now: () => now, ...options });

function reply(messageId: string): AgentReply {
  return {
    contract: 1,
    kind: 'succeeded',
    inReplyTo: messageId,
    correlationId: 'c',
    pairId: 'payroll',
    host: 'ADT-PAY-SEC',
    epoch: 1,
    commandType: 'status',
    at: now.toISOString(),
    result: { ok: true },
  };
}
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-state-test-'));
  now = T0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('AgentState', () => {
  it('starts at epoch 0 with nothing processed in a new folder', async () => {
    const state = await open();

    expect(state.highestEpoch).toBe(0);
    expect(state.entry(id(1))).toBeUndefined();
  });

  it('keeps a raised epoch across a reopen, and never lowers it', async () => {
    const state = await open();
    await state.raiseEpoch(4);

    const lowered = await state.raiseEpoch(2);
    const reopened = await open();

    expect(lowered).toBe(false);
    expect(reopened.highestEpoch).toBe(4);
  });

  it('keeps a finished command with its reply, and a started one as started, across a reopen', async () => {
    const state = await open();
    await state.recordStarted(id(1), 'status');
    await state.recordFinished(id(1), 'status', reply(id(1)));
    await state.recordStarted(id(2), 'startService');

    const reopened = await open();

    expect(reopened.entry(id(1))).toMatchObject({ status: 'done', reply: reply(id(1)) });
    expect(reopened.entry(id(2))).toMatchObject({ status: 'started', commandType: 'startService' });
  });

  it('keeps only the newest entries beyond its size bound', async () => {
    const state = await open({ maxEntries: 3 });
    for (let n = 1; n <= 5; n++) await state.recordFinished(id(n), 'status', reply(id(n)));

    const reopened = await open({ maxEntries: 3 });

    expect([1, 2, 3, 4, 5].map((n) => reopened.entry(id(n)) !== undefined)).toEqual([false, false, true, true, true]);
  });

  it('drops entries older than its age bound', async () => {
    const state = await open({ maxAgeMs: 60_000 });
    await state.recordFinished(id(1), 'status', reply(id(1)));
    now = new Date(T0.getTime() + 120_000);

    await state.recordFinished(id(2), 'status', reply(id(2)));

    expect(state.entry(id(1))).toBeUndefined();
    expect(state.entry(id(2))).toBeDefined();
  });

  it('lands every one of many concurrent writes, and leaves no temp file behind', async () => {
    const state = await open();

    await Promise.all([state.raiseEpoch(3), ...[1, 2, 3, 4].map((n) => state.recordStarted(id(n), 'status')), state.rememberStopOrdered(true)]);

    const onDisk = JSON.parse(await readFile(join(dir, 'agent-state.json'), 'utf8')) as { highestEpoch: number; commands: unknown[]; service: { stopOrdered: boolean } };
    expect(onDisk).toMatchObject({ highestEpoch: 3, service: { stopOrdered: true } });
    expect(onDisk.commands).toHaveLength(4);
    expect(await readdir(dir)).toEqual(['agent-state.json']);
  });

  it('refuses to open a state file that is not JSON instead of forgetting the epoch', async () => {
    await writeFile(join(dir, 'agent-state.json'), '{"version":1,"highestEpoch":');

    await expect(open()).rejects.toMatchObject({ code: 'AGENT_STATE_CORRUPT', message: expect.stringContaining('agent-state.json') });
  });

  it('refuses a state file of the wrong shape', async () => {
    await writeFile(join(dir, 'agent-state.json'), JSON.stringify({ version: 1, highestEpoch: -1, commands: [] }));

    await expect(open()).rejects.toMatchObject({ code: 'AGENT_STATE_CORRUPT' });
  });

  it('reports a write that fails and keeps working once the folder is back', async () => {
    const state = await open();
    await rm(dir, { recursive: true, force: true });

    await expect(state.raiseEpoch(1)).rejects.toMatchObject({ code: 'AGENT_STATE_WRITE_FAILED' });
    await mkdir(dir);
    await state.raiseEpoch(2);
    expect((await open()).highestEpoch).toBe(2);
  });
});
