import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { COMMAND_CONTRACT_VERSION, type AgentHeartbeat, type AgentReply, type ReplyKind } from '../../../shared/contracts/agentCommands';
import { assessAgent, type AgentLivenessRecord } from '../../../shared/domain/agentLiveness';
import type { Logger } from '../../../shared/ports/logger.port';
import {
  MAX_STORED_REPLIES,
  agentStateKeys,
  readAgentLiveness,
  readReplies,
  recordInboxMessage,
  type InboxDeps,
} from '../../../shared/services/agentLiveness';
import { testStorage, type TestStorage } from '../../support/azurite';
import { resolvedPair } from '../../support/pairs';

const BOOT = 'boot-a';
const T0 = Date.parse('2026-11-22T03:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

let storage: TestStorage;
let state: BlobStateStore;
let now: Date;
let logs: string[];
let deps: InboxDeps;

beforeAll(async () => {
  storage = await testStorage();
});

afterAll(async () => {
  await storage.release();
});

beforeEach(() => {
  // A fresh container per test: records cannot leak between tests.
  const container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(`liveness-${randomUUID()}`);
  state = new BlobStateStore(container);
  now = at(0);
  logs = [];
  const line = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void logs.push(`${level}: ${message} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { info: line('info'), warn: line('warn'), error: line('error') };
  deps = { pairs: [resolvedPair()], state, clock: () => now, logger };
});

function heartbeat(sequence: number, sentAtSeconds: number, overrides: Partial<AgentHeartbeat> = {}): AgentHeartbeat {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    kind: 'agentHeartbeat',
    pairId: 'erp',
    host: 'ADT-PRI01',
    sentAt: at(sentAtSeconds).toISOString(),
    sequence,
    bootId: BOOT,
    agentVersion: '0.1.0',
    service: { state: 'running', startupType: 'automatic', stopOrdered: false },
    epochSeen: 2,
    fenced: false,
    ...overrides,
  };
}

function reply(kind: ReplyKind, atSeconds: number, overrides: Partial<AgentReply> = {}): AgentReply {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    kind,
    inReplyTo: '3f8e2a4c-1b7d-4e9f-8a6b-5c4d3e2f1a0b',
    correlationId: 'failover-erp-7:fence',
    pairId: 'erp',
    host: 'ADT-PRI01',
    epoch: 3,
    commandType: 'stopService',
    at: at(atSeconds).toISOString(),
    ...overrides,
  };
}

async function receive(message: AgentHeartbeat | AgentReply, receivedAtSeconds: number, messageId?: string, enqueuedAtSeconds?: number) {
  now = at(receivedAtSeconds);
  return recordInboxMessage(deps, message, { ...(messageId ? { messageId } : {}), ...(enqueuedAtSeconds !== undefined ? { enqueuedAt: at(enqueuedAtSeconds) } : {}) });
}

const record = async (host = 'ADT-PRI01'): Promise<AgentLivenessRecord | undefined> => readAgentLiveness(state, 'erp', host);

describe('recording agent heartbeats', () => {
  it("records a host's first heartbeat with the watchdog's receive time, the host's send time and the broker's enqueue time", async () => {
    await expect(receive(heartbeat(0, -2), 1, 'm-1', 0)).resolves.toEqual({ kind: 'heartbeat-recorded' });

    expect(await record()).toEqual({
      version: 1,
      pairId: 'erp',
      host: 'ADT-PRI01',
      lastSeenAt: at(1).toISOString(),
      sentAt: at(-2).toISOString(),
      enqueuedAt: at(0).toISOString(),
      bootId: BOOT,
      sequence: 0,
      agentVersion: '0.1.0',
      service: { state: 'running', startupType: 'automatic', stopOrdered: false },
      epochSeen: 2,
      fenced: false,
    });
    expect(logs).toContainEqual(expect.stringContaining('first heartbeat'));
  });

  it('keeps the newest heartbeat: a later one of the same agent process replaces it', async () => {
    await receive(heartbeat(0, 0), 0);
    await receive(heartbeat(1, 15, { service: { state: 'stopped', startupType: 'disabled', stopOrdered: true }, epochSeen: 3, fenced: true }), 15);

    expect(await record()).toMatchObject({
      sequence: 1,
      lastSeenAt: at(15).toISOString(),
      service: { state: 'stopped', stopOrdered: true },
      epochSeen: 3,
      fenced: true,
    });
    expect(logs).toContainEqual(expect.stringMatching(/agent state changed .*service running -> stopped.*fenced/));
  });

  it('ignores an older heartbeat that arrives out of order, even though it arrives later', async () => {
    await receive(heartbeat(5, 75), 75);
    await expect(receive(heartbeat(4, 60), 80)).resolves.toEqual({ kind: 'heartbeat-outdated' });
    await expect(receive(heartbeat(5, 75), 81)).resolves.toEqual({ kind: 'heartbeat-outdated' });

    expect(await record()).toMatchObject({ sequence: 5, lastSeenAt: at(75).toISOString() });
  });

  it('keeps the newest when two executions record heartbeats of one host at the same time', async () => {
    now = at(30);
    await Promise.all([recordInboxMessage(deps, heartbeat(2, 30)), recordInboxMessage(deps, heartbeat(1, 15)), recordInboxMessage(deps, heartbeat(3, 45))]);

    expect(await record()).toMatchObject({ sequence: 3 });
  });

  it("takes a restarted agent's first heartbeat (a new boot id) though its sequence starts again at 0", async () => {
    await receive(heartbeat(40, 600), 600);
    await receive(heartbeat(0, 630, { bootId: 'boot-b' }), 630);

    expect(await record()).toMatchObject({ bootId: 'boot-b', sequence: 0, lastSeenAt: at(630).toISOString() });
    expect(logs).toContainEqual(expect.stringContaining('agent restarted'));
  });

  it('ignores a late heartbeat of an earlier agent process sent before the current one', async () => {
    await receive(heartbeat(0, 630, { bootId: 'boot-b' }), 630);
    await expect(receive(heartbeat(40, 600), 640)).resolves.toEqual({ kind: 'heartbeat-outdated' });

    expect(await record()).toMatchObject({ bootId: 'boot-b', lastSeenAt: at(630).toISOString() });
  });

  it('orders the heartbeats of a restarted agent whose host clock went back an hour by their enqueue time, and counts it alive', async () => {
    const anHourBack = -3600;
    await receive(heartbeat(40, 600), 600, 'm-40', 600);
    await expect(receive(heartbeat(0, 630 + anHourBack, { bootId: 'boot-b' }), 631, 'm-b0', 630)).resolves.toEqual({ kind: 'heartbeat-recorded' });
    await expect(receive(heartbeat(1, 645 + anHourBack, { bootId: 'boot-b' }), 646, 'm-b1', 645)).resolves.toEqual({ kind: 'heartbeat-recorded' });
    // The earlier process's last message, redelivered: its host clock is ahead, its enqueue time is not.
    await expect(receive(heartbeat(40, 600), 650, 'm-40', 600)).resolves.toEqual({ kind: 'heartbeat-outdated' });

    const stored = (await record())!;
    expect(stored).toMatchObject({ bootId: 'boot-b', sequence: 1, lastSeenAt: at(646).toISOString(), enqueuedAt: at(645).toISOString() });
    expect(assessAgent(stored, at(660), 15)).toMatchObject({ alive: true, silentForSeconds: 14 });
  });

  it('keeps one record per host whatever the spelling of its name, under the configured name', async () => {
    await receive(heartbeat(0, 0, { host: 'adt-pri01' }), 0);
    await receive(heartbeat(1, 15), 15);

    expect(await record('adt-pri01')).toMatchObject({ host: 'ADT-PRI01', sequence: 1 });
    expect(agentStateKeys.agent('erp', 'ADT-PRI01')).toBe('pairs/erp/agents/adt-pri01');
  });

  it.each<[string, { pairId: string; host: string }, string]>([
    ['a pair it does not know', { pairId: 'crm', host: 'ADT-PRI01' }, 'unknown pair'],
    ['a host outside the pair', { pairId: 'erp', host: 'ADT-OTHER' }, 'host is not in the pair'],
  ])('writes nothing for a heartbeat from %s', async (_case, sender, reason) => {
    await expect(receive(heartbeat(0, 0, sender), 0)).resolves.toEqual({ kind: 'unknown-sender', reason });

    expect(await readAgentLiveness(state, sender.pairId, sender.host)).toBeUndefined();
    expect(logs).toContainEqual(expect.stringMatching(/^warn: agent heartbeat from an unknown sender ignored/));
  });
});

describe('assessing an agent from its record', () => {
  it.each([
    ['alive right after a heartbeat', 0, true, 0],
    ['alive while silent for exactly three intervals', 45, true, 45],
    ['silent once more than three intervals have passed', 45.1, false, 45.1],
    ['silent long after its last heartbeat', 600, false, 600],
  ])('counts an agent %s', async (_case, secondsLater, alive, silentForSeconds) => {
    await receive(heartbeat(0, 0), 10);

    expect(assessAgent((await record())!, at(10 + secondsLater), 15)).toEqual({
      host: 'ADT-PRI01',
      alive,
      silentForSeconds,
      lastSeenAt: at(10).toISOString(),
      serviceState: 'running',
      stopOrdered: false,
      fenced: false,
      epochSeen: 2,
    });
  });

  it("reports a crashed service on a live host as alive with the service's state, stop not ordered", async () => {
    await receive(heartbeat(3, 45, { service: { state: 'stopped', startupType: 'automatic', stopOrdered: false } }), 45);

    expect(assessAgent((await record())!, at(50), 15)).toMatchObject({ alive: true, serviceState: 'stopped', stopOrdered: false });
  });
});

describe('recording replies', () => {
  it('appends the replies to a command under its correlation id, oldest first', async () => {
    await receive(reply('accepted', 1), 1, 'm-1');
    await receive(reply('succeeded', 9, { result: { state: 'stopped' } }), 10, 'm-2');

    const replies = await readReplies(state, 'erp', 'failover-erp-7:fence');
    expect(replies).toEqual([
      { receivedAt: at(1).toISOString(), messageId: 'm-1', reply: reply('accepted', 1) },
      { receivedAt: at(10).toISOString(), messageId: 'm-2', reply: reply('succeeded', 9, { result: { state: 'stopped' } }) },
    ]);
  });

  it('records a redelivered reply once', async () => {
    await receive(reply('succeeded', 9), 10, 'm-1');
    await expect(receive(reply('succeeded', 9), 11, 'm-1')).resolves.toEqual({ kind: 'reply-duplicate' });

    expect(await readReplies(state, 'erp', 'failover-erp-7:fence')).toHaveLength(1);
  });

  it('keeps replies of different commands apart, whatever characters their correlation ids hold', async () => {
    await receive(reply('succeeded', 1, { correlationId: 'failover/erp 7' }), 1, 'm-1');
    await receive(reply('failed', 2, { correlationId: 'failover-erp-8', error: { code: 'STOP_TIMEOUT', message: 'still running' } }), 2, 'm-2');

    expect((await readReplies(state, 'erp', 'failover/erp 7')).map((r) => r.reply.kind)).toEqual(['succeeded']);
    expect((await readReplies(state, 'erp', 'failover-erp-8')).map((r) => r.reply.kind)).toEqual(['failed']);
  });

  it('keeps the list bounded, letting progress replies go before any outcome', async () => {
    await receive(reply('accepted', 0), 0, 'accepted');
    for (let i = 1; i <= MAX_STORED_REPLIES; i++) await receive(reply('progress', i, { progress: { stage: 'download', percent: i } }), i, `p-${i}`);
    await receive(reply('succeeded', 100), 100, 'succeeded');

    const replies = await readReplies(state, 'erp', 'failover-erp-7:fence');
    expect(replies).toHaveLength(MAX_STORED_REPLIES);
    expect(replies[0]!.reply.kind).toBe('accepted');
    expect(replies.at(-1)!.reply.kind).toBe('succeeded');
    expect(replies[1]!.messageId).toBe('p-3');
  });

  it('writes nothing for a reply from a host outside the pair', async () => {
    await expect(receive(reply('succeeded', 1, { host: 'ADT-OTHER' }), 1, 'm-1')).resolves.toMatchObject({ kind: 'unknown-sender' });

    expect(await readReplies(state, 'erp', 'failover-erp-7:fence')).toEqual([]);
  });
});
