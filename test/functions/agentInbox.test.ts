import '../../functions/agentInbox';
import { randomUUID } from 'node:crypto';
import { getRegistration } from '../../local/functionsCore';
import { COMMAND_CONTRACT_VERSION, type AgentReply } from '../../shared/contracts/agentCommands';
import { readAgentLiveness, readReplies } from '../../shared/services/agentLiveness';
import { agentHeartbeat as heartbeat, useInboxFunction } from './inboxFunction';

const inbox = useInboxFunction('state-agent-inbox');

function deliver(body: unknown, messageId: string = randomUUID(), deliveryCount = 1, enqueuedAt = new Date()): Promise<void> {
  return inbox.invoke(body, { messageId, deliveryCount, enqueuedTimeUtc: enqueuedAt.toISOString() });
}

describe('agentInbox trigger', () => {
  it("listens on the inbox queue named by WATCHDOG_INBOX_QUEUE through the 'ServiceBusConnection' setting", () => {
    const trigger = Object.values(getRegistration('agentInbox').metadata.bindings).find((b) => b.direction === 'in');
    expect(trigger).toMatchObject({ type: 'serviceBusTrigger', connection: 'ServiceBusConnection', queueName: '%WATCHDOG_INBOX_QUEUE%' });
  });

  it("turns an agent heartbeat into the host's liveness record", async () => {
    await deliver(heartbeat());

    expect(await readAgentLiveness(inbox.state, 'erp', 'ADT-SEC01')).toMatchObject({
      host: 'ADT-SEC01',
      sequence: 7,
      bootId: 'boot-1',
      service: { state: 'stopped', stopOrdered: false },
      epochSeen: 1,
    });
  });

  it('reads a heartbeat that arrives as JSON text', async () => {
    await deliver(JSON.stringify(heartbeat({ sequence: 8 })));

    expect(await readAgentLiveness(inbox.state, 'erp', 'ADT-SEC01')).toMatchObject({ sequence: 8 });
  });

  it('records a reply under its correlation id with the Service Bus message id', async () => {
    const reply: AgentReply = {
      contract: COMMAND_CONTRACT_VERSION,
      kind: 'succeeded',
      inReplyTo: randomUUID(),
      correlationId: 'failover-erp-1:preflight',
      pairId: 'erp',
      host: 'ADT-SEC01',
      epoch: 1,
      commandType: 'status',
      at: new Date().toISOString(),
      result: { serviceState: 'stopped' },
    };
    await deliver(reply, 'reply-message-1');

    expect(await readReplies(inbox.state, 'erp', 'failover-erp-1:preflight')).toMatchObject([{ messageId: 'reply-message-1', reply }]);
  });

  it("orders a restarted agent's heartbeats by the enqueue time the trigger reports, though its host clock went back an hour", async () => {
    const now = Date.now();
    const sender = { pairId: 'hr', host: 'ADT-SEC01' };
    await deliver(heartbeat({ ...sender, bootId: 'boot-1', sequence: 40, sentAt: new Date(now - 30_000).toISOString() }), randomUUID(), 1, new Date(now - 30_000));
    await deliver(heartbeat({ ...sender, bootId: 'boot-2', sequence: 0, sentAt: new Date(now - 3_600_000).toISOString() }), randomUUID(), 1, new Date(now));

    expect(await readAgentLiveness(inbox.state, 'hr', 'ADT-SEC01')).toMatchObject({ bootId: 'boot-2', sequence: 0, enqueuedAt: new Date(now).toISOString() });
  });

  it('throws when the record cannot be written, so the runtime retries the message', async () => {
    const container = inbox.container;
    await container.createIfNotExists();
    await container.getBlockBlobClient('pairs/erp/agents/adt-pri01.json').upload('{ not json', 10);

    await expect(deliver(heartbeat({ host: 'ADT-PRI01' }))).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
  });
});
