import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { EngineOrchestrationClient } from '../../../local/durable/engineOrchestrationClient';
import { DurableHarness } from '../../support/durableHarness';

const WAITER = 'engineClientWaiter';
const FAILING = 'engineClientFailing';

df.app.orchestration(WAITER, function* (context: OrchestrationContext) {
  context.df.setCustomStatus({ waitingFor: 'go' });
  const go: unknown = yield context.df.waitForExternalEvent('go');
  return { input: context.df.getInput(), go };
});
df.app.orchestration(FAILING, function* () {
  yield* [];
  throw new Error('the runbook broke');
});

function setUp(): { harness: DurableHarness; client: EngineOrchestrationClient } {
  const harness = new DurableHarness();
  return { harness, client: new EngineOrchestrationClient(harness.engine) };
}

describe('EngineOrchestrationClient', () => {
  it('starts an instance under the given id and reports it running with its input and custom status', async () => {
    const { harness, client } = setUp();

    expect(await client.start(WAITER, 'failover-erp', { reason: 'r' })).toEqual({ started: true });
    await harness.runUntilIdle();

    expect(await client.getStatus('failover-erp')).toMatchObject({
      instanceId: 'failover-erp',
      name: WAITER,
      runtimeStatus: 'Running',
      input: { reason: 'r' },
      customStatus: { waitingFor: 'go' },
    });
  });

  it('returns the running instance instead of starting a second one under the same id', async () => {
    const { harness, client } = setUp();
    await client.start(WAITER, 'failover-erp', { n: 1 });
    await harness.runUntilIdle();

    const second = await client.start(WAITER, 'failover-erp', { n: 2 });

    expect(second).toMatchObject({ started: false, existing: { instanceId: 'failover-erp', runtimeStatus: 'Running', input: { n: 1 } } });
  });

  it('raises an event the waiting instance receives, and starts anew under the id once it has finished', async () => {
    const { harness, client } = setUp();
    await client.start(WAITER, 'failover-erp', { n: 1 });
    await harness.runUntilIdle();

    expect(await client.raiseEvent('failover-erp', 'go', { by: 'alice' })).toBe(true);
    await harness.runUntilIdle();

    expect(await client.getStatus('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: { input: { n: 1 }, go: { by: 'alice' } } });
    expect(await client.start(WAITER, 'failover-erp', { n: 2 })).toEqual({ started: true });
  });

  it('drops an event for a finished or unknown instance, saying so', async () => {
    const { harness, client } = setUp();
    await client.start(WAITER, 'failover-erp', {});
    await harness.runUntilIdle();
    await client.raiseEvent('failover-erp', 'go', {});
    await harness.runUntilIdle();

    expect(await client.raiseEvent('failover-erp', 'go', {})).toBe(false);
    expect(await client.raiseEvent('failover-none', 'go', {})).toBe(false);
    expect(await client.getStatus('failover-none')).toBeUndefined();
  });

  it("reports a failed orchestration's error as its output, as the host does", async () => {
    const { harness, client } = setUp();
    await client.start(FAILING, 'failover-bad', undefined);
    await harness.runUntilIdle();

    const status = await client.getStatus('failover-bad');

    expect(status?.runtimeStatus).toBe('Failed');
    expect(String(status?.output)).toContain('the runbook broke');
  });
});
