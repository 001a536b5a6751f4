import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_MESSAGE_BYTES } from '../../../shared/contracts/agentCommands';
import { AgentState } from '../../../agent/core/agentState';
import { cleanUpAgents, commands, envelope, fenceContainer, HOST, PAIR, releaseStorage, startAgent, T0 } from './agentHarness';

afterEach(cleanUpAgents);
afterAll(releaseStorage);

describe('CommandDispatcher: the gates before a command runs', () => {
  it('answers a status command with accepted, then succeeded, settling the message as done', async () => {
    const agent = await startAgent();
    const message = envelope(commands.status());

    const outcome = await agent.deliver(message);

    expect(outcome).toEqual({ kind: 'done' });
    expect(agent.repliesTo(message.messageId).map((r) => r.kind)).toEqual(['accepted', 'succeeded']);
    expect(agent.replies.every((r) => r.replyTo === 'watchdog-inbox')).toBe(true);
    expect(agent.repliesTo(message.messageId)[1]).toMatchObject({ correlationId: message.correlationId, pairId: PAIR, host: HOST, commandType: 'status', epoch: 0 });
  });

  it.each([
    ['another pair', { pairId: 'erp' }, 'WRONG_PAIR'],
    ['another host', { targetHost: 'ADT-PAY-PRI' }, 'WRONG_HOST'],
    ['a time past its notAfter', { notAfter: new Date(T0.getTime() - 1).toISOString() }, 'EXPIRED'],
  ])('refuses a command for %s and runs nothing', async (_what, overrides, code) => {
    const agent = await startAgent();
    const message = envelope(commands.start(), overrides);

    const outcome = await agent.deliver(message);

    expect(outcome).toEqual({ kind: 'done' });
    expect(agent.repliesTo(message.messageId)).toEqual([expect.objectContaining({ kind: 'failed', error: expect.objectContaining({ code }) })]);
    expect(await agent.svc.starts()).toEqual([]);
  });

  it('compares the target host without regard to case, as Windows does', async () => {
    const agent = await startAgent();
    const message = envelope(commands.status(), { targetHost: HOST.toLowerCase() });

    await agent.deliver(message);

    expect(agent.repliesTo(message.messageId).at(-1)?.kind).toBe('succeeded');
  });

  it('runs a command whose notAfter is exactly now', async () => {
    const agent = await startAgent();
    const message = envelope(commands.status(), { notAfter: T0.toISOString() });

    await agent.deliver(message);

    expect(agent.repliesTo(message.messageId).at(-1)?.kind).toBe('succeeded');
  });

  it('refuses a command older than the highest epoch seen, and says which epoch it has seen', async () => {
    const agent = await startAgent();
    await agent.deliver(envelope(commands.status(), { epoch: 3 }));
    const old = envelope(commands.start(), { epoch: 2 });

    await agent.deliver(old);

    expect(agent.repliesTo(old.messageId)).toEqual([
      expect.objectContaining({ kind: 'failed', epoch: 3, error: { code: 'STALE_EPOCH', message: expect.stringContaining('epoch 3') } }),
    ]);
    expect(await agent.svc.starts()).toEqual([]);
  });

  it('persists a higher epoch before the command runs', async () => {
    const agent = await startAgent();
    let epochOnDiskWhileRunning: unknown;
    agent.collaborators.shipper.shipNow = async () => {
      epochOnDiskWhileRunning = (JSON.parse(await readFile(join(agent.stateDir, 'agent-state.json'), 'utf8')) as { highestEpoch: number }).highestEpoch;
      return {};
    };

    await agent.deliver(envelope(commands.ship(), { epoch: 7 }));

    expect(epochOnDiskWhileRunning).toBe(7);
  });

  it('still refuses older commands after a restart of the agent over the same state folder', async () => {
    const first = await startAgent();
    await first.deliver(envelope(commands.status(), { epoch: 5 }));

    const restarted = await first.restart();
    const old = envelope(commands.status(), { epoch: 4 });
    await restarted.deliver(old);

    expect(restarted.repliesTo(old.messageId)).toEqual([expect.objectContaining({ kind: 'failed', epoch: 5, error: expect.objectContaining({ code: 'STALE_EPOCH' }) })]);
  });

  it('carries its highest epoch in every reply, refusals included', async () => {
    const agent = await startAgent();
    await agent.deliver(envelope(commands.status(), { epoch: 9 }));
    const foreign = envelope(commands.status(), { targetHost: 'ADT-OTHER', epoch: 1 });

    await agent.deliver(foreign);

    expect(agent.repliesTo(foreign.messageId)[0]?.epoch).toBe(9);
  });
});

