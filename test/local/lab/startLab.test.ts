import '../../../functions/heartbeatMonitor';
import '../../../functions/backupMonitor';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { InvocationContext, type Timer } from '@azure/functions';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobSASPermissions } from '@azure/storage-blob';
import { getRegistration } from '../../../local/functionsCore';
import { decodeLabBackup } from '../../../local/lab/labBackupFile';
import { sentNotifications, startLabControl } from '../../../local/lab/labControl';
import { ANY_LAB_PORTS } from '../../../local/lab/labSettings';
import { startLab, type Lab } from '../../../local/lab/startLab';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { SqlHeartbeatSource } from '../../../shared/adapters/sql/sqlHeartbeatSource';
import { closeAppServices } from '../../../shared/composition/appServices';
import { COMMAND_CONTRACT_VERSION, replySchema, type AgentCommand, type AgentReply, type CommandEnvelope } from '../../../shared/contracts/agentCommands';
import { fenceKey, type FenceRecord } from '../../../shared/contracts/fenceRecord';
import { loadConfig } from '../../../shared/config/loadConfig';

// One lab for the whole file, on free ports: the watchdog's monitors against it, its agents taking
// real commands over the broker, a copied-database restore through the configured restore
// command, the control routes, and a clean stop. The tests run in order and build on each other.
let lab: Lab;
let labStartedAt: Date;
let client: ServiceBusClient;
const REPLIES = 'lab-test-replies';
const saved = { ...process.env };

beforeAll(async () => {
  labStartedAt = new Date();
  lab = await startLab({ ports: ANY_LAB_PORTS, heartbeatMs: 500 });
  lab.broker.createQueue({ name: REPLIES });
  client = new ServiceBusClient(lab.settings['ServiceBusConnection']!);
  // Short SQL timeouts keep the cut-off case quick; everything else is the documented configuration.
  Object.assign(process.env, lab.settings, { SQL_CONNECT_TIMEOUT_MS: '1000', SQL_REQUEST_TIMEOUT_MS: '1000' });
  await closeAppServices();
});

afterAll(async () => {
  await closeAppServices();
  process.env = saved;
  await client.close();
  await lab.stop();
});

async function run(name: string): Promise<void> {
  const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
  await getRegistration(name).handler(timer, new InvocationContext({ functionName: name, logHandler: () => undefined }));
}

/** Sends a command to a lab host's queue, as the watchdog does, and returns its final reply. */
async function command(host: string, pairId: string, body: AgentCommand, epoch = 0): Promise<AgentReply> {
  const now = Date.now();
  const envelope: CommandEnvelope = {
    contract: COMMAND_CONTRACT_VERSION,
    messageId: randomUUID(),
    pairId,
    targetHost: host,
    epoch,
    issuedAt: new Date(now).toISOString(),
    notAfter: new Date(now + 60_000).toISOString(),
    replyTo: REPLIES,
    correlationId: `lab-test-${body.type}`,
    command: body,
  };
  await client.createSender(`agent-${host.toLowerCase()}`).sendMessages({ body: envelope, messageId: envelope.messageId, contentType: 'application/json' });
  const receiver = client.createReceiver(REPLIES, { receiveMode: 'receiveAndDelete' });
  try {
    for (let i = 0; i < 100; i++) {
      for (const m of await receiver.receiveMessages(5, { maxWaitTimeInMs: 300 })) {
        const reply = replySchema.parse(m.body);
        if (reply.inReplyTo === envelope.messageId && (reply.kind === 'succeeded' || reply.kind === 'failed')) return reply;
      }
    }
  } finally {
    await receiver.close();
  }
  throw new Error(`no final reply to ${body.type} from ${host}`);
}

