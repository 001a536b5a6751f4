import { COMMAND_CONTRACT_VERSION, type AgentHeartbeat } from '../../../shared/contracts/agentCommands';
import { applyHeartbeat, isNewerHeartbeat, type AgentLivenessRecord } from '../../../shared/domain/agentLiveness';

/** The watchdog's and the broker's clock: minutes after 10:00 UTC. */
const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);
const iso = (minutes: number): string => at(minutes).toISOString();

function heartbeat(bootId: string, sequence: number, sentAtMinutes: number): AgentHeartbeat {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    kind: 'agentHeartbeat',
    pairId: 'erp',
    host: 'ADT-PRI01',
    sentAt: iso(sentAtMinutes),
    sequence,
    bootId,
    agentVersion: '0.1.0',
    service: { state: 'running', startupType: 'automatic', stopOrdered: false },
    epochSeen: 2,
    fenced: false,
  };
}

/** What the watchdog holds for boot-a's heartbeat 40, sent and enqueued at 10:00 (`enqueuedAt` undefined: written by the previous version). */
function stored(enqueuedAtMinutes: number | undefined, overrides: Partial<AgentLivenessRecord> = {}): AgentLivenessRecord {
  const record = applyHeartbeat(undefined, heartbeat('boot-a', 40, 0), 'ADT-PRI01', at(0), enqueuedAtMinutes === undefined ? undefined : at(enqueuedAtMinutes));
  return { ...record!, ...overrides };
}

describe('isNewerHeartbeat', () => {
  it.each<[string, boolean, AgentLivenessRecord | undefined, AgentHeartbeat, number | undefined]>([
    ['the first heartbeat of a host', true, undefined, heartbeat('boot-a', 0, 0), 1],
    ['a later heartbeat of the same process, whatever the clocks say', true, stored(0), heartbeat('boot-a', 41, -60), -60],
    ['a redelivery of the stored heartbeat', false, stored(0), heartbeat('boot-a', 40, 0), 0],
    ['an earlier heartbeat of the same process arriving late', false, stored(0), heartbeat('boot-a', 39, 1), 1],
    ['a restarted agent whose host clock was set back an hour, enqueued later', true, stored(0), heartbeat('boot-b', 0, -59), 1],
    ['a restarted agent whose host clock jumped ahead, enqueued later', true, stored(0), heartbeat('boot-b', 0, 120), 1],
    ['a message of an earlier process redelivered after the restart, its host clock ahead', false, stored(0, { bootId: 'boot-b', sentAt: iso(-59) }), heartbeat('boot-a', 40, 0), -1],
    ['a message enqueued at the same instant as the stored one of another process', false, stored(0), heartbeat('boot-b', 0, 1), 0],
    ['a restart after a record without enqueue time, its host clock later', true, stored(undefined), heartbeat('boot-b', 0, 1), 1],
    ['a restart after a record without enqueue time, its host clock set back', false, stored(undefined), heartbeat('boot-b', 0, -59), 1],
    ['a restart without enqueue time after a record with one, its host clock later', true, stored(0), heartbeat('boot-b', 0, 1), undefined],
    ['a restart without enqueue time after a record with one, its host clock set back', false, stored(0), heartbeat('boot-b', 0, -59), undefined],
    ['a restart with an enqueue time that is no time, its host clock later', true, stored(0), heartbeat('boot-b', 0, 1), Number.NaN],
  ])('counts %s as newer: %s', (_case, newer, record, next, enqueuedAtMinutes) => {
    expect(isNewerHeartbeat(record, next, enqueuedAtMinutes === undefined ? undefined : at(enqueuedAtMinutes))).toBe(newer);
  });
});

describe('applyHeartbeat', () => {
  it("keeps the broker's enqueue time beside the host's send time, and the watchdog's receive time as lastSeenAt", () => {
    const record = applyHeartbeat(undefined, heartbeat('boot-a', 0, -59), 'ADT-PRI01', at(2), at(1));

    expect(record).toMatchObject({ sentAt: iso(-59), enqueuedAt: iso(1), lastSeenAt: iso(2) });
  });

  it("does not carry an earlier heartbeat's enqueue time over to one that came without", () => {
    const record = applyHeartbeat(stored(0), heartbeat('boot-a', 41, 1), 'ADT-PRI01', at(1));

    expect(record).toMatchObject({ sequence: 41, sentAt: iso(1) });
    expect(record).not.toHaveProperty('enqueuedAt');
  });

  it('takes every heartbeat of a restarted agent whose host clock went back an hour', () => {
    let record: AgentLivenessRecord | undefined = stored(0);
    for (let sequence = 0; sequence < 3; sequence++) {
      const next = applyHeartbeat(record, heartbeat('boot-b', sequence, -59 + sequence), 'ADT-PRI01', at(1 + sequence), at(1 + sequence));
      expect(next).toBeDefined();
      record = next;
    }

    expect(record).toMatchObject({ bootId: 'boot-b', sequence: 2, lastSeenAt: iso(3), enqueuedAt: iso(3) });
  });
});
