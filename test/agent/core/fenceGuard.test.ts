import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from '@azure/storage-blob';
import { createFenceReader } from '../../../agent/fence/blobFenceReader';
import { isRunning, isStopped } from '../../../agent/service/serviceControl.port';
import { cleanUpAgents, commands, envelope, fenceContainer, HOST, OTHER_HOST, PAIR, releaseStorage, startAgent, storageForTests, T0, type Agent } from './agentHarness';

afterEach(cleanUpAgents);
afterAll(releaseStorage);

async function fencedAgent(options: { running?: boolean } = {}): Promise<Agent> {
  const fence = await fenceContainer();
  await fence.writeFence({ epoch: 4, activeHost: OTHER_HOST });
  const agent = await startAgent({ container: fence.name });
  if (options.running) {
    await agent.svc.control.start([]);
    await agent.svc.ready();
  }
  return agent;
}

const lastReply = (agent: Agent, messageId: string) => agent.repliesTo(messageId).at(-1);

describe('Fencing: a host that is not the active side', () => {
  it.each([
    ['startService', commands.start()],
    ['restoreDatabase', commands.restore()],
    ['shipBackups', commands.ship()],
  ])('refuses %s with FENCED and runs nothing', async (_type, command) => {
    const agent = await fencedAgent();
    const message = envelope(command, { epoch: 4 });

    await agent.deliver(message);

    expect(agent.repliesTo(message.messageId)).toEqual([expect.objectContaining({ kind: 'failed', error: expect.objectContaining({ code: 'FENCED' }) })]);
    expect(await agent.svc.starts()).toEqual([]);
    expect(agent.collaborators.downloader.calls + agent.collaborators.restorer.calls + agent.collaborators.shipper.calls).toBe(0);
  });

  it('still answers status, saying it is fenced and who is active', async () => {
    const agent = await fencedAgent();
    const message = envelope(commands.status(), { epoch: 4 });

    await agent.deliver(message);

    expect(lastReply(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { fenced: true, activeHost: OTHER_HOST, epochSeen: 4 } });
  });

  it('still carries out stopService', async () => {
    const agent = await fencedAgent({ running: true });
    const message = envelope(commands.stop(), { epoch: 4 });

    await agent.deliver(message);

    expect(lastReply(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'stopped', startupType: 'disabled' } });
  });

  it('stops and disables a running adTempus as soon as a command shows it is fenced, and persists the epoch', async () => {
    const agent = await fencedAgent({ running: true });

    await agent.deliver(envelope(commands.status(), { epoch: 1 }));

    expect(await agent.svc.control.query()).toEqual({ state: 'stopped', startupType: 'disabled' });
    const onDisk = JSON.parse(await readFile(join(agent.stateDir, 'agent-state.json'), 'utf8')) as { highestEpoch: number; fence: { fenced: boolean } };
    expect(onDisk).toMatchObject({ highestEpoch: 4, fence: { fenced: true } });
    expect(agent.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('This host is fenced') }));
  });

  it('refuses a command older than the fence record\'s epoch, even one it had not seen before', async () => {
    const fence = await fenceContainer();
    await fence.writeFence({ epoch: 6, activeHost: HOST });
    const agent = await startAgent({ container: fence.name });
    const message = envelope(commands.start(), { epoch: 5 });

    await agent.deliver(message);

    expect(agent.repliesTo(message.messageId)).toEqual([expect.objectContaining({ kind: 'failed', epoch: 6, error: expect.objectContaining({ code: 'STALE_EPOCH' }) })]);
    expect(await agent.svc.starts()).toEqual([]);
  });

  it('on start-up stops and disables adTempus, and its heartbeat says fenced with the epoch it learnt', async () => {
    const agent = await fencedAgent({ running: true });

    await agent.core.start();
    const fields = await agent.core.heartbeatFields();

    expect(await agent.svc.control.query()).toEqual({ state: 'stopped', startupType: 'disabled' });
    expect(fields).toMatchObject({ fenced: true, epochSeen: 4, service: { state: 'stopped', startupType: 'disabled', stopOrdered: true } });
    expect(agent.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('This host is fenced'), fields: expect.objectContaining({ activeHost: OTHER_HOST }) }));
  });

  it('keeps the Secondary fenced while no fence record names it: no start before the failover fences', async () => {
    const fence = await fenceContainer();
    const agent = await startAgent({ container: fence.name, primaryHost: OTHER_HOST });
    const refused = envelope(commands.start());

    await agent.deliver(refused);

    expect(lastReply(agent, refused.messageId)).toMatchObject({ kind: 'failed', error: { code: 'FENCED' } });
    expect(await agent.svc.starts()).toEqual([]);
    expect((await agent.core.heartbeatFields()).fenced).toBe(true);

    await fence.writeFence({ epoch: 1, activeHost: HOST });
    const allowed = envelope(commands.start(), { epoch: 1 });
    await agent.deliver(allowed);
    expect(lastReply(agent, allowed.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'running' } });
  });

  it('lets the Primary start adTempus while no fence record exists', async () => {
    const agent = await startAgent({ container: (await fenceContainer()).name, primaryHost: HOST });
    const message = envelope(commands.start());

    await agent.deliver(message);

    expect(lastReply(agent, message.messageId)).toMatchObject({ kind: 'succeeded' });
  });

  it('lets the active host start adTempus', async () => {
    const fence = await fenceContainer();
    await fence.writeFence({ epoch: 4, activeHost: HOST.toLowerCase() });
    const agent = await startAgent({ container: fence.name });
    const message = envelope(commands.start(), { epoch: 4 });

    await agent.deliver(message);

    expect(lastReply(agent, message.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'running', startupType: 'manual' } });
  });
});