describe('CommandDispatcher: redelivery', () => {
  it('repeats the earlier result of a processed command, marked replayed, without running it again', async () => {
    const agent = await startAgent();
    const message = envelope(commands.start());
    await agent.deliver(message);
    const first = agent.repliesTo(message.messageId).at(-1)!;

    await agent.deliver(message);

    const replies = agent.repliesTo(message.messageId);
    expect(replies.map((r) => r.kind)).toEqual(['accepted', 'succeeded', 'succeeded']);
    expect(replies[2]).toMatchObject({ replayed: true, result: first.result });
    expect(first.replayed).toBeUndefined();
    await agent.svc.ready(1);
    expect(await agent.svc.starts()).toHaveLength(1);
  });

  it('repeats the earlier result after a restart of the agent too', async () => {
    const agent = await startAgent();
    const message = envelope(commands.ship());
    await agent.deliver(message);

    const restarted = await agent.restart();
    await restarted.deliver(message);

    expect(agent.collaborators.shipper.calls).toBe(1);
    expect(restarted.repliesTo(message.messageId).at(-1)).toMatchObject({ kind: 'succeeded', replayed: true });
  });

  it('repeats a stored failure as well: one messageId gets one answer', async () => {
    const { name, writeFence } = await fenceContainer();
    await writeFence({ epoch: 0, activeHost: 'ADT-PAY-PRI' });
    const agent = await startAgent({ container: name });
    const message = envelope(commands.start());
    await agent.deliver(message);
    await writeFence({ epoch: 0, activeHost: HOST });

    await agent.deliver(message);

    expect(agent.repliesTo(message.messageId).map((r) => [r.kind, r.error?.code, r.replayed])).toEqual([
      ['failed', 'FENCED', undefined],
      ['failed', 'FENCED', true],
    ]);
    expect(await agent.svc.starts()).toEqual([]);
  });

  it('does not run an interrupted start again: it answers INTERNAL "interrupted" for that messageId', async () => {
    const agent = await startAgent();
    const message = envelope(commands.start());
    // A start that was accepted and recorded, then the agent died before its result was stored.
    const state = await AgentState.open(agent.stateDir, { now: () => T0 });
    await state.recordStarted(message.messageId, 'startService');

    const restarted = await agent.restart();
    await restarted.deliver(message);

    expect(restarted.repliesTo(message.messageId)).toEqual([
      expect.objectContaining({ kind: 'failed', error: { code: 'INTERNAL', message: expect.stringMatching(/^interrupted: .*re-issue with a new messageId/) } }),
    ]);
    expect(await agent.svc.starts()).toEqual([]);
  });

  it('runs an interrupted stop again, because stopping twice ends the same way', async () => {
    const agent = await startAgent();
    await agent.svc.control.start([]);
    await agent.svc.ready();
    const message = envelope(commands.stop());
    const state = await AgentState.open(agent.stateDir, { now: () => T0 });
    await state.recordStarted(message.messageId, 'stopService');

    const restarted = await agent.restart();
    await restarted.deliver(message);

    expect(restarted.repliesTo(message.messageId).map((r) => r.kind)).toEqual(['accepted', 'succeeded']);
    expect((await agent.svc.control.query()).state).toBe('stopped');
  });

  it('lets a second delivery that arrives while the first runs wait, then replay', async () => {
    const agent = await startAgent();
    const message = envelope(commands.ship());

    await Promise.all([agent.deliver(message), agent.deliver(message)]);

    expect(agent.collaborators.shipper.calls).toBe(1);
    expect(agent.repliesTo(message.messageId).map((r) => r.replayed ?? false)).toEqual([false, false, true]);
  });
});

