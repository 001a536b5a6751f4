import '../../functions/heartbeatMonitor';
import '../../functions/agentInbox';
import { InvocationContext } from '@azure/functions';
import { getRegistration } from '../../local/functionsCore';
import { useOrchestrationClient } from '../../shared/composition/orchestrationClient';
import type { OrchestrationClient } from '../../shared/ports/orchestrationClient.port';
import { COMMAND_CONTRACT_VERSION, type AgentHeartbeat } from '../../shared/contracts/agentCommands';
import { BlobServiceClient } from '@azure/storage-blob';
import type { HeartbeatRecord } from '../../shared/services/heartbeatMonitor';
import { peerPair, startMonitorFixture, type MonitorFixture } from '../support/monitorFixture';
import { LockTable, TdsPeer, lockTableResponder, sessionChatter } from '../support/tdsPeer';

const NOTIFY = { teamsWebhookSettings: ['TEAMS_ERP'], email: ['ops@example.com'] };
let f: MonitorFixture;
let slowSql: TdsPeer;
const slowLocks = new LockTable();

beforeAll(async () => {
  slowSql = await TdsPeer.start({ respond: lockTableResponder(slowLocks) });
  f = await startMonitorFixture(
    'heartbeat-fn',
    (port) => [
      peerPair(port, { id: 'erp', instanceName: 'Erp', notify: NOTIFY }),
      peerPair(port, { id: 'crm', instanceName: 'Crm', notify: NOTIFY }),
      peerPair(slowSql.port, { id: 'hr', instanceName: 'Hr', notify: NOTIFY }),
      peerPair(port, { id: 'pay', instanceName: 'Pay', notify: NOTIFY, failover: { maxRestartsInPlace: 0 } }),
    ],
    { ERP_PRIMARY_SQL_PASSWORD: 'Test-Passw0rd' },
  );
  process.env.TEAMS_ERP = f.teams.url;
});

afterAll(async () => {
  await f.close();
  await slowSql.stop();
});

const beat = (instance: string, ageSeconds: number, owner = 'ADT-PRI01'): void => {
  const table = instance === 'Hr' ? slowLocks : f.locks;
  table.set(instance, { owner, heartbeatUtc: new Date(table.now().getTime() - ageSeconds * 1000) });
};

async function record(pairId: string): Promise<HeartbeatRecord> {
  const blob = BlobServiceClient.fromConnectionString(f.storage.connectionString)
    .getContainerClient(f.env.WATCHDOG_STATE_CONTAINER!)
    .getBlockBlobClient(`pairs/${pairId}/heartbeat-monitor.json`);
  return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as HeartbeatRecord;
}

interface CardBody {
  attachments: { content: { body: { items: { inlines: { text: string }[] }[] }[] } }[];
}
/** Titles of the Teams cards posted about one pair, in order. */
const cardTitles = (pairId: string): string[] =>
  f.teams.requests
    .filter((r) => r.rawBody.includes(`"Pair ${pairId} ·`))
    .map((r) => (r.body as CardBody).attachments[0]!.content.body[0]!.items[0]!.inlines[1]!.text);
const mailSubjects = (pairId: string): string[] => f.smtp.messages.map((m) => m.subject).filter((s) => s.includes(` ${pairId}: `));

beforeEach(() => {
  f.teams.reset();
  f.smtp.reset();
  f.logs.length = 0;
  slowSql.hang(false);
  for (const instance of ['Erp', 'Crm', 'Hr', 'Pay']) beat(instance, 5);
});

