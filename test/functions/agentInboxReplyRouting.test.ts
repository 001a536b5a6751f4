import '../../functions/agentInbox';
import { randomUUID } from 'node:crypto';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { EngineOrchestrationClient } from '../../local/durable/engineOrchestrationClient';
import { getRegistration } from '../../local/functionsCore';
import { useOrchestrationClient } from '../../shared/composition/orchestrationClient';
import { COMMAND_CONTRACT_VERSION, type AgentReply } from '../../shared/contracts/agentCommands';
import { commandCorrelationId, replyEventName } from '../../shared/contracts/failoverContract';
import { WatchdogError } from '../../shared/domain/errors';
import { readReplies } from '../../shared/services/agentLiveness';
import { DurableHarness } from '../support/durableHarness';
import { useInboxFunction } from './inboxFunction';

/** Stands in for the failover orchestration's wait for one command's reply. */
const AWAIT_REPLY = 'replyRoutingAwaitReply';

df.app.orchestration(AWAIT_REPLY, function* (context: OrchestrationContext) {
  const reply: unknown = yield context.df.waitForExternalEvent(replyEventName(context.df.getInput<string>()));
  return reply;
});

let harness: DurableHarness;
const inbox = useInboxFunction('state-reply-routing');
const logs = inbox.logs;

afterAll(() => useOrchestrationClient(undefined));

beforeEach(() => {
  harness = new DurableHarness();
  const client = new EngineOrchestrationClient(harness.engine);
  useOrchestrationClient(() => client);
});

async function deliver(body: unknown, messageId: string = randomUUID()): Promise<void> {
  await inbox.invoke(body, { messageId, deliveryCount: 1 });
  await harness.runUntilIdle();
}

function reply(correlationId: string, overrides: Partial<AgentReply> = {}): AgentReply {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    kind: 'succeeded',
    inReplyTo: randomUUID(),
    correlationId,
    pairId: 'erp',
    host: 'ADT-SEC01',
    epoch: 0,
    commandType: 'status',
    at: new Date().toISOString(),
    result: { serviceState: 'stopped' },
    ...overrides,
  };
}

describe('agentInbox: replies to a failover', () => {
  it('raises a reply on the orchestration waiting for it, after recording it', async () => {
    await harness.start(AWAIT_REPLY, { instanceId: 'failover-erp', input: 'preflight-status-1' });
    const answer = reply(commandCorrelationId('failover-erp', 'preflight-status-1'));

    await deliver(answer, 'reply-1');

    expect(await harness.status('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: answer });
    expect(await readReplies(inbox.state, 'erp', answer.correlationId)).toMatchObject([{ messageId: 'reply-1', reply: answer }]);
  });

  it('raises a redelivered reply again: the first delivery may have been recorded but not raised', async () => {
    const answer = reply(commandCorrelationId('failover-erp', 'fence-stop-1'));
    await deliver(answer, 'reply-2');
    await harness.start(AWAIT_REPLY, { instanceId: 'failover-erp', input: 'fence-stop-1' });

    await deliver(answer, 'reply-2');

    expect(await harness.status('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: answer });
  });

  it('records a reply for a finished or unknown failover, logs it at info and completes the message', async () => {
    const late = reply(commandCorrelationId('failover-hr', 'start-1'), { pairId: 'hr' });

    await expect(deliver(late)).resolves.toBeUndefined();

    expect(logs).toEqual(expect.arrayContaining([expect.stringMatching(/^information: reply for a failover that has finished or is unknown/)]));
    expect(await readReplies(inbox.state, 'hr', late.correlationId)).toHaveLength(1);
    expect(await harness.engine.getStatus('failover-hr')).toBeUndefined();
  });

  it('only records a reply to a command no orchestration sent', async () => {
    const manual = reply('manual-status-check-7');

    await deliver(manual);

    expect(await readReplies(inbox.state, 'erp', 'manual-status-check-7')).toHaveLength(1);
    expect(logs.some((l) => l.includes('raised') || l.includes('finished or is unknown'))).toBe(false);
  });

  it("never raises a reply on another pair's failover", async () => {
    await harness.start(AWAIT_REPLY, { instanceId: 'failover-erp', input: 'verify-1' });

    await deliver(reply(commandCorrelationId('failover-erp', 'verify-1'), { pairId: 'hr' }));

    expect((await harness.status('failover-erp')).runtimeStatus).toBe('Running');
    expect(logs).toEqual(expect.arrayContaining([expect.stringMatching(/^warning: reply names another pair than its failover/)]));
  });

  it('throws when the event cannot be raised, so the message is retried, with the reply already recorded', async () => {
    const engine = new EngineOrchestrationClient(harness.engine);
    useOrchestrationClient(() => ({
      start: (n, i, input) => engine.start(n, i, input),
      getStatus: (i) => engine.getStatus(i),
      raiseEvent: () => Promise.reject(new WatchdogError('ORCHESTRATION_CLIENT_FAILED', 'the durable runtime did not answer')),
    }));
    const answer = reply(commandCorrelationId('failover-erp', 'restore-1'));

    await expect(deliver(answer)).rejects.toMatchObject({ code: 'ORCHESTRATION_CLIENT_FAILED' });

    expect(await readReplies(inbox.state, 'erp', answer.correlationId)).toHaveLength(1);
  });

  it('is registered with the durable client input, so the host hands it a client', () => {
    expect(Object.values(getRegistration('agentInbox').metadata.bindings).some((b) => b.type === 'durableClient')).toBe(true);
  });
});
