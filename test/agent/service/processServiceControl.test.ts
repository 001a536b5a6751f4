import { writeFile } from 'node:fs/promises';
import { isRunning, isStopped } from '../../../agent/service/serviceControl.port';
import { fakeService, type FakeService } from './fakeService';

let svc: FakeService;

afterEach(async () => {
  await svc.cleanUp();
});

describe('ProcessServiceControl', () => {
  it('starts the service with the start parameters appended: start-pending with a pid, then running once it says ready', async () => {
    svc = await fakeService();

    await svc.control.start(['-takedbcontrol', '-norun']);
    const pending = await svc.control.query();
    const started = await svc.waitFor(svc.control, isRunning);

    expect(pending).toMatchObject({ state: 'start-pending', startupType: 'manual', pid: expect.any(Number) });
    expect(started).toEqual({ state: 'running', startupType: 'manual', pid: pending.pid });
    expect((await svc.starts()).map((s) => s.parameters)).toEqual([['-takedbcontrol', '-norun']]);
  });

  it('stops it with SIGTERM and records the exit as ordered', async () => {
    svc = await fakeService();
    await svc.control.start([]);
    await svc.ready();

    await svc.control.stop();
    await svc.waitFor(svc.control, isStopped);

    expect(svc.control.lastExit()).toMatchObject({ ordered: true });
  });

  it('detects a crash: a process that ends on its own is stopped, and not ordered', async () => {
    svc = await fakeService();
    await svc.control.start([]);
    const { pid } = await svc.control.query();

    process.kill(pid!, 'SIGKILL');
    await svc.waitFor(svc.control, isStopped);

    expect(svc.control.lastExit()).toEqual({ ordered: false, code: null, signal: 'SIGKILL' });
  });

  it('kills a service that ignores SIGTERM', async () => {
    svc = await fakeService('stubborn');
    await svc.control.start([]);
    await svc.ready();
    await svc.control.stop();
    expect((await svc.control.query()).state).toBe('stop-pending');

    await svc.control.kill();
    await svc.waitFor(svc.control, isStopped);

    expect(svc.control.lastExit()).toMatchObject({ ordered: true, signal: 'SIGKILL' });
  });

  it('refuses to start a Disabled service, as the SCM does (1058)', async () => {
    svc = await fakeService();
    await svc.control.setStartupType('disabled');

    const start = svc.control.start([]);

    await expect(start).rejects.toMatchObject({ name: 'ServiceControlError', reason: 'DISABLED' });
    expect(await svc.starts()).toEqual([]);
  });

  it('refuses a second start while the service runs (1056)', async () => {
    svc = await fakeService();
    await svc.control.start([]);

    await expect(svc.control.start([])).rejects.toMatchObject({ name: 'ServiceControlError', reason: 'ALREADY_RUNNING' });
  });

  it('answers NOT_STARTED to a stop of a stopped service (1062)', async () => {
    svc = await fakeService();

    await expect(svc.control.stop()).rejects.toMatchObject({ name: 'ServiceControlError', reason: 'NOT_STARTED' });
  });

  it('reports a service that ends during start-up as stopped with its exit code', async () => {
    svc = await fakeService('fails-to-start');

    await svc.control.start([]);
    await svc.waitFor(svc.control, isStopped);

    expect(svc.control.lastExit()).toEqual({ ordered: false, code: 3, signal: null });
  });

  it('keeps the startup type across a restart of the agent', async () => {
    svc = await fakeService();
    await svc.control.setStartupType('disabled');

    const status = await svc.reopen().query();

    expect(status).toEqual({ state: 'stopped', startupType: 'disabled' });
  });

  (process.platform === 'linux' ? it : it.skip)('adopts a service an earlier agent started instead of starting it a second time', async () => {
    svc = await fakeService();
    await svc.control.start([]);
    await svc.ready();
    const { pid } = await svc.control.query();

    const afterRestart = svc.reopen();
    const status = await afterRestart.query();

    expect(status).toMatchObject({ state: 'running', pid });
    await expect(afterRestart.start([])).rejects.toMatchObject({ name: 'ServiceControlError', reason: 'ALREADY_RUNNING' });
    await afterRestart.stop();
    await svc.waitFor(afterRestart, isStopped);
    expect(await svc.starts()).toHaveLength(1);
  });

  it('does not adopt a recorded pid whose process runs another program', async () => {
    svc = await fakeService();
    // This test process is alive but is not the fake service.
    await writeFile(svc.options.stateFile, JSON.stringify({ startupType: 'manual', pid: process.pid }));

    const status = await svc.reopen().query();

    expect(status.state).toBe('stopped');
    expect(isRunning(status)).toBe(false);
  });
});