describe('Fencing: a fence record that cannot be read', () => {
  async function agentWithUnreadableFence(): Promise<Agent> {
    const fence = await fenceContainer();
    await fence.writeRaw('{"pairId": "payroll", "epoch": ');
    return startAgent({ container: fence.name });
  }

  it.each([
    ['startService', commands.start()],
    ['restoreDatabase', commands.restore()],
  ])('refuses %s: fail closed', async (_type, command) => {
    const agent = await agentWithUnreadableFence();
    const message = envelope(command);

    await agent.deliver(message);

    expect(agent.repliesTo(message.messageId)).toEqual([
      expect.objectContaining({ kind: 'failed', error: { code: 'FENCE_UNAVAILABLE', message: expect.stringContaining('fence record could not be read') } }),
    ]);
    expect(await agent.svc.starts()).toEqual([]);
  });

  it('still carries out stopService and answers status: fail open for what cannot start adTempus', async () => {
    const agent = await agentWithUnreadableFence();
    await agent.svc.control.start([]);
    await agent.svc.ready();
    const stop = envelope(commands.stop());
    const status = envelope(commands.status());

    await agent.deliver(stop);
    await agent.deliver(status);

    expect(lastReply(agent, stop.messageId)).toMatchObject({ kind: 'succeeded', result: { state: 'stopped' } });
    expect(lastReply(agent, status.messageId)).toMatchObject({ kind: 'succeeded' });
  });

  it('leaves a running adTempus alone at start-up: a storage outage must not stop a healthy Primary', async () => {
    const agent = await agentWithUnreadableFence();
    await agent.svc.control.start([]);
    await agent.svc.ready();

    await agent.core.start();

    expect(isRunning(await agent.svc.control.query())).toBe(true);
    expect((await agent.core.heartbeatFields()).fenced).toBe(false);
  });

  it('refuses a record that names another pair', async () => {
    const fence = await fenceContainer();
    await fence.writeRaw(JSON.stringify({ pairId: 'erp', epoch: 1, activeHost: HOST, updatedAt: T0.toISOString(), reason: 'x' }));
    const reader = createFenceReader({ source: { kind: 'connectionString', connectionString: await storageForTests() }, container: fence.name });

    await expect(reader.read(PAIR)).rejects.toMatchObject({ code: 'FENCE_RECORD_INVALID' });
  });
});

describe('Fence record access', () => {
  it('reads the record through a read-only container SAS', async () => {
    const fence = await fenceContainer();
    await fence.writeFence({ epoch: 2, activeHost: OTHER_HOST });
    const connectionString = await storageForTests();
    const account = /AccountName=([^;]+)/.exec(connectionString)![1]!;
    const key = /AccountKey=([^;]+)/.exec(connectionString)![1]!;
    const endpoint = /BlobEndpoint=([^;]+)/.exec(connectionString)![1]!;
    const sas = generateBlobSASQueryParameters(
      { containerName: fence.name, permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3_600_000), protocol: SASProtocol.HttpsAndHttp },
      new StorageSharedKeyCredential(account, key),
    ).toString();
    const reader = createFenceReader({ source: { kind: 'containerSasUrl', containerSasUrl: `${endpoint}/${fence.name}?${sas}` }, container: fence.name });

    await expect(reader.read(PAIR)).resolves.toMatchObject({ epoch: 2, activeHost: OTHER_HOST });
  });

  it('reads a missing record as no record', async () => {
    const fence = await fenceContainer();
    const reader = createFenceReader({ source: { kind: 'connectionString', connectionString: await storageForTests() }, container: fence.name });

    await expect(reader.read(PAIR)).resolves.toBeUndefined();
  });
});

describe('Heartbeat fields', () => {
  it('say stopOrdered after a commanded stop', async () => {
    const agent = await startAgent();
    await agent.svc.control.start([]);
    await agent.svc.ready();
    await agent.core.heartbeatFields();

    await agent.deliver(envelope(commands.stop()));

    expect((await agent.core.heartbeatFields()).service).toMatchObject({ state: 'stopped', stopOrdered: true });
  });

  it('say not ordered when the process-based service crashes', async () => {
    const agent = await startAgent();
    await agent.deliver(envelope(commands.start()));
    await agent.svc.ready();
    expect((await agent.core.heartbeatFields()).service).toMatchObject({ state: 'running', stopOrdered: false });
    const { pid } = await agent.svc.control.query();

    process.kill(pid!, 'SIGKILL');
    await agent.svc.waitFor(agent.svc.control, isStopped);

    const fields = await agent.core.heartbeatFields();
    expect(fields.service).toMatchObject({ state: 'stopped', stopOrdered: false, since: T0.toISOString() });
    expect(agent.svc.control.lastExit()).toMatchObject({ ordered: false });
  });

  it('keep an ordered stop ordered across a restart of the agent', async () => {
    const agent = await startAgent();
    await agent.svc.control.start([]);
    await agent.svc.ready();
    await agent.deliver(envelope(commands.stop()));

    const restarted = await agent.restart();

    expect((await restarted.core.heartbeatFields()).service.stopOrdered).toBe(true);
  });

  it('clear stopOrdered once the service runs again', async () => {
    const agent = await startAgent();
    await agent.deliver(envelope(commands.stop()));
    await agent.core.heartbeatFields();

    await agent.deliver(envelope(commands.start()));

    expect((await agent.core.heartbeatFields()).service).toMatchObject({ state: 'running', stopOrdered: false });
  });
});
