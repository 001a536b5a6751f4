import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceHandler } from '../../../agent/commands/startService';
import { ServiceActivity } from '../../../agent/core/serviceActivity';
import { AgentState } from '../../../agent/core/agentState';
import type { ServiceControl, ServiceStatus, WaitTiming } from '../../../agent/service/serviceControl.port';
import { silentLogger } from '../../../shared/ports/logger.port';
import { cleanUpAgents, commands, envelope, MACHINE_ID, releaseStorage, SAS_SIGNATURE, SAS_URL, startAgent, T0, type Agent } from './agentHarness';

afterEach(cleanUpAgents);
afterAll(releaseStorage);

const final = (agent: Agent, messageId: string) => agent.repliesTo(messageId).at(-1);

async function running(agent: Agent): Promise<void> {
  await agent.svc.control.start([]);
  await agent.svc.ready();
}

describe('status', () => {
  it('reports service state, startup type, version, MachineID, free disk and whether the database answers', async () => {
    const agent = await startAgent();
    await running(agent);
    const message = envelope(commands.status());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({
      kind: 'succeeded',
      result: {
        service: { state: 'running', startupType: 'manual', pid: expect.any(Number) },
        adTempus: { version: '5.3.1.0', machineId: MACHINE_ID },
        disks: expect.arrayContaining([{ path: agent.stateDir, freeBytes: 500 * 1024 ** 3, totalBytes: 1024 ** 4 }]),
        database: { answers: true },
        fenced: false,
        agentVersion: '0.1.0-test',
      },
    });
  });

  it('reports a disk it cannot read as such and still succeeds', async () => {
    const agent = await startAgent();
    agent.collaborators.diskSpace = async () => {
      throw Object.assign(new Error('gone'), { code: 'ENOENT' });
    };
    const message = envelope(commands.status());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { disks: expect.arrayContaining([{ path: agent.stateDir, problem: 'ENOENT' }]) } });
  });
});

describe('stopService', () => {
  it('sets Disabled, stops and confirms the stop', async () => {
    const agent = await startAgent();
    await running(agent);
    const message = envelope(commands.stop());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'stopped', startupType: 'disabled', wasRunning: true, killed: false } });
    expect(agent.svc.control.lastExit()).toMatchObject({ ordered: true, signal: null, code: 0 });
  });

  it('ends a service that ignores the stop when killAfterTimeout allows it', async () => {
    const agent = await startAgent({ behaviour: 'stubborn' });
    await running(agent);
    const message = envelope(commands.stop(1, true));

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'stopped', killed: true } });
  });

  it('answers STOP_TIMEOUT when the service did not stop within the bound and killing was not allowed', async () => {
    const agent = await startAgent({ behaviour: 'stubborn' });
    await running(agent);
    const message = envelope(commands.stop(1, false));

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'failed', error: { code: 'STOP_TIMEOUT' }, result: { state: 'stop-pending', startupType: 'disabled' } });
  });

  it('succeeds on a service that is already stopped, and still disables it', async () => {
    const agent = await startAgent();
    const message = envelope(commands.stop());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'stopped', startupType: 'disabled', wasRunning: false } });
  });
});

describe('startService', () => {
  it('sets Manual, starts with -takedbcontrol and confirms it runs', async () => {
    const agent = await startAgent();
    await agent.svc.control.setStartupType('disabled');
    const message = envelope(commands.start(['-takedbcontrol']));

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'running', startupType: 'manual', parameters: ['-takedbcontrol'] } });
    await agent.svc.ready();
    expect((await agent.svc.starts()).map((s) => s.parameters)).toEqual([['-takedbcontrol']]);
  });

  it('reports a service that ends during start-up (adTempus refusing a held lock) as SERVICE_CONTROL_FAILED', async () => {
    const agent = await startAgent({ behaviour: 'fails-to-start' });
    const message = envelope(commands.start([]));

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'failed', error: { code: 'SERVICE_CONTROL_FAILED', message: expect.stringContaining('stopped while starting') } });
  });

  it('answers START_TIMEOUT when the service is not running within the bound', async () => {
    // A service stuck in START_PENDING, on a clock that only moves when the handler waits.
    let now = 0;
    const timing: WaitTiming = { pollMs: 1_000, now: () => now, sleep: async (ms) => void (now += ms) };
    const stuck: ServiceControl = {
      query: async (): Promise<ServiceStatus> => ({ state: now === 0 ? 'stopped' : 'start-pending', startupType: 'manual' }),
      setStartupType: async () => undefined,
      start: async () => void (now += 1),
      stop: async () => undefined,
      kill: async () => undefined,
    };
    const dir = await mkdtemp(join(tmpdir(), 'agent-start-'));
    const state = await AgentState.open(dir, { now: () => T0 });
    const handler = startServiceHandler({ control: stuck, activity: new ServiceActivity(state, () => T0), timing, killWaitMs: 0 });

    const outcome = await handler(
      { type: 'startService', parameters: [], timeoutSeconds: 30 },
      { envelope: envelope(commands.start()), fenced: false, log: silentLogger, progress: async () => undefined },
    );

    expect(outcome).toMatchObject({ ok: false, code: 'START_TIMEOUT', result: { state: 'start-pending' } });
    await rm(dir, { recursive: true, force: true });
  });
});

