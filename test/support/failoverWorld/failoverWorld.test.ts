import { worldsPerTest } from './worldsPerTest';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { commandCorrelationId, type FailoverInput, type RaiseEpochResult, type SendCommandInput } from '../../../shared/contracts/failoverContract';
import { ACTIVITIES } from '../../../orchestrations/names';
import { planRun } from './randomRun';
import { SeededRandom } from './seededRandom';

/**
 * The world's own checks must be able to fail: a runbook that skips the fence wait, never tells
 * anyone, or crashes is caught, and adTempus in the world keeps its lock rules.
 */
const RECKLESS = 'recklessFailoverForWorldTest';
const CRASHING = 'crashingFailoverForWorldTest';

/** Raises the epoch and starts the Secondary at once: no stop, no takeover delay, no message. */
df.app.orchestration(RECKLESS, function* (context: OrchestrationContext) {
  const input = context.df.getInput<FailoverInput>();
  const fence = (yield context.df.callActivity(ACTIVITIES.raiseEpoch, { pairId: input.pairId, instanceId: context.df.instanceId, reason: 'reckless' })) as RaiseEpochResult;
  const now = context.df.currentUtcDateTime;
  const start: SendCommandInput = {
    pairId: input.pairId,
    role: 'secondary',
    messageId: context.df.newGuid('start'),
    correlationId: commandCorrelationId(context.df.instanceId, 'start-1'),
    epoch: fence.epoch,
    issuedAt: now.toISOString(),
    notAfter: new Date(now.getTime() + 60_000).toISOString(),
    command: { type: 'startService', parameters: ['-takedbcontrol'], timeoutSeconds: 60 },
  };
  yield context.df.callActivity(ACTIVITIES.sendCommand, start);
  yield context.df.createTimer(new Date(now.getTime() + 120_000));
  return { outcome: 'completed', code: 'COMPLETED' };
});

df.app.orchestration(CRASHING, function* () {
  yield* [];
  throw new Error('the runbook fell over');
});

const world = worldsPerTest();

describe('FailoverWorld', () => {
  it('starts as a healthy pair: the Primary runs and heartbeats, the Secondary stands by fenced, the monitor sees it healthy', async () => {
    const w = await world({ strategy: 'copied' });
    await w.runFor(120);

    expect(w.services.primary.state).toBe('running');
    expect(w.services.secondary).toMatchObject({ state: 'stopped', startupType: 'disabled' });
    expect(w.view.assessment).toMatchObject({ state: 'healthy', agents: { primary: { alive: true, serviceState: 'running' }, secondary: { alive: true, fenced: true } } });
    expect(w.databases.primary.ageSeconds()).toBeLessThanOrEqual(15);
    expect(await w.decideNow()).toMatchObject({ action: 'none', reason: 'PRIMARY_HEALTHY' });
  });

  it('catches a runbook that starts the Secondary without waiting for the Primary to stop, and one that tells nobody', async () => {
    const w = await world({ strategy: 'shared', orchestration: RECKLESS });

    await w.startFailover();
    await w.runToEnd();
    const { violations } = await w.verdict();

    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/two adTempus services run: ADT-PRI01 is running and ADT-SEC01 is start-pending/),
        expect.stringMatching(/the Secondary was started without a confirmed stop of the Primary while the Primary's lock heartbeat is .* old/),
        'no notification told people the run ended completed (COMPLETED)',
      ]),
    );
  });

  it('catches a start before the fence record names the Secondary, made by anyone', async () => {
    const w = await world({ strategy: 'shared' });
    w.crashService('primary');
    w.services.secondary.setStartupType('manual');

    w.services.secondary.start(['-takedbcontrol']);

    expect(w.safety.violations).toEqual([
      expect.stringMatching(/the Secondary was started while the fence record names no host/),
      expect.stringMatching(/the Secondary was started without a confirmed stop of the Primary while the Primary's lock heartbeat is 2 s old/),
    ]);
  });

  it('reports an orchestration that ends Failed', async () => {
    const w = await world({ orchestration: CRASHING });

    await w.startFailover();
    await w.runToEnd();

    expect((await w.verdict()).violations).toEqual([expect.stringMatching(/^the orchestration ended Failed: .*the runbook fell over/)]);
  });

  it('keeps adTempus\u2019s lock rule: a start without -takedbcontrol gives up while another owner\u2019s heartbeat is fresh, and takes over with it', async () => {
    const w = await world({ strategy: 'shared' });
    // Its agent would keep a fenced Secondary Disabled; this test is about adTempus alone.
    w.crashAgent('secondary');
    w.hangService('primary');
    const secondary = w.services.secondary;
    secondary.setStartupType('manual');

    secondary.start([]);
    await w.runFor(30);
    const without = secondary.state;
    secondary.start(['-takedbcontrol']);
    await w.runFor(30);

    expect(without).toBe('stopped');
    expect(secondary.state).toBe('running');
    expect(w.databases.secondary.read().owner).toBe('ADT-SEC01');
  });

  it('draws the same plan from the same seed and different plans from different seeds', () => {
    expect(planRun(42).description).toEqual(planRun(42).description);
    expect(planRun(42).description).not.toEqual(planRun(43).description);
    expect([new SeededRandom(7).next(), new SeededRandom(7).next()]).toEqual([new SeededRandom(7).next(), new SeededRandom(7).next()]);
  });
});
