import { execFileRunner } from '../../../agent/service/commandRunner';
import { isRunning, waitForState, type ServiceControl, type ServiceStatus, type WaitTiming } from '../../../agent/service/serviceControl.port';

/** A service whose states are scripted, one per query; the last one repeats. */
function scripted(states: ServiceStatus['state'][]): ServiceControl & { queries: number } {
  const control = {
    queries: 0,
    query: async (): Promise<ServiceStatus> => {
      const state = states[Math.min(control.queries, states.length - 1)]!;
      control.queries++;
      return { state, startupType: 'manual' };
    },
    setStartupType: async () => undefined,
    start: async () => undefined,
    stop: async () => undefined,
    kill: async () => undefined,
  };
  return control;
}

/** A clock that only moves when the waiter sleeps: the bound is exercised without real waiting. */
function virtualTiming(pollMs: number): WaitTiming & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    pollMs,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('waitForState', () => {
  it('returns as soon as the wanted state is reached', async () => {
    const control = scripted(['start-pending', 'start-pending', 'running']);

    const result = await waitForState(control, isRunning, { timeoutMs: 10_000, timing: virtualTiming(500) });

    expect(result).toEqual({ outcome: 'reached', status: { state: 'running', startupType: 'manual' } });
    expect(control.queries).toBe(3);
  });

  it('gives up at the bound, with a last look exactly at the bound', async () => {
    const control = scripted(['start-pending']);
    const timing = virtualTiming(400);

    const result = await waitForState(control, isRunning, { timeoutMs: 1_000, timing });

    expect(result.outcome).toBe('timeout');
    expect(timing.slept).toEqual([400, 400, 200]);
    expect(control.queries).toBe(4);
  });

  it('stops early when the state can no longer become the wanted one', async () => {
    const control = scripted(['start-pending', 'stopped', 'running']);

    const result = await waitForState(control, isRunning, { timeoutMs: 10_000, timing: virtualTiming(100), giveUpWhen: (s) => s.state === 'stopped' });

    expect(result).toMatchObject({ outcome: 'gave-up', status: { state: 'stopped' } });
  });
});

describe('execFileRunner', () => {
  it('resolves with the exit code and output of a program that fails', async () => {
    const result = await execFileRunner(process.execPath, ['-e', 'process.stdout.write("[SC] x FAILED 1060:"); process.exit(7)']);

    expect(result).toEqual({ exitCode: 7, stdout: '[SC] x FAILED 1060:', stderr: '' });
  });

  it('passes arguments without a shell, so shell syntax stays text', async () => {
    const result = await execFileRunner(process.execPath, ['-e', 'process.stdout.write(process.argv[1])', 'ADTempus & echo injected']);

    expect(result.stdout).toBe('ADTempus & echo injected');
  });

  it('rejects when the program cannot be run at all', async () => {
    await expect(execFileRunner('/nonexistent/sc.exe', ['query'])).rejects.toThrow(/could not be run: ENOENT/);
  });
});
