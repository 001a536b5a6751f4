import '../../functions/agentInbox';
import { createHash, randomUUID } from 'node:crypto';
import { closeAppServices } from '../../shared/composition/appServices';
import { readAgentLiveness } from '../../shared/services/agentLiveness';
import { MAX_KEPT_BODY_BYTES, type InboxRejection } from '../../shared/services/inboxRejections';
import { agentHeartbeat as heartbeat, useInboxFunction } from './inboxFunction';
import { pairInput } from '../support/pairs';
import { closedPort } from '../support/closedPort';

/** Late on one day: a record named by the receive day would land on the next. */
const ENQUEUED = new Date('2026-11-22T23:59:30.000Z');
const DAY = 'inbox/rejected/2026-11-22';

const inbox = useInboxFunction('state-inbox-rejections', [pairInput()]);
const logs = inbox.logs;

interface Delivery {
  readonly messageId?: string;
  readonly deliveryCount?: number;
}

/** Invokes the registered handler as the host would, with the trigger's metadata. */
async function deliver(body: unknown, { messageId, deliveryCount = 1 }: Delivery = {}): Promise<void> {
  await inbox.invoke(body, { ...(messageId !== undefined ? { messageId } : {}), deliveryCount, enqueuedTimeUtc: ENQUEUED.toISOString() });
}

async function rejection(key: string): Promise<InboxRejection | undefined> {
  return (await inbox.state.read<InboxRejection>(key))?.value;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of inbox.container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}



describe('agentInbox trigger: messages it cannot use', () => {
  it.each<[string, unknown, InboxRejection['reason'], string, InboxRejection['body']['encoding']]>([
    ['a body that is not JSON', 'Password=hunter2 is not json {', 'NOT_JSON', 'the body is not JSON', 'utf8'],
    ['a heartbeat without its host', { ...heartbeat(), host: undefined, note: 'Password=hunter2' }, 'CONTRACT_VIOLATION', 'host:', 'json'],
    ['a message of an unknown kind', { contract: 1, kind: 'gossip', note: 'Password=hunter2' }, 'CONTRACT_VIOLATION', 'kind: must be', 'json'],
  ])('keeps %s as a rejection record with its reason, problems, metadata and body, and completes it', async (_case, body, reason, problem, encoding) => {
    const messageId = randomUUID();
    await expect(deliver(body, { messageId })).resolves.toBeUndefined();

    const key = `${DAY}/${messageId}`;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    expect(await rejection(key)).toEqual({
      version: 1,
      reason,
      problems: expect.arrayContaining([expect.stringContaining(problem)]),
      receivedAt: expect.any(String),
      message: { messageId, deliveryCount: 1, enqueuedTimeUtc: ENQUEUED.toISOString() },
      body: { encoding, content: text, length: Buffer.byteLength(text), truncated: false },
    });
    const errors = logs.filter((l) => l.startsWith('error: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(key);
    expect(errors[0]).toContain(problem);
    expect(errors[0]).not.toContain('hunter2');
  });

  it('keeps a binary body that is not UTF-8 as base64', async () => {
    const messageId = randomUUID();
    const bytes = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0x7b, 0xc3]);
    await deliver(bytes, { messageId });

    expect(await rejection(`${DAY}/${messageId}`)).toMatchObject({
      reason: 'NOT_JSON',
      body: { encoding: 'base64', content: Buffer.from(bytes).toString('base64'), length: 6, truncated: false },
    });
  });

  it('keeps the start of an oversized body, cut at a character boundary, with its whole length', async () => {
    const messageId = randomUUID();
    // Three bytes a character: the bound falls inside one.
    const body = '€'.repeat(30_000);
    await deliver(body, { messageId });

    const kept = (await rejection(`${DAY}/${messageId}`))!.body;
    const whole = Math.floor(MAX_KEPT_BODY_BYTES / 3);
    expect(kept).toEqual({ encoding: 'utf8', content: '€'.repeat(whole), length: 90_000, truncated: true });
  });

  it('keeps one record of a redelivered message, the first delivery, and completes the redelivery too', async () => {
    const messageId = randomUUID();
    await deliver('not json', { messageId, deliveryCount: 1 });
    await expect(deliver('not json', { messageId, deliveryCount: 2 })).resolves.toBeUndefined();

    expect(await keysUnder(`${DAY}/${messageId}`)).toEqual([`${DAY}/${messageId}.json`]);
    expect(await rejection(`${DAY}/${messageId}`)).toMatchObject({ message: { deliveryCount: 1 } });
    expect(logs.filter((l) => l.startsWith('error: ')).at(-1)).toContain('"alreadyKept":true');
  });

  it('names the record of a message without an id by a hash of its body', async () => {
    const body = `no id ${randomUUID()}`;
    await deliver(body);

    const hash = createHash('sha256').update(body).digest('hex');
    expect(await rejection(`${DAY}/sha256-${hash}`)).toMatchObject({ reason: 'NOT_JSON', message: { deliveryCount: 1 }, body: { content: body } });
  });

  it.each([
    ['a pair it does not know', { pairId: 'crm', host: 'ADT-PRI01' }, 'unknown pair'],
    ['a host outside the pair', { pairId: 'erp', host: 'ADT-Other' }, 'host is not in the pair'],
  ])('keeps the first message of the day from %s, once, writing nothing of the pair', async (_case, sender, problem) => {
    const first = randomUUID();
    const beat = heartbeat(sender);
    await deliver(beat, { messageId: first });
    await expect(deliver(heartbeat({ ...sender, sequence: 8 }), { messageId: randomUUID() })).resolves.toBeUndefined();

    const key = `${DAY}/unknown-sender/${sender.pairId}/${sender.host.toLowerCase()}`;
    expect(await keysUnder(`${DAY}/unknown-sender/${sender.pairId}/`)).toEqual([`${key}.json`]);
    expect(await rejection(key)).toMatchObject({
      reason: 'UNKNOWN_SENDER',
      problems: [expect.stringContaining(problem)],
      sender,
      message: { messageId: first },
      body: { encoding: 'json', content: JSON.stringify(beat), truncated: false },
    });
    expect(await readAgentLiveness(inbox.state, sender.pairId, sender.host)).toBeUndefined();
    expect(logs.filter((l) => l.startsWith('error: '))).toEqual([expect.stringContaining(key), expect.stringContaining(key)]);
  });

  it('throws when the rejection record cannot be written, so the message is retried and kept once storage is back', async () => {
    const messageId = randomUUID();
    const unreachable = inbox.connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, `BlobEndpoint=http://127.0.0.1:${await closedPort()}`);
    process.env.WatchdogStorage = unreachable;
    await closeAppServices();
    try {
      await expect(deliver('not json', { messageId })).rejects.toMatchObject({ code: 'STATE_WRITE_FAILED' });
    } finally {
      process.env.WatchdogStorage = inbox.connectionString;
      await closeAppServices();
    }

    await deliver('not json', { messageId, deliveryCount: 2 });
    expect(await rejection(`${DAY}/${messageId}`)).toMatchObject({ reason: 'NOT_JSON', message: { deliveryCount: 2 } });
  });
});
