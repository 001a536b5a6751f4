import type { FunctionRegistration } from '../../local/functionsCore';
import { scheduleTimer } from '../../local/timerScheduler';

/** A timer registration, every second, whose runs last until the test lets them finish. */
function slowTimer(): { registration: FunctionRegistration; started: Promise<void>; finish: () => void; finished: () => boolean } {
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let finish!: () => void;
  const release = new Promise<void>((resolve) => (finish = resolve));
  let done = false;
  const registration: FunctionRegistration = {
    name: 'slowPass',
    metadata: { name: 'slowPass', bindings: { timer: { type: 'timerTrigger', direction: 'in', schedule: '* * * * * *' } } },
    handler: async () => {
      markStarted();
      await release;
      done = true;
    },
  };
  return { registration, started, finish, finished: () => done };
}

describe('scheduleTimer', () => {
  it('stop() settles only once the run in progress has finished, so nothing it uses is closed under it', async () => {
    const timer = slowTimer();
    const scheduled = scheduleTimer(timer.registration, {}, () => undefined);
    await timer.started;

    let stopped = false;
    const stopping = scheduled.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    const stoppedBeforeTheRunEnded = stopped;
    timer.finish();
    await stopping;

    expect(stoppedBeforeTheRunEnded).toBe(false);
    expect(timer.finished()).toBe(true);
    expect(scheduled.nextRun()).toBeNull();
  });

  it('stop() settles at once when no run is in progress', async () => {
    const timer = slowTimer();
    const scheduled = scheduleTimer(timer.registration, {}, () => undefined);

    await expect(scheduled.stop()).resolves.toBeUndefined();
    expect(scheduled.nextRun()).toBeNull();
  });
});