describe('CommandDispatcher: poison messages', () => {
  const addressable = { contract: 1, messageId: '9b2f6a51-3c1d-4e8a-9f00-1234567890ab', replyTo: 'watchdog-inbox', correlationId: 'failover-payroll-1:fence' };

  it.each([
    ['a body that is not JSON', '{"contract":1,', 'MALFORMED', false],
    ['fields of the wrong type', { ...addressable, pairId: PAIR, targetHost: HOST, epoch: 'one', issuedAt: T0.toISOString(), notAfter: T0.toISOString(), command: { type: 'status' } }, 'MALFORMED', true],
    ['a missing command', { ...addressable, pairId: PAIR, targetHost: HOST, epoch: 1, issuedAt: T0.toISOString(), notAfter: T0.toISOString() }, 'MALFORMED', true],
    ['an unknown command', { ...addressable, pairId: PAIR, targetHost: HOST, epoch: 1, issuedAt: T0.toISOString(), notAfter: T0.toISOString(), command: { type: 'reboot' } }, 'UNKNOWN_COMMAND', true],
    ['another contract version', { ...addressable, contract: 2, pairId: PAIR, targetHost: HOST, epoch: 1, issuedAt: T0.toISOString(), notAfter: T0.toISOString(), command: { type: 'status' } }, 'MALFORMED', true],
    ['an array', [1, 2, 3], 'MALFORMED', false],
  ])('dead-letters %s with its reason', async (_what, body, reason, replied) => {
    const agent = await startAgent();

    const outcome = await agent.deliver(body);

    expect(outcome).toEqual({ kind: 'poison', reason, description: expect.any(String) });
    if (replied) {
      expect(agent.replies).toEqual([
        { replyTo: 'watchdog-inbox', reply: expect.objectContaining({ kind: 'failed', inReplyTo: addressable.messageId, correlationId: addressable.correlationId, error: expect.objectContaining({ code: reason }) }) },
      ]);
    } else {
      expect(agent.replies).toEqual([]);
    }
  });

  it('dead-letters an oversized message as TOO_LARGE and still tells the sender when it can', async () => {
    const agent = await startAgent();
    const body = JSON.stringify({ ...envelope(commands.status()), padding: 'x'.repeat(MAX_MESSAGE_BYTES) });

    const outcome = await agent.deliver(body);

    expect(outcome).toEqual({ kind: 'poison', reason: 'TOO_LARGE', description: expect.stringContaining(`limit is ${MAX_MESSAGE_BYTES}`) });
    expect(agent.replies.map((r) => r.reply.error?.code)).toEqual(['TOO_LARGE']);
  });

  it('trusts the transport\'s byte count for a body it received already decoded', async () => {
    const agent = await startAgent();

    const outcome = await agent.deliver(envelope(commands.status()), MAX_MESSAGE_BYTES + 1);

    expect(outcome).toMatchObject({ kind: 'poison', reason: 'TOO_LARGE' });
  });

  it('reads a command sent as a JSON text or as bytes', async () => {
    const agent = await startAgent();
    const asText = envelope(commands.status());
    const asBytes = envelope(commands.status());

    await agent.deliver(JSON.stringify(asText));
    await agent.deliver(Buffer.from(JSON.stringify(asBytes)));

    expect(agent.repliesTo(asText.messageId).at(-1)?.kind).toBe('succeeded');
    expect(agent.repliesTo(asBytes.messageId).at(-1)?.kind).toBe('succeeded');
  });

  it('names fields, never values, when it describes a malformed restore command', async () => {
    const agent = await startAgent();
    const bad = { ...envelope(commands.restore()), command: { ...commands.restore(), sha256: 'not-a-hash' } };

    const outcome = await agent.deliver(bad);

    expect(outcome).toMatchObject({ kind: 'poison', reason: 'MALFORMED', description: expect.stringContaining('command.sha256') });
    expect(JSON.stringify([outcome, agent.replies, agent.logs])).not.toContain('sig=');
  });
});
