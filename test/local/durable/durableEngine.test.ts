import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { callOrchestrator } from '../../../local/durable/callOrchestrator';
import { InstanceAlreadyRunningError, InstanceNotFoundError } from '../../../local/durable/durableEngineErrors';
import { historyEvent, HistoryEventType, type HistoryEvent } from '../../../local/durable/historyEvent';
import { registeredFunctions } from '../../../local/durable/registeredFunctions';
import { ActionType } from '../../../local/durable/wireAction';
import { DurableHarness } from '../../support/durableHarness';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

let sequence = 0;
const unique = (base: string): string => `${base}${++sequence}`;
const typeName = (type: number): string => Object.entries(HistoryEventType).find(([, n]) => n === type)?.[0] ?? String(type);
const kinds = (history: readonly HistoryEvent[], ...types: number[]): string[] => history.filter((e) => types.includes(e.EventType)).map((e) => typeName(e.EventType));
const ofType = (history: readonly HistoryEvent[], type: number): HistoryEvent[] => history.filter((e) => e.EventType === type);
const later = (context: OrchestrationContext, ms: number): Date => new Date(context.df.currentUtcDateTime.getTime() + ms);

function failingActivity(message: string): () => never {
  return () => {
    throw new Error(message);
  };
}

describe('DurableEngine', () => {
  it('returns the output of an activity chain, each activity receiving the previous result', async () => {
    const greet = unique('greet');
    const shout = unique('shout');
    const chain = unique('chain');
    df.app.activity(greet, { handler: (name: unknown) => `hello ${String(name)}` });
    df.app.activity(shout, { handler: (text: unknown) => `${String(text).toUpperCase()}!` });
    df.app.orchestration(chain, function* (context: OrchestrationContext) {
      const greeting: string = yield context.df.callActivity(greet, context.df.getInput());
      const result: unknown = yield context.df.callActivity(shout, greeting);
      return result;
    });
    const h = new DurableHarness();

    const id = await h.start(chain, { input: 'adtempus' });

    expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'HELLO ADTEMPUS!' });
    expect(h.activityCalls).toEqual([
      { name: greet, input: 'adtempus' },
      { name: shout, input: 'hello adtempus' },
    ]);
    expect(ofType(await h.history(id), HistoryEventType.TaskScheduled).map((e) => [e.EventId, e.Name])).toEqual([
      [0, greet],
      [1, shout],
    ]);
  });

  it('runs activities in parallel with Task.all and returns their results in order', async () => {
    const upper = unique('upper');
    const fanOut = unique('fanOut');
    df.app.activity(upper, { handler: (s: unknown) => String(s).toUpperCase() });
    df.app.orchestration(fanOut, function* (context: OrchestrationContext) {
      const result: unknown = yield context.df.Task.all(['a', 'b', 'c'].map((s) => context.df.callActivity(upper, s)));
      return result;
    });
    const h = new DurableHarness();

    const id = await h.start(fanOut);

    expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: ['A', 'B', 'C'] });
    expect(kinds(await h.history(id), HistoryEventType.TaskScheduled, HistoryEventType.TaskCompleted).slice(0, 3)).toEqual(['TaskScheduled', 'TaskScheduled', 'TaskScheduled']);
  });

  describe('activity retries', () => {
    it('retries a failing activity after a retry timer each time, then succeeds', async () => {
      const flaky = unique('flaky');
      const retrying = unique('retrying');
      const retry = new df.RetryOptions(1 * SECOND, 3);
      retry.backoffCoefficient = 2;
      df.app.activity(flaky, { handler: () => 'the registered activity ran' });
      df.app.orchestration(retrying, function* (context: OrchestrationContext) {
        const result: unknown = yield context.df.callActivityWithRetry(flaky, retry, 'job-7');
        return result;
      });
      let attempts = 0;
      const h = new DurableHarness().fakeActivity(flaky, () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`transient ${attempts}`);
        return 'done';
      });

      const id = await h.start(retrying);
      await h.advance(999);
      expect(attempts).toBe(1);
      await h.advance(1);
      expect(attempts).toBe(2);
      await h.advance(1_999);
      expect(attempts).toBe(2);
      await h.advance(1);

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'done' });
      expect(h.callsTo(flaky)).toEqual(['job-7', 'job-7', 'job-7']);
      const history = await h.history(id);
      expect(kinds(history, HistoryEventType.TaskScheduled, HistoryEventType.TaskCompleted, HistoryEventType.TaskFailed, HistoryEventType.TimerCreated, HistoryEventType.TimerFired)).toEqual([
        'TaskScheduled', 'TaskFailed', 'TimerCreated', 'TimerFired',
        'TaskScheduled', 'TaskFailed', 'TimerCreated', 'TimerFired',
        'TaskScheduled', 'TaskCompleted',
      ]);
      expect(ofType(history, HistoryEventType.TimerCreated).map((e) => e.FireAt)).toEqual(['2026-01-05T09:00:01.000Z', '2026-01-05T09:00:03.000Z']);
    });

    it('fails the orchestration after the last attempt and its retry timer, with the activity error visible', async () => {
      const broken = unique('broken');
      const retrying = unique('giveUp');
      df.app.activity(broken, { handler: failingActivity('agent unreachable') });
      df.app.orchestration(retrying, function* (context: OrchestrationContext) {
        const result: unknown = yield context.df.callActivityWithRetry(broken, new df.RetryOptions(500, 2));
        return result;
      });
      const h = new DurableHarness();

      const id = await h.start(retrying);
      await h.advance(500);
      expect(h.callsTo(broken)).toHaveLength(2);
      expect((await h.status(id)).runtimeStatus).toBe('Running');
      await h.advance(500);

      const status = await h.status(id);
      expect(status.runtimeStatus).toBe('Failed');
      expect(status.failure?.message).toMatch(new RegExp(`Orchestrator function '${retrying}' failed: .*Activity function '${broken}' failed: agent unreachable`));
      const history = await h.history(id);
      expect(ofType(history, HistoryEventType.TaskFailed)).toHaveLength(2);
      expect(ofType(history, HistoryEventType.TimerCreated)).toHaveLength(2);
    });

    it('leaves the orchestration waiting forever once the retry timeout has passed, as the real host does (durable-js #629)', async () => {
      const broken = unique('brokenWithTimeout');
      const retrying = unique('retryTimeout');
      const retry = new df.RetryOptions(1 * SECOND, 5);
      retry.retryTimeoutInMilliseconds = 1_500;
      df.app.activity(broken, { handler: failingActivity('still down') });
      df.app.orchestration(retrying, function* (context: OrchestrationContext) {
        try {
          const result: unknown = yield context.df.callActivityWithRetry(broken, retry);
          return result;
        } catch {
          return 'gave up';
        }
      });
      const h = new DurableHarness();

      const id = await h.start(retrying);
      await h.advance(60 * MINUTE);

      expect(h.callsTo(broken)).toHaveLength(3);
      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Running' });
      expect(kinds(await h.history(id), HistoryEventType.TaskFailed, HistoryEventType.TimerCreated).slice(-2)).toEqual(['TimerCreated', 'TaskFailed']);
    });
  });

  it.each([
    { failureDetails: false, caught: { isTaskFailedError: false, message: expect.stringMatching(/^Activity function '.*' failed: disk full \n Error: disk full/) } },
    { failureDetails: true, caught: { isTaskFailedError: true, message: 'Error: disk full' } },
  ])('hands an activity failure to the orchestrator as the host does (failure details: $failureDetails)', async ({ failureDetails, caught }) => {
    const failing = unique('failing');
    const catching = unique('catching');
    df.app.activity(failing, { handler: failingActivity('disk full') });
    df.app.orchestration(catching, function* (context: OrchestrationContext) {
      try {
        yield context.df.callActivity(failing);
        return 'no error';
      } catch (error) {
        return { isTaskFailedError: error instanceof df.TaskFailedError, message: (error as Error).message };
      }
    });
    const h = new DurableHarness({ failureDetails });

    const id = await h.start(catching);

    expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: caught });
  });

  describe('durable timers', () => {
    it('waits for a durable timer on the virtual clock', async () => {
      const waiting = unique('timer');
      df.app.orchestration(waiting, function* (context: OrchestrationContext) {
        yield context.df.createTimer(later(context, 60 * MINUTE));
        return context.df.currentUtcDateTime.toISOString();
      });
      const h = new DurableHarness();

      const id = await h.start(waiting);
      await h.advance(60 * MINUTE - 1);
      expect((await h.status(id)).runtimeStatus).toBe('Running');
      await h.advance(1);

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: '2026-01-05T10:00:00.000Z' });
    });

    it('splits a timer longer than six days into links of three days, as replay schema V3 does', async () => {
      const waiting = unique('longTimer');
      df.app.orchestration(waiting, function* (context: OrchestrationContext) {
        yield context.df.createTimer(later(context, 10 * DAY));
        return context.df.currentUtcDateTime.toISOString();
      });
      const h = new DurableHarness();

      const id = await h.start(waiting);
      await h.advance(10 * DAY - 1);
      expect((await h.status(id)).runtimeStatus).toBe('Running');
      await h.advance(1);

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: '2026-01-15T09:00:00.000Z' });
      expect(ofType(await h.history(id), HistoryEventType.TimerCreated).map((e) => e.FireAt)).toEqual([
        '2026-01-08T09:00:00.000Z',
        '2026-01-11T09:00:00.000Z',
        '2026-01-15T09:00:00.000Z',
      ]);
    });

    it('keeps an instance Running after its orchestrator returned until a timer it did not cancel fires', async () => {
      const racing = unique('uncancelledTimer');
      df.app.orchestration(racing, function* (context: OrchestrationContext) {
        const winner = yield context.df.Task.any([context.df.waitForExternalEvent('go'), context.df.createTimer(later(context, 30 * MINUTE))]);
        return (winner as { result?: unknown }).result ?? 'timer';
      });
      const h = new DurableHarness();

      const id = await h.start(racing);
      await h.raiseEvent(id, 'go', 'event');
      expect((await h.status(id)).runtimeStatus).toBe('Running');
      await h.advance(30 * MINUTE);

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'event' });
    });
  });

  describe('approval with a deadline', () => {
    function registerApproval(): string {
      const approval = unique('approval');
      df.app.orchestration(approval, function* (context: OrchestrationContext) {
        context.df.setCustomStatus('awaiting approval');
        const deadline = context.df.createTimer(later(context, 30 * MINUTE));
        const approved = context.df.waitForExternalEvent('approval');
        const winner: unknown = yield context.df.Task.any([approved, deadline]);
        if (winner === approved) {
          deadline.cancel();
          context.df.setCustomStatus('approved');
          return { approvedBy: approved.result };
        }
        context.df.setCustomStatus('deadline passed');
        return 'timed out';
      });
      return approval;
    }

    it('completes with the approval when the event arrives before the deadline', async () => {
      const approval = registerApproval();
      const h = new DurableHarness();

      const id = await h.start(approval);
      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Running', customStatus: 'awaiting approval' });
      await h.advance(10 * MINUTE);
      await h.raiseEvent(id, 'approval', 'ops-lead');

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: { approvedBy: 'ops-lead' }, customStatus: 'approved' });
      const settled = await h.history(id);
      await h.advance(30 * MINUTE);
      expect(await h.history(id)).toEqual(settled);
    });

    it('times out when the deadline passes first, and ignores an approval that comes too late', async () => {
      const approval = registerApproval();
      const h = new DurableHarness();

      const id = await h.start(approval);
      await h.advance(30 * MINUTE);
      await h.raiseEvent(id, 'approval', 'too-late');

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'timed out', customStatus: 'deadline passed' });
      expect(ofType(await h.history(id), HistoryEventType.EventRaised)).toEqual([]);
    });
  });

  it('keeps an event raised before the orchestrator waits for it', async () => {
    const late = unique('lateWaiter');
    df.app.orchestration(late, function* (context: OrchestrationContext) {
      yield context.df.createTimer(later(context, 60 * MINUTE));
      const result: unknown = yield context.df.waitForExternalEvent('go');
      return result;
    });
    const h = new DurableHarness();

    const id = await h.start(late);
    await h.raiseEvent(id, 'go', { ticket: 42 });
    expect((await h.status(id)).runtimeStatus).toBe('Running');
    await h.advance(60 * MINUTE);

    expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: { ticket: 42 } });
  });

  describe('instance ids', () => {
    it('refuses to start an id that is running, and starts it afresh once that instance completed', async () => {
      const singleton = unique('singleton');
      df.app.orchestration(singleton, function* (context: OrchestrationContext) {
        const released: unknown = yield context.df.waitForExternalEvent('release');
        return `${String(context.df.getInput())}:${String(released)}`;
      });
      const h = new DurableHarness();

      await h.start(singleton, { instanceId: 'failover-erp', input: 'first' });
      const second = h.engine.startNew(singleton, { instanceId: 'failover-erp', input: 'second' });
      await expect(second).rejects.toBeInstanceOf(InstanceAlreadyRunningError);
      await expect(second).rejects.toMatchObject({ code: 'INSTANCE_ALREADY_RUNNING' });
      await h.raiseEvent('failover-erp', 'release', 'ok');
      expect(await h.status('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: 'first:ok' });

      await h.start(singleton, { instanceId: 'failover-erp', input: 'again' });
      expect(await h.status('failover-erp')).toMatchObject({ runtimeStatus: 'Running', input: 'again' });
      expect(ofType(await h.history('failover-erp'), HistoryEventType.ExecutionStarted)).toHaveLength(1);
      await h.raiseEvent('failover-erp', 'release', 'ok');
      expect(await h.status('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: 'again:ok' });
    });

    it('terminates a waiting instance, after which its events are ignored and its id can start again', async () => {
      const waiting = unique('terminated');
      df.app.orchestration(waiting, function* (context: OrchestrationContext) {
        const result: unknown = yield context.df.waitForExternalEvent('never');
        return result;
      });
      const h = new DurableHarness();

      const id = await h.start(waiting, { instanceId: 'to-terminate' });
      await h.engine.terminate(id, 'operator stopped the failover');
      await h.raiseEvent(id, 'never', 'late');

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Terminated', output: 'operator stopped the failover' });
      await expect(h.start(waiting, { instanceId: id })).resolves.toBe(id);
      await expect(h.engine.raiseEvent('no-such-instance', 'x')).rejects.toBeInstanceOf(InstanceNotFoundError);
    });
  });

  describe('host restart', () => {
    it('resumes an in-flight instance on a new engine over the same store without re-running completed activities', async () => {
      const prepare = unique('prepare');
      const finish = unique('finish');
      const resumable = unique('resumable');
      df.app.activity(prepare, { handler: (pair: unknown) => `prepared ${String(pair)}` });
      df.app.activity(finish, { handler: (text: unknown) => `finished ${String(text)}` });
      df.app.orchestration(resumable, function* (context: OrchestrationContext) {
        const prepared: string = yield context.df.callActivity(prepare, context.df.getInput());
        yield context.df.createTimer(later(context, 15 * MINUTE));
        const answer: string = yield context.df.waitForExternalEvent('go');
        const result: unknown = yield context.df.callActivity(finish, `${prepared}/${answer}`);
        return result;
      });
      const before = new DurableHarness();
      const id = await before.start(resumable, { input: 'erp' });

      const after = await before.restart();
      await after.advance(15 * MINUTE);
      await after.raiseEvent(id, 'go', 'yes');

      expect(await after.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'finished prepared erp/yes' });
      expect(before.activityCalls).toEqual([{ name: prepare, input: 'erp' }]);
      expect(after.activityCalls).toEqual([{ name: finish, input: 'prepared erp/yes' }]);
      expect(ofType(await after.history(id), HistoryEventType.TimerFired)).toHaveLength(1);
    });

    it('runs an activity again after a restart when the old host stopped before recording its result', async () => {
      const slow = unique('slow');
      const single = unique('single');
      df.app.activity(slow, { handler: () => 'registered' });
      df.app.orchestration(single, function* (context: OrchestrationContext) {
        const result: unknown = yield context.df.callActivity(slow);
        return result;
      });
      let release = (): void => undefined;
      let started = (): void => undefined;
      const activityStarted = new Promise<void>((resolve) => (started = resolve));
      const before = new DurableHarness().fakeActivity(slow, async () => {
        started();
        await new Promise<void>((resolve) => (release = resolve));
        return 'from the stopped host';
      });
      const id = await before.engine.startNew(single);
      await activityStarted;

      const after = await before.restart({ [slow]: () => 'from the new host' });
      release();
      await after.runUntilIdle();

      expect(await after.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'from the new host' });
      expect(ofType(await after.history(id), HistoryEventType.TaskCompleted)).toHaveLength(1);
    });
  });

  describe('replay determinism', () => {
    it('fails an orchestrator that schedules different work when replayed, as the host does', async () => {
      const first = unique('firstChoice');
      const second = unique('secondChoice');
      const fickle = unique('fickle');
      df.app.activity(first, { handler: () => 1 });
      df.app.activity(second, { handler: () => 2 });
      let runs = 0;
      df.app.orchestration(fickle, function* (context: OrchestrationContext) {
        runs += 1;
        yield context.df.callActivity(runs === 1 ? first : second);
        return 'done';
      });
      const h = new DurableHarness();

      const id = await h.start(fickle);

      const status = await h.status(id);
      expect(status.runtimeStatus).toBe('Failed');
      expect(status.failure?.message).toMatch(/Non-Deterministic workflow detected/);
      expect(status.failure?.message).toContain(`scheduled an activity task named '${first}' with sequence number 0`);
      expect(status.failure?.message).toContain(`instead scheduled an activity task named '${second}'`);
      expect(h.callsTo(second)).toEqual([]);
    });

    it('is a check of the host: the durable-functions library replays a mismatched history without complaint', async () => {
      const first = unique('recorded');
      const second = unique('replayed');
      const library = unique('libraryOnly');
      df.app.orchestration(library, function* (context: OrchestrationContext) {
        const result: unknown = yield context.df.callActivity(second);
        return result;
      });
      const at = new Date('2026-01-05T09:00:00Z');
      const history = [
        historyEvent(HistoryEventType.OrchestratorStarted, at),
        historyEvent(HistoryEventType.ExecutionStarted, at, { Name: library }),
        historyEvent(HistoryEventType.TaskScheduled, at, { Name: first }, 0),
        historyEvent(HistoryEventType.OrchestratorCompleted, at),
        historyEvent(HistoryEventType.OrchestratorStarted, at),
        historyEvent(HistoryEventType.TaskCompleted, at, { TaskScheduledId: 0, Result: '"from the recorded activity"' }),
      ];

      const turn = await callOrchestrator(registeredFunctions.orchestration(library), { name: library, instanceId: 'i', input: undefined, history });

      expect(turn).toMatchObject({ isDone: true, output: 'from the recorded activity', actions: [{ actionType: ActionType.CallActivity, functionName: second }] });
      expect(turn.error).toBeUndefined();
    });
  });

  it('runs a sub-orchestration and hands its output to the parent', async () => {
    const child = unique('child');
    const parent = unique('parent');
    df.app.orchestration(child, function* (context: OrchestrationContext) {
      yield context.df.createTimer(later(context, MINUTE));
      return `child got ${String(context.df.getInput())}`;
    });
    df.app.orchestration(parent, function* (context: OrchestrationContext) {
      const result: unknown = yield context.df.callSubOrchestrator(child, 'x');
      return result;
    });
    const h = new DurableHarness();

    const id = await h.start(parent);
    await h.advance(MINUTE);

    expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'child got x' });
    expect(await h.status(`${id}:0`)).toMatchObject({ name: child, runtimeStatus: 'Completed' });
  });

  it('hands a failed sub-orchestration to the parent as an error it can catch', async () => {
    const child = unique('failingChild');
    const parent = unique('catchingParent');
    df.app.orchestration(child, function* (context: OrchestrationContext) {
      yield context.df.createTimer(later(context, MINUTE));
      throw new Error('no backup newer than the RPO budget');
    });
    df.app.orchestration(parent, function* (context: OrchestrationContext) {
      try {
        yield context.df.callSubOrchestrator(child, undefined, 'child-of-failover');
        return 'child succeeded';
      } catch (error) {
        return (error as Error).message;
      }
    });
    const h = new DurableHarness();

    const id = await h.start(parent);
    await h.advance(MINUTE);

    expect((await h.status(id)).output).toEqual(expect.stringContaining(`Orchestrator function '${child}' failed: no backup newer than the RPO budget`));
    expect((await h.status('child-of-failover')).runtimeStatus).toBe('Failed');
  });

  it('continues as new with a fresh history until the orchestrator returns', async () => {
    const tick = unique('tick');
    const looping = unique('looping');
    df.app.activity(tick, { handler: (n: unknown) => n });
    df.app.orchestration(looping, function* (context: OrchestrationContext) {
      const n = context.df.getInput<number>() ?? 0;
      yield context.df.callActivity(tick, n);
      if (n < 2) {
        context.df.continueAsNew(n + 1);
        return undefined;
      }
      return n;
    });
    const h = new DurableHarness();

    const id = await h.start(looping);

    expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: 2, input: 2 });
    expect(h.callsTo(tick)).toEqual([0, 1, 2]);
    expect(ofType(await h.history(id), HistoryEventType.TaskScheduled)).toHaveLength(1);
  });
});