describe('restoreDatabase', () => {
  it('downloads, verifies and restores, with progress replies in order before the result', async () => {
    const agent = await startAgent();
    const message = envelope(commands.restore());

    await agent.deliver(message);

    const replies = agent.repliesTo(message.messageId);
    expect(replies.map((r) => (r.kind === 'progress' ? `progress:${r.progress?.stage}` : r.kind))).toEqual([
      'accepted',
      'progress:downloading',
      'progress:downloading',
      'progress:verified',
      'progress:restoring',
      'progress:restoring',
      'progress:restoring',
      'succeeded',
    ]);
    expect(replies.at(-1)).toMatchObject({ result: { database: 'adTempusPayroll', backupName: 'payroll/8204683599999_20261122T030000Z_ADT-PAY-PRI.bak' } });
    expect(replies[2]?.progress).toEqual({ stage: 'downloading', bytes: 1_048_576, totalBytes: 1_048_576 });
    expect([agent.collaborators.downloader.calls, agent.collaborators.restorer.calls]).toEqual([1, 1]);
  });

  it('refuses while adTempus runs, before touching anything', async () => {
    const agent = await startAgent();
    await running(agent);
    const message = envelope(commands.restore());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'failed', error: { code: 'SERVICE_RUNNING', message: expect.stringContaining('is running') } });
    expect(agent.collaborators.downloader.calls).toBe(0);
  });

  it('refuses with INSUFFICIENT_DISK before downloading when the volume cannot hold the backup', async () => {
    const agent = await startAgent();
    agent.collaborators.diskSpace = async () => ({ freeBytes: 2 * 1_048_576, totalBytes: 10 * 1_048_576 });
    const message = envelope(commands.restore(SAS_URL, 1_048_576));

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'failed', error: { code: 'INSUFFICIENT_DISK' }, result: { neededBytes: 3 * 1_048_576 } });
    expect(agent.collaborators.downloader.calls).toBe(0);
  });

  it('reports the downloader\'s contract codes as they are (CHECKSUM_MISMATCH) and does not restore', async () => {
    const agent = await startAgent();
    agent.collaborators.downloader.downloadAndVerify = async () => {
      throw Object.assign(new Error('The SHA-256 of the backup does not match its metadata'), { code: 'CHECKSUM_MISMATCH' });
    };
    const message = envelope(commands.restore());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'failed', error: { code: 'CHECKSUM_MISMATCH' } });
    expect(agent.collaborators.restorer.calls).toBe(0);
  });

  it('maps a restorer code outside the contract to RESTORE_FAILED and keeps it in the message', async () => {
    const agent = await startAgent();
    agent.collaborators.restorer.restoreDatabase = async () => {
      throw Object.assign(new Error('Cannot connect to SQL Server for the restore'), { code: 'SQL_CONNECT_FAILED' });
    };
    const message = envelope(commands.restore());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'failed', error: { code: 'RESTORE_FAILED', message: expect.stringContaining('(SQL_CONNECT_FAILED)') } });
  });

  it('never lets the SAS URL reach a log line or a reply, even when a collaborator quotes it', async () => {
    const agent = await startAgent();
    agent.collaborators.downloader.downloadAndVerify = async (request) => {
      throw Object.assign(new Error(`Cannot connect to ${request.sasUrl} (ECONNRESET)`), { code: 'DOWNLOAD_FAILED' });
    };
    const failing = envelope(commands.restore());
    await agent.deliver(failing);
    agent.collaborators.downloader.downloadAndVerify = async (request) => ({ path: `/tmp/${request.backupName.split('/').pop()}` });
    agent.collaborators.restorer.restoreDatabase = async () => ({ source: SAS_URL });
    const succeeding = envelope(commands.restore());
    await agent.deliver(succeeding);
    await agent.deliver(succeeding);

    const everything = JSON.stringify({ logs: agent.logs, replies: agent.replies });
    expect(everything).not.toContain(SAS_SIGNATURE);
    expect(everything).not.toContain(SAS_URL);
    expect(everything).not.toContain('sp=r&');
    expect(final(agent, failing.messageId)).toMatchObject({ error: { code: 'DOWNLOAD_FAILED', message: expect.stringContaining('ADT-PAY-PRI.bak') } });
    expect(agent.logs).toContainEqual(expect.objectContaining({ message: 'Command received', fields: expect.objectContaining({ source: SAS_URL.split('?')[0] }) }));
  });
});

describe('shipBackups', () => {
  it('ships now and reports what was shipped', async () => {
    const agent = await startAgent();
    agent.collaborators.shipper.shipNow = async () => ({ shipped: [{ file: 'payroll_full.bak' }], alreadyShipped: new Array(500).fill({ file: 'old.bak' }), failed: [] });
    const message = envelope(commands.ship());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { shipped: { count: 1, items: [{ file: 'payroll_full.bak' }] }, alreadyShipped: { count: 500 } } });
  });

  it('answers SHIP_FAILED when a backup could not be shipped, with the report', async () => {
    const agent = await startAgent();
    agent.collaborators.shipper.shipNow = async () => ({ shipped: [], failed: [{ file: 'payroll_full.bak', code: 'UPLOAD_FAILED', message: 'status 503' }] });
    const message = envelope(commands.ship());

    await agent.deliver(message);

    expect(final(agent, message.messageId)).toMatchObject({ kind: 'failed', error: { code: 'SHIP_FAILED' }, result: { failed: { count: 1 } } });
  });
});