describe('heartbeatMonitor timer', () => {
  it('records a healthy assessment measured on the database clock and tells nobody', async () => {
    f.locks.clockSkewMs = -3_600_000;
    beat('Erp', 12);
    await f.invoke('heartbeatMonitor');
    f.locks.clockSkewMs = 0;
    const r = await record('erp');
    expect(r.assessment).toMatchObject({ state: 'healthy', owner: 'ADT-PRI01' });
    expect(r.assessment.heartbeatAgeSeconds).toBeGreaterThanOrEqual(12);
    expect(r.assessment.heartbeatAgeSeconds).toBeLessThan(14);
    expect(f.teams.requests).toHaveLength(0);
    expect(f.smtp.messages).toHaveLength(0);
  });

  it('alerts once on Teams and by email when a stale heartbeat is confirmed, and resolves when it returns', async () => {
    beat('Erp', 5);
    await f.invoke('heartbeatMonitor');
    beat('Erp', 120);
    await f.invoke('heartbeatMonitor');
    expect(cardTitles('erp')).toHaveLength(0);

    await f.invoke('heartbeatMonitor');
    expect(cardTitles('erp')).toEqual(['Primary heartbeat stale: Primary down suspected']);
    expect(mailSubjects('erp')).toEqual(['[CRITICAL] erp: Primary heartbeat stale: Primary down suspected']);
    const mail = f.smtp.messages.find((m) => m.subject.includes(' erp: '))!;
    expect(mail.text).toMatch(/Heartbeat age \(database clock\)/);
    expect(mail.text).toMatch(/https:\/\/watchdog\.example\.com\/api\/pairs\/erp/);
    expect((await record('erp')).assessment.primaryDown).toMatchObject({ suspected: true, conclusive: true });

    await f.invoke('heartbeatMonitor');
    expect(cardTitles('erp')).toHaveLength(1);

    beat('Erp', 3);
    await f.invoke('heartbeatMonitor');
    expect(cardTitles('erp')).toEqual(['Primary heartbeat stale: Primary down suspected', 'Resolved: Primary heartbeat stale']);
    expect(mailSubjects('erp')).toHaveLength(2);
  });

  it('delivers by email when Teams refuses, and logs the failed channel without its URL', async () => {
    f.teams.respondAlways({ status: 400, body: 'bad card' });
    beat('Crm', 5, 'ADT-OTHER');
    await f.invoke('heartbeatMonitor');
    await f.invoke('heartbeatMonitor');
    expect(mailSubjects('crm')).toEqual(['[CRITICAL] crm: An unexpected machine owns the adTempus lock']);
    expect(f.logs.join('\n')).toMatch(/notification channel failed/);
    expect(f.logs.join('\n')).not.toContain(f.teams.signature);
    expect((await record('crm')).outbox).toEqual([]);
  });

  it('keeps an alert that no channel took and sends it on the next check', async () => {
    beat('Erp', 5, 'ADT-SEC01');
    f.teams.respondAlways({ status: 400 });
    f.smtp.refuseMessages(554);
    await f.invoke('heartbeatMonitor');
    const pending = (await record('erp')).outbox;
    expect(pending.map((p) => [p.notification.title, p.attempts])).toEqual([['adTempus is running on the Secondary', 1]]);
    expect(pending[0]!.lastError).toMatch(/554/);

    f.teams.reset();
    f.smtp.reset();
    await f.invoke('heartbeatMonitor');
    expect(cardTitles('erp')).toEqual(['adTempus is running on the Secondary']);
    expect((await record('erp')).outbox).toEqual([]);
  });

  it('names the columns a wrong heartbeat query returned', async () => {
    const table = f.locks;
    f.sql.respond = (req) =>
      sessionChatter(req) ?? (req.params['instance']?.value === 'Crm'
        ? { columns: [{ name: 'Owner', type: 'nvarchar' }, { name: 'LastBeat', type: 'datetime2' }], rows: [['ADT-PRI01', new Date()]] }
        : lockTableResponder(table)(req));
    try {
      await f.invoke('heartbeatMonitor');
      await f.invoke('heartbeatMonitor');
    } finally {
      f.sql.respond = lockTableResponder(table);
    }
    const message = f.smtp.messages.find((m) => m.subject.includes(' crm: '));
    expect(message?.subject).toBe('[CRITICAL] crm: Watchdog cannot read the adTempus database');
    expect(message?.text).toContain('heartbeat query returned columns [Owner, LastBeat]; expected owner, heartbeatUtc, dbNowUtc');
    expect(message?.text).toMatch(/Fix the heartbeat query/);
  });

  it('checks the other pairs while one database hangs', async () => {
    slowSql.hang(true);
    beat('Erp', 5, 'ADT-SEC01');
    await f.invoke('heartbeatMonitor');
    expect((await record('erp')).assessment.state).toBe('secondary-active');
    expect((await record('hr')).assessment).toMatchObject({ observed: 'unreachable', failure: { code: 'TIMEOUT' } });
  });

  it("shows each host's agent in the assessment: a service that stopped on its own on a live host", async () => {
    const heartbeat: AgentHeartbeat = {
      contract: COMMAND_CONTRACT_VERSION,
      kind: 'agentHeartbeat',
      pairId: 'erp',
      host: 'ADT-PRI01',
      sentAt: new Date().toISOString(),
      sequence: 1,
      bootId: 'boot-a',
      agentVersion: '0.1.0',
      intervalSeconds: 5,
      service: { state: 'stopped', startupType: 'manual', stopOrdered: false },
      epochSeen: 0,
      fenced: false,
    };
    await getRegistration('agentInbox').handler(heartbeat, new InvocationContext({ functionName: 'agentInbox', triggerMetadata: { messageId: 'm1', deliveryCount: 1 } }));
    await f.invoke('heartbeatMonitor');
    const a = (await record('erp')).assessment;
    expect(a.agents?.primary).toMatchObject({ host: 'ADT-PRI01', alive: true, serviceState: 'stopped', stopOrdered: false });
    expect(a.agents?.secondary).toBeUndefined();
    expect(a.evidence).toEqual(
      expect.arrayContaining(['Primary agent (ADT-PRI01): alive, adTempus service stopped (stopped on its own)', 'Secondary agent (ADT-SEC01): never heard from']),
    );
  });
});

