import { assessHeartbeat, classifyReading, type HeartbeatMonitorMemory } from '../../../shared/domain/heartbeatAssessment';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import { resolvedPair } from '../../support/pairs';

const pair = resolvedPair({ policy: { staleThresholdSeconds: 300, consecutiveStaleChecks: 3, automaticFailover: false } });
const sharedPair = resolvedPair({ strategy: 'shared' });
const dbNow = new Date('2026-11-22T02:00:00Z');
const at = (s: number): Date => new Date(Date.UTC(2026, 10, 22, 9, 0, s));
const row = (owner: string | null, ageSeconds: number | null, now = dbNow): HeartbeatReading => ({
  kind: 'row',
  owner,
  heartbeatUtc: ageSeconds === null ? null : new Date(now.getTime() - ageSeconds * 1000),
  dbNowUtc: now,
});
const failed: HeartbeatReading = { kind: 'failed', code: 'UNREACHABLE', message: 'connect ECONNREFUSED' };

describe('classifyReading', () => {
  it.each([
    ['a fresh Primary heartbeat', row('ADT-PRI01', 12), 'healthy'],
    ['a heartbeat exactly at the threshold', row('ADT-PRI01', 300), 'healthy'],
    ['a heartbeat one second past the threshold', row('ADT-PRI01', 301), 'stale'],
    ['a Primary owner that never wrote a heartbeat', row('ADT-PRI01', null), 'stale'],
    ['the owner written in lower case with a DNS suffix', row('adt-pri01.corp.example', 5), 'healthy'],
    ['no owner', row(null, 40), 'released'],
    ['an empty owner', row('  ', null), 'released'],
    ['the Secondary as owner', row('ADT-SEC01', 3), 'secondary-active'],
    ['a third machine as owner', row('ADT-OTHER', 3), 'unknown-owner'],
    ['a failed query', failed, 'unreachable'],
  ] as const)('classifies %s as %s', (_name, reading, expected) => {
    expect(classifyReading(pair, reading, at(0)).state).toBe(expected);
  });

  it('measures age on the database clock, not the watchdog clock', () => {
    // The watchdog's clock (at) is seven hours off the database's; only the database's counts.
    const o = classifyReading(pair, row('ADT-PRI01', 42), at(0));
    expect(o.ageSeconds).toBe(42);
    expect(o.state).toBe('healthy');
  });

  it('treats a heartbeat ahead of the database clock as age zero', () => {
    expect(classifyReading(pair, row('ADT-PRI01', -30), at(0)).ageSeconds).toBe(0);
  });
});

describe('assessHeartbeat', () => {
  function feed(readings: HeartbeatReading[], p = pair): ReturnType<typeof assessHeartbeat>[] {
    let memory: HeartbeatMonitorMemory | undefined;
    return readings.map((r, i) => {
      const result = assessHeartbeat(p, memory, r, at(i * 30));
      memory = result.memory;
      return result;
    });
  }

  it('confirms a stale heartbeat only after the configured consecutive checks', () => {
    // The heartbeat stops at 01:59:50 while the database clock moves on 100 s per check.
    const stopped = new Date(dbNow.getTime() - 10_000);
    const checks = [0, 1, 2, 3, 4, 5].map((i): HeartbeatReading => ({ kind: 'row', owner: 'ADT-PRI01', heartbeatUtc: stopped, dbNowUtc: new Date(dbNow.getTime() + i * 100_000) }));
    const results = feed(checks);
    expect(results.map((r) => r.assessment.observed)).toEqual(['healthy', 'healthy', 'healthy', 'stale', 'stale', 'stale']);
    expect(results.map((r) => r.assessment.state)).toEqual(['healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'stale']);
    expect(results.map((r) => r.assessment.primaryDown.suspected)).toEqual([false, false, false, false, false, true]);
    expect(results[5]!.assessment.primaryDown).toEqual({ suspected: true, conclusive: true, since: stopped.toISOString() });
  });

  it('resets the count when one fresh heartbeat interrupts a stale run', () => {
    const results = feed([row('ADT-PRI01', 400), row('ADT-PRI01', 430), row('ADT-PRI01', 5), row('ADT-PRI01', 400), row('ADT-PRI01', 430)]);
    expect(results.map((r) => r.memory.confirmed?.state)).toEqual([undefined, undefined, 'healthy', 'healthy', 'healthy']);
  });

  it('returns to healthy at the first fresh heartbeat after a confirmed stale one', () => {
    const results = feed([row('ADT-PRI01', 400), row('ADT-PRI01', 430), row('ADT-PRI01', 460), row('ADT-PRI01', 2)]);
    expect(results.map((r) => r.assessment.state)).toEqual(['stale', 'stale', 'stale', 'healthy']);
    expect(results[2]!.memory.confirmed).toEqual({ state: 'stale', since: at(0).toISOString() });
  });

  it('confirms a released lock at once, since it is a fact read from the database', () => {
    const [first] = feed([row(null, null)]);
    expect(first!.memory.confirmed?.state).toBe('released');
    expect(first!.assessment.primaryDown.suspected).toBe(false);
  });

  it('never counts an unreachable shared database as the Primary being down', () => {
    const results = feed([failed, failed, failed, failed], sharedPair);
    expect(results[3]!.assessment.state).toBe('unreachable');
    expect(results[3]!.assessment.primaryDown.suspected).toBe(false);
    expect(results[3]!.assessment.evidence.join(' ')).toMatch(/not evidence that the Primary is down/);
  });

  it('counts an unreachable copied database only as an inconclusive suspicion', () => {
    const results = feed([failed, failed, failed]);
    expect(results[2]!.assessment.primaryDown).toEqual({ suspected: true, conclusive: false, since: at(0).toISOString() });
  });

  it('remembers the newest Primary heartbeat across failed reads', () => {
    const results = feed([row('ADT-PRI01', 10), failed]);
    expect(results[1]!.assessment.lastPrimaryHeartbeatUtc).toBe(new Date(dbNow.getTime() - 10_000).toISOString());
  });

  it('keeps the confirmed condition and its start while the same state continues', () => {
    const results = feed([row('ADT-SEC01', 1), row('ADT-SEC01', 1), row('ADT-SEC01', 1)]);
    expect(results.map((r) => r.assessment.since)).toEqual([at(0).toISOString(), at(0).toISOString(), at(0).toISOString()]);
  });
});