async function until<T>(read: () => T | Promise<T>, holds: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await read();
    if (holds(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the condition never held');
}

describe('the lab with the documented configuration', () => {
  it('runs both monitors against its peers with every pair healthy and nobody alerted', async () => {
    await run('heartbeatMonitor');
    await run('backupMonitor');
    expect(sentNotifications(lab)).toEqual([]);
  });

  it('starts with the Primaries running adTempus and owning their locks, and the fenced Secondaries stopped', async () => {
    const state = await lab.state();

    expect(state.pairs.map((p) => [p.id, p.primary.adTempus?.state, p.primary.agent?.fenced, p.secondary.adTempus?.state, p.secondary.agent?.fenced])).toEqual([
      ['erp', 'running', false, 'stopped', true],
      ['payroll', 'running', false, 'stopped', true],
    ]);
    expect(state.pairs.flatMap((p) => p.databases.map((d) => [d.name, d.owner]))).toEqual([
      ['adTempusErp', 'ADT-ERP-PRI'],
      ['adTempusPayrollPri', 'ADT-PAY-PRI'],
      // The copied standby holds last night's restore: the Primary's lock as the backup had it.
      ['adTempusPayrollSec', 'ADT-PAY-PRI'],
    ]);
  });

  it("routes an alert about erp to erp's own Teams webhook and on-call address", async () => {
    lab.sql.main.hang(true);
    try {
      await run('heartbeatMonitor');
      await run('heartbeatMonitor');
    } finally {
      lab.sql.main.hang(false);
    }
    const erp = sentNotifications(lab).filter((n) => n.title.includes('erp') || n.to.includes('erp'));
    expect(erp).toEqual(
      expect.arrayContaining([
        { channel: 'teams', to: '/teams/erp', title: 'CRITICAL: Watchdog cannot read the adTempus database' },
        { channel: 'email', to: 'erp-oncall@example.com', title: '[CRITICAL] erp: Watchdog cannot read the adTempus database' },
      ]),
    );
    const payroll = sentNotifications(lab).filter((n) => n.title.includes('payroll') || n.to === '/teams/default');
    expect(payroll.map((n) => n.to).sort()).toEqual(['/teams/default', 'adtempus-ops@example.com']);
  });
});

describe('an agent in the lab', () => {
  it('stops its simulated adTempus on a stopService command over the broker: stopped, Disabled, lock released', async () => {
    const reply = await command('ADT-PAY-PRI', 'payroll', { type: 'stopService', timeoutSeconds: 10, killAfterTimeout: true });

    expect(reply).toMatchObject({ kind: 'succeeded', result: { state: 'stopped', startupType: 'disabled' } });
    expect(lab.databases.get('adTempusPayrollPri')!.lock.row).toEqual({ owner: null, heartbeatUtc: expect.any(Date) });
    expect((await lab.host('payroll', 'primary').status()).adTempus).toMatchObject({ state: 'stopped', startupType: 'disabled' });
  });

  it('starts it again on a startService command: running, Manual, the lock taken', async () => {
    const reply = await command('ADT-PAY-PRI', 'payroll', { type: 'startService', parameters: [], timeoutSeconds: 10 });

    expect(reply).toMatchObject({ kind: 'succeeded', result: { state: 'running', startupType: 'manual' } });
    expect(lab.databases.get('adTempusPayrollPri')!.lock.owner).toBe('ADT-PAY-PRI');
  });

  it('refuses to start adTempus on a fenced Secondary', async () => {
    const reply = await command('ADT-ERP-SEC', 'erp', { type: 'startService', parameters: ['-takedbcontrol'], timeoutSeconds: 10 });

    expect(reply).toMatchObject({ kind: 'failed', error: { code: 'FENCED' } });
    expect(lab.databases.get('adTempusErp')!.lock.owner).toBe('ADT-ERP-PRI');
  });
});

describe('lab control over HTTP', () => {
  let base: string;
  let control: { close(): Promise<void> };

  beforeAll(async () => {
    const started = await startLabControl(lab, 0);
    control = started;
    base = `http://127.0.0.1:${started.port}`;
  });

  afterAll(async () => {
    await control.close();
  });

  const post = async (path: string): Promise<{ status: number; body: { done?: string; error?: string } }> => {
    const res = await fetch(`${base}${path}`, { method: 'POST' });
    return { status: res.status, body: (await res.json()) as { done?: string; error?: string } };
  };
  const erpLock = (): ReturnType<Lab['databases']['get']> => lab.databases.get('adTempusErp');

  it('hangs the Primary: its agent still answers, its heartbeat ages past several intervals; start resumes it', async () => {
    const hung = await post('/lab/pairs/erp/primary/hang');
    const aged = await until(() => erpLock()!.lock.ageMs()!, (age) => age > 2_000);
    const status = await lab.host('erp', 'primary').status();
    const answer = await command('ADT-ERP-PRI', 'erp', { type: 'status' });
    const resumed = await post('/lab/pairs/erp/primary/start');
    const fresh = await until(() => erpLock()!.lock.ageMs()!, (age) => age < 1_000);

    expect(hung).toMatchObject({ status: 200, body: { done: expect.stringContaining('hangs') } });
    expect(aged).toBeGreaterThan(2_000);
    expect(status).toMatchObject({ power: 'up', hung: true, adTempus: { state: 'running' } });
    expect(answer).toMatchObject({ kind: 'succeeded', result: { service: { state: 'running' }, fenced: false } });
    expect(resumed.body.done).toContain('answers again');
    expect(fresh).toBeLessThan(1_000);
  });

  it('crashes the Primary: adTempus and its agent gone, the lock kept; start boots it and the SCM starts adTempus again', async () => {
    const pid = (await lab.host('erp', 'primary').status()).adTempus!.pid!;

    const crashed = await post('/lab/pairs/erp/primary/crash');
    const down = await lab.host('erp', 'primary').status();
    const ownerWhileDown = erpLock()!.lock.owner;
    const back = await post('/lab/pairs/erp/primary/start');

    expect(crashed.body.done).toContain('crashed');
    expect(down).toMatchObject({ power: 'down', agent: null, adTempus: null });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(ownerWhileDown).toBe('ADT-ERP-PRI');
    expect(back.body.done).toBe('ADT-ERP-PRI is up; the SCM started adTempus (startup Automatic)');
    expect((await lab.host('erp', 'primary').status()).adTempus).toMatchObject({ state: 'running', jobsRun: true });
  });

  it("cuts the watchdog off from one side's database, not from the others on that server, and reconnects it", async () => {
    const source = new SqlHeartbeatSource(loadConfig(lab.settings).pairs, { connectTimeoutMs: 500, requestTimeoutMs: 500 });
    try {
      const cut = await post('/lab/pairs/payroll/primary/database/cut');
      const whileCut = { payroll: await source.read('payroll', 'primary'), erp: await source.read('erp', 'primary') };
      const back = await post('/lab/pairs/payroll/primary/database/reconnect');
      const afterwards = await source.read('payroll', 'primary');

      expect(cut.body.done).toBe('the watchdog is cut off from adTempusPayrollPri');
      expect(whileCut.payroll).toMatchObject({ kind: 'failed' });
      expect(whileCut.erp).toMatchObject({ owner: 'ADT-ERP-PRI' });
      expect(back.body.done).toBe('the watchdog reaches adTempusPayrollPri again');
      expect(afterwards).toMatchObject({ owner: 'ADT-PAY-PRI' });
    } finally {
      await source.close();
    }
  });

  it('answers 404 for an unknown pair or action, and lists notifications', async () => {
    expect(await post('/lab/pairs/nope/primary/crash')).toMatchObject({ status: 404, body: { error: 'no pair "nope" in the lab' } });
    expect(await post('/lab/pairs/erp/primary/explode')).toMatchObject({ status: 404, body: { error: 'no route POST /lab/pairs/erp/primary/explode' } });
    const notifications = (await (await fetch(`${base}/lab/notifications`)).json()) as unknown[];
    expect(notifications).toEqual(sentNotifications(lab));
  });
});

describe("the Primaries' agents", () => {
  it.each(['erp', 'payroll'])("ship %s's backups, written by its running adTempus, to Blob storage on their own", async (pairId) => {
    const backups = lab.blob.getContainerClient('adtempus-backups');
    const newest = async (): Promise<{ name: string; takenAt: string }> => {
      const first = await backups.listBlobsFlat({ prefix: `${pairId}/`, includeMetadata: true }).next();
      if (first.done === true) throw new Error(`no ${pairId} backup`);
      return { name: first.value.name, takenAt: first.value.metadata!['takenat']! };
    };

    const shipped = await until(newest, (b) => Date.parse(b.takenAt) >= labStartedAt.getTime());

    expect(shipped.name).toMatch(new RegExp(`^${pairId}/\\d{13}_\\d{8}T\\d{6}Z_${lab.pairs.find((p) => p.id === pairId)!.primary.hostName}\\.bak$`));
  });
});

describe('a copied-database failover carried out by hand on the lab, step by step as the runbook does', () => {
  it("fences the Primary, restores its newest backup on the Secondary through the configured restore command, and starts the Secondary with -takedbcontrol", async () => {
    const store = new BlobStateStore(lab.blob.getContainerClient('watchdog-state'));
    const fence: FenceRecord = { pairId: 'payroll', epoch: 1, activeHost: 'ADT-PAY-SEC', updatedAt: new Date().toISOString(), reason: 'lab test' };
    expect(await store.write(fenceKey('payroll'), fence, { absent: true })).toMatchObject({ ok: true });
    const stopped = await command('ADT-PAY-PRI', 'payroll', { type: 'stopService', timeoutSeconds: 10, killAfterTimeout: true }, 1);
    const backups = lab.blob.getContainerClient('adtempus-backups');
    const first = await backups.listBlobsFlat({ prefix: 'payroll/', includeMetadata: true }).next();
    if (first.done === true) throw new Error('no payroll backup in the lab');
    const newest = first.value;
    const blob = backups.getBlobClient(newest.name);
    const content = decodeLabBackup(await blob.downloadToBuffer());
    if (typeof content === 'string') throw new Error(content);
    const standby = lab.databases.get('adTempusPayrollSec')!;
    standby.lock.replace({ owner: null, heartbeatUtc: null });

    const restored = await command(
      'ADT-PAY-SEC',
      'payroll',
      {
        type: 'restoreDatabase',
        sasUrl: await blob.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 600_000) }),
        backupName: newest.name,
        sha256: newest.metadata!['sha256']!,
        sizeBytes: newest.properties.contentLength!,
        timeoutSeconds: 60,
      },
      1,
    );
    const lockAfterRestore = standby.lock.row;
    const started = await command('ADT-PAY-SEC', 'payroll', { type: 'startService', parameters: ['-takedbcontrol'], timeoutSeconds: 10 }, 1);

    expect(stopped).toMatchObject({ kind: 'succeeded', result: { state: 'stopped', startupType: 'disabled' } });
    expect(restored).toMatchObject({ kind: 'succeeded' });
    expect(lockAfterRestore).toEqual({ owner: 'ADT-PAY-PRI', heartbeatUtc: new Date(content.heartbeatUtc!) });
    expect(started).toMatchObject({ kind: 'succeeded', result: { state: 'running' } });
    expect(standby.lock.owner).toBe('ADT-PAY-SEC');
    expect((await lab.host('payroll', 'primary').status()).agent).toMatchObject({ fenced: true, epochSeen: 1, activeHost: 'ADT-PAY-SEC' });
  });

  it('keeps an old Primary that crashed while Automatic stopped when it comes back: its agent reads the fence before the SCM starts adTempus', async () => {
    await lab.host('erp', 'primary').crash();
    const store = new BlobStateStore(lab.blob.getContainerClient('watchdog-state'));
    const fence: FenceRecord = { pairId: 'erp', epoch: 1, activeHost: 'ADT-ERP-SEC', updatedAt: new Date().toISOString(), reason: 'lab test' };
    expect(await store.write(fenceKey('erp'), fence, { absent: true })).toMatchObject({ ok: true });

    const back = await lab.host('erp', 'primary').bringBack();
    const status = await lab.host('erp', 'primary').status();

    expect(back).toBe('ADT-ERP-PRI is up (fenced: another host is active); adTempus is stopped (startup disabled)');
    expect(status).toMatchObject({ power: 'up', agent: { fenced: true, epochSeen: 1 }, adTempus: { state: 'stopped', startupType: 'disabled' } });
  });
});

describe('stopping the lab', () => {
  it('ends every simulated adTempus process, closes its ports and removes its folder', async () => {
    const state = await lab.state();
    const pids = state.pairs.flatMap((p) => [p.primary, p.secondary]).flatMap((h) => (h.adTempus?.pid !== undefined ? [h.adTempus.pid] : []));
    expect(pids.length).toBeGreaterThan(0);

    await closeAppServices();
    await client.close();
    await lab.stop();

    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    for (const port of [lab.ports.serviceBus, lab.ports.sql, lab.ports.blob]) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(false)));
        socket.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    }
    expect(existsSync(lab.dir)).toBe(false);
  });
});