describe('heartbeatMonitor timer acting on the failover decision', () => {
  const starts: { name: string; instanceId: string; input: unknown }[] = [];
  const client: OrchestrationClient = {
    start: (name, instanceId, input) => {
      starts.push({ name, instanceId, input });
      return Promise.resolve({ started: true });
    },
    getStatus: () => Promise.resolve(undefined),
    raiseEvent: () => Promise.resolve(false),
  };
  beforeAll(() => useOrchestrationClient(() => client));
  afterAll(() => useOrchestrationClient(undefined));

  it("is registered with the durable client input, and starts the failover through the invocation's client", async () => {
    const bindings = Object.values(getRegistration('heartbeatMonitor').metadata.bindings);
    expect(bindings).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'durableClient', direction: 'in' })]));

    // The monitor must not remember the fresh heartbeats of the tests before: hr's outage began two minutes ago.
    await BlobServiceClient.fromConnectionString(f.storage.connectionString).getContainerClient(f.env.WATCHDOG_STATE_CONTAINER!).deleteBlob('pairs/hr/heartbeat-monitor.json');
    beat('Hr', 120);
    await f.invoke('heartbeatMonitor');
    await f.invoke('heartbeatMonitor');
    expect(starts).toEqual([{ name: 'failover', instanceId: 'failover-hr', input: expect.objectContaining({ pairId: 'hr', trigger: 'automatic', reason: 'PRIMARY_HOST_LOST' }) }]);
    expect((await record('hr')).decision).toMatchObject({ action: 'failover', outcome: 'failover-started' });
    expect(f.logs.join('\n')).toMatch(/heartbeat pass finished .*"failoversStarted":\["hr"\]/);
  });

  it('tells people once that a service which stopped on its own cannot be restarted without Service Bus, and keeps checking', async () => {
    const heartbeat: AgentHeartbeat = {
      contract: COMMAND_CONTRACT_VERSION,
      kind: 'agentHeartbeat',
      pairId: 'crm',
      host: 'ADT-PRI01',
      sentAt: new Date().toISOString(),
      sequence: 1,
      bootId: 'boot-crm',
      agentVersion: '0.1.0',
      intervalSeconds: 60,
      service: { state: 'stopped', startupType: 'automatic', stopOrdered: false },
      epochSeen: 0,
      fenced: false,
    };
    await getRegistration('agentInbox').handler(heartbeat, new InvocationContext({ functionName: 'agentInbox', triggerMetadata: { messageId: 'crm-1', deliveryCount: 1 } }));
    await f.invoke('heartbeatMonitor');
    await f.invoke('heartbeatMonitor');

    expect(mailSubjects('crm')).toEqual(['[CRITICAL] crm: adTempus stopped on ADT-PRI01 and the watchdog cannot restart it']);
    expect(f.logs.join('\n')).toMatch(/automatic restart-in-place unavailable/);
    expect((await record('crm')).decision).toMatchObject({ action: 'restart-in-place', outcome: 'unavailable' });
    expect((await record('crm')).assessment.state).toBe('healthy');
  });
});

describe('agentInbox acting on a Primary that stopped on its own', () => {
  const starts: { instanceId: string; input: unknown }[] = [];
  beforeAll(() =>
    useOrchestrationClient(() => ({
      start: (_name, instanceId, input) => {
        starts.push({ instanceId, input });
        return Promise.resolve({ started: true });
      },
      getStatus: () => Promise.resolve(undefined),
      raiseEvent: () => Promise.resolve(false),
    })),
  );
  afterAll(() => useOrchestrationClient(undefined));

  it("decides at the agent's heartbeat, before any timer pass, through the invocation's durable client; the timer does not start a second", async () => {
    const stopped = (sequence: number): AgentHeartbeat => ({
      contract: COMMAND_CONTRACT_VERSION,
      kind: 'agentHeartbeat',
      pairId: 'pay',
      host: 'ADT-PRI01',
      sentAt: new Date().toISOString(),
      sequence,
      bootId: 'boot-pay',
      agentVersion: '0.1.0',
      service: { state: 'stopped', startupType: 'automatic', stopOrdered: false },
      epochSeen: 0,
      fenced: false,
    });
    starts.length = 0;
    await getRegistration('agentInbox').handler(stopped(1), new InvocationContext({ functionName: 'agentInbox', triggerMetadata: { messageId: 'pay-1', deliveryCount: 1 }, logHandler: (level, ...args) => f.logs.push(`${level}: ${args.map(String).join(' ')}`) }));

    expect(starts).toEqual([{ instanceId: 'failover-pay', input: expect.objectContaining({ pairId: 'pay', trigger: 'automatic', reason: 'RESTARTS_EXHAUSTED' }) }]);
    expect((await record('pay')).decision).toMatchObject({ action: 'failover', reason: 'RESTARTS_EXHAUSTED', outcome: 'failover-started' });
    expect(f.logs.join('\n')).not.toMatch(/heartbeat pass finished/);

    await getRegistration('agentInbox').handler(stopped(2), new InvocationContext({ functionName: 'agentInbox', triggerMetadata: { messageId: 'pay-2', deliveryCount: 1 }, logHandler: (level, ...args) => f.logs.push(`${level}: ${args.map(String).join(' ')}`) }));
    await f.invoke('heartbeatMonitor');
    expect(starts).toHaveLength(1);
    expect((await record('pay')).decision).toMatchObject({ action: 'failover', outcome: 'failover-already-triggered' });
  });
});
