import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { DurableHarness, VirtualClock } from './durableHarness';

describe('VirtualClock', () => {
  it('fires due callbacks earliest first and moves the clock to each', () => {
    const clock = new VirtualClock('2026-01-05T09:00:00Z');
    const fired: string[] = [];
    clock.schedule(new Date('2026-01-05T09:00:02Z'), () => fired.push(`late at ${clock.now().toISOString()}`));
    clock.schedule(new Date('2026-01-05T09:00:01Z'), () => fired.push(`early at ${clock.now().toISOString()}`));
    const cancel = clock.schedule(new Date('2026-01-05T09:00:01Z'), () => fired.push('cancelled'));
    cancel();

    while (clock.fireNext(Date.parse('2026-01-05T09:00:05Z')));

    expect(fired).toEqual(['early at 2026-01-05T09:00:01.000Z', 'late at 2026-01-05T09:00:02.000Z']);
  });

  it('fires nothing that is due after the limit', () => {
    const clock = new VirtualClock('2026-01-05T09:00:00Z');
    clock.schedule(new Date('2026-01-05T09:00:02Z'), () => {
      throw new Error('fired too early');
    });

    expect(clock.fireNext(Date.parse('2026-01-05T09:00:01Z'))).toBe(false);
    expect(clock.now().toISOString()).toBe('2026-01-05T09:00:00.000Z');
  });
});

describe('DurableHarness', () => {
  const lookup = 'harnessLookup';
  const orchestration = 'harnessOrchestration';
  df.app.activity(lookup, { handler: (key: unknown) => `registered:${String(key)}` });
  df.app.orchestration(orchestration, function* (context: OrchestrationContext) {
    const result: unknown = yield context.df.callActivity(lookup, context.df.getInput());
    return result;
  });

  it('runs the registered activity by default and records each call with its input', async () => {
    const h = new DurableHarness();

    const id = await h.start(orchestration, { input: 'k1' });

    expect((await h.status(id)).output).toBe('registered:k1');
    expect(h.activityCalls).toEqual([{ name: lookup, input: 'k1' }]);
  });

  it('runs a fake of the same shape in place of the registered activity', async () => {
    const h = new DurableHarness().fakeActivity(lookup, (key) => `fake:${String(key)}`);

    const id = await h.start(orchestration, { input: 'k2' });

    expect((await h.status(id)).output).toBe('fake:k2');
    expect(h.callsTo(lookup)).toEqual(['k2']);
  });

  it('moves the clock to the target of advanceTo even when no timer is due', async () => {
    const h = new DurableHarness({ clock: new VirtualClock('2026-01-05T09:00:00Z') });

    await h.advanceTo('2026-01-05T12:30:00Z');

    expect(h.clock.now().toISOString()).toBe('2026-01-05T12:30:00.000Z');
  });
});
