import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentState } from '../../../agent/core/agentState';
import { startAtBoot, type BootStartDeps } from '../../../agent/core/bootStart';
import type { FenceCheck } from '../../../agent/core/fenceGuard';
import { Mutex } from '../../../agent/core/mutex';
import { ServiceActivity } from '../../../agent/core/serviceActivity';
import { fakeService, fastTiming, type Behaviour, type FakeService } from '../service/fakeService';
import { cleanUpAgents, fenceContainer, HOST, OTHER_HOST, releaseStorage, startAgent, T0, type Agent } from './agentHarness';

afterEach(cleanUpAgents);
afterAll(releaseStorage);

const atBoot = { ADTEMPUS_AGENT_START_AT_BOOT: 'true' };

/** The agent as it comes up on a host after a reboot: fence check first, then the start at boot. */
async function boot(agent: Agent) {
  const first = await agent.core.start();
  return agent.core.startAtBoot(first).outcome;
}

describe('Start at boot (ADTEMPUS_AGENT_START_AT_BOOT), through the agent core', () => {
  it('starts a stopped adTempus, with no parameters, on the Primary while no fence record exists', async () => {
    const agent = await startAgent({ env: atBoot });
    await agent.svc.control.setStartupType('manual');

    expect(await boot(agent)).toEqual({ kind: 'started' });

    expect((await agent.svc.starts()).map((s) => s.parameters)).toEqual([[]]);
    expect(await agent.core.heartbeatFields()).toMatchObject({ service: { state: 'running', stopOrdered: false }, fenced: false });
    expect(agent.logs).toContainEqual(expect.objectContaining({ level: 'info', message: expect.stringContaining('started at boot') }));
  });

  it('starts adTempus on the Secondary once the fence record names it the active side', async () => {
    const fence = await fenceContainer();
    await fence.writeFence({ epoch: 3, activeHost: HOST });
    const agent = await startAgent({ env: atBoot, container: fence.name, primaryHost: OTHER_HOST });

    expect(await boot(agent)).toEqual({ kind: 'started' });
    expect(await agent.svc.starts()).toHaveLength(1);
  });

  it('never starts adTempus on a returning Primary whose fence record names another host, and leaves it Disabled', async () => {
    const fence = await fenceContainer();
    await fence.writeFence({ epoch: 3, activeHost: OTHER_HOST });
    const agent = await startAgent({ env: atBoot, container: fence.name });
    await agent.svc.control.setStartupType('manual');

    expect(await boot(agent)).toEqual({ kind: 'not-active' });

    expect(await agent.svc.starts()).toEqual([]);
    expect(await agent.svc.control.query()).toEqual({ state: 'stopped', startupType: 'disabled' });
  });

  it('leaves a Disabled service alone on the active host, and says so', async () => {
    const agent = await startAgent({ env: atBoot });
    await agent.svc.control.setStartupType('disabled');

    expect(await boot(agent)).toEqual({ kind: 'disabled' });

    expect(await agent.svc.starts()).toEqual([]);
    expect(agent.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('Disabled on the active host') }));
  });

  it('does not start a second copy of an adTempus that is already running', async () => {
    const agent = await startAgent({ env: atBoot });
    await agent.svc.control.start([]);
    await agent.svc.ready();

    expect(await boot(agent)).toEqual({ kind: 'already-running' });
    expect(await agent.svc.starts()).toHaveLength(1);
  });

  it('warns that a service set to Automatic leaves the boot race open', async () => {
    const agent = await startAgent({ env: atBoot });
    await agent.svc.control.setStartupType('automatic');

    expect(await boot(agent)).toEqual({ kind: 'started' });
    expect(agent.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('set to Automatic') }));
  });

  it('reports a service that ends while starting as failed, with the reason in the log', async () => {
    const agent = await startAgent({ env: atBoot, behaviour: 'fails-to-start' });
    await agent.svc.control.setStartupType('manual');

    expect(await boot(agent)).toEqual({ kind: 'failed', reason: expect.stringContaining('stopped while starting') });
    expect(agent.logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'adTempus could not be started at boot' }));
  });
});

describe('Start at boot while the fence record cannot be read', () => {
  const services: FakeService[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.cleanUp()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  const unreadable: FenceCheck = { ok: false, fenced: false, problem: 'the fence record could not be read (ECONNREFUSED)' };
  const active: FenceCheck = { ok: true, fenced: false };

  /** The boot start over a real simulated service, with the fence checks it will see scripted in order. */
  async function bootDeps(checks: FenceCheck[], behaviour: Behaviour = 'normal'): Promise<{ deps: BootStartDeps; svc: FakeService; checksMade: () => number; logs: string[] }> {
    const svc = await fakeService(behaviour);
    services.push(svc);
    await svc.control.setStartupType('manual');
    const dir = await mkdtemp(join(tmpdir(), 'boot-start-'));
    dirs.push(dir);
    const state = await AgentState.open(dir, { now: () => T0 });
    let made = 0;
    const logs: string[] = [];
    const line = (message: string): void => void logs.push(message);
    const deps: BootStartDeps = {
      pairId: 'payroll',
      host: HOST,
      check: async () => checks[Math.min(made++, checks.length - 1)]!,
      control: svc.control,
      activity: new ServiceActivity(state, () => T0),
      serviceLock: new Mutex(),
      timing: fastTiming,
      startTimeoutMs: 10_000,
      retryIntervalMs: 5,
      log: { info: line, warn: line, error: line },
    };
    return { deps, svc, checksMade: () => made, logs };
  }

  it('puts the start off without starting anything, and starts once a later read says this host is active', async () => {
    const { deps, svc, checksMade, logs } = await bootDeps([unreadable, unreadable, active]);

    const run = startAtBoot(deps, unreadable);
    await run.requested;
    const startsWhileUnknown = (await svc.starts()).length;

    expect(await run.outcome).toEqual({ kind: 'started' });
    expect(startsWhileUnknown).toBe(0);
    expect(checksMade()).toBe(3);
    expect(logs).toContain('adTempus is not started at boot until the fence record can be read');
  });

  it('starts nothing when the record, once read, names another host', async () => {
    const { deps, svc } = await bootDeps([unreadable, { ok: true, fenced: true }]);

    expect(await startAtBoot(deps, unreadable).outcome).toEqual({ kind: 'not-active' });
    expect(await svc.starts()).toEqual([]);
  });

  it('gives up when the agent stops before the record could be read', async () => {
    const { deps, svc } = await bootDeps([unreadable]);
    const run = startAtBoot(deps, unreadable);
    await run.requested;

    run.cancel();

    expect(await run.outcome).toEqual({ kind: 'cancelled' });
    expect(await svc.starts()).toEqual([]);
  });

  it('makes a command that arrives during the start wait for it (the service lock)', async () => {
    const { deps, svc } = await bootDeps([active]);
    const run = startAtBoot(deps, active);
    await run.requested;

    // What a stopService command does: it takes the lock, then looks at the service.
    const seenByCommand = await deps.serviceLock.runExclusive(() => svc.control.query());

    expect(seenByCommand.state).toBe('running');
    expect(await run.outcome).toEqual({ kind: 'started' });
  });
});
