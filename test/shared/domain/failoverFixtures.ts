import type { AgentAssessment } from '../../../shared/domain/agentLiveness';
import type { BackupAssessment } from '../../../shared/domain/backupAssessment';
import type { FailoverDecisionInput } from '../../../shared/domain/failoverPolicy';
import type { HeartbeatAssessment, HeartbeatState } from '../../../shared/domain/heartbeatAssessment';
import type { PairDefinition, Strategy } from '../../../shared/domain/pair';
import { resolvedPair } from '../../support/pairs';

/** Fixtures for the failover decision: one named situation per value, built on the same clock. */
export const now = new Date('2026-11-22T02:00:00Z');
export const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();
export const TAKEOVER_DELAY = 300;

export function pairOf(strategy: Strategy, automaticFailover = true): PairDefinition {
  return resolvedPair({ strategy, policy: { staleThresholdSeconds: TAKEOVER_DELAY, consecutiveStaleChecks: 3, automaticFailover } });
}

/**
 * What the Primary's agent reports:
 * running, crashed (stopped on its own), stop-ordered, hung (alive, service start-pending),
 * silent (for twice the takeover delay), silent-briefly (20 s), absent (never heard from), fenced.
 */
export type AgentKind = 'running' | 'crashed' | 'stop-ordered' | 'hung' | 'silent' | 'silent-briefly' | 'absent' | 'fenced';
export const AGENT_KINDS: readonly AgentKind[] = ['running', 'crashed', 'stop-ordered', 'hung', 'silent', 'silent-briefly', 'absent', 'fenced'];

export function primaryAgent(kind: AgentKind, silentForSeconds?: number): AgentAssessment | undefined {
  const base: AgentAssessment = {
    host: 'ADT-PRI01',
    alive: true,
    silentForSeconds: 4,
    lastSeenAt: ago(4),
    serviceState: 'running',
    stopOrdered: false,
    fenced: false,
    epochSeen: 0,
  };
  const silent = (s: number): AgentAssessment => ({ ...base, alive: false, silentForSeconds: s, lastSeenAt: ago(s) });
  switch (kind) {
    case 'running':
      return base;
    case 'crashed':
      return { ...base, serviceState: 'stopped' };
    case 'stop-ordered':
      return { ...base, serviceState: 'stopped', stopOrdered: true };
    case 'hung':
      return { ...base, serviceState: 'start-pending' };
    case 'silent':
      return silent(silentForSeconds ?? 2 * TAKEOVER_DELAY);
    case 'silent-briefly':
      return silent(silentForSeconds ?? 20);
    case 'absent':
      return undefined;
    case 'fenced':
      return { ...base, serviceState: 'stopped', stopOrdered: true, fenced: true, epochSeen: 4 };
  }
}

/** A confirmed heartbeat condition as the monitor reports it; `stale-pending` and `unreachable-pending` are not confirmed yet. */
export type HeartbeatKind = HeartbeatState | 'stale-pending' | 'unreachable-pending';
export const STATES: readonly HeartbeatState[] = ['healthy', 'stale', 'released', 'secondary-active', 'unknown-owner', 'unreachable'];

export function heartbeatOf(
  kind: HeartbeatKind,
  strategy: Strategy,
  agent: AgentAssessment | undefined,
  overrides: Partial<HeartbeatAssessment> = {},
): HeartbeatAssessment {
  const state: HeartbeatState = kind === 'stale-pending' ? 'stale' : kind === 'unreachable-pending' ? 'unreachable' : kind;
  const pending = kind !== state;
  const base = { pairId: 'erp', checkedAt: now.toISOString(), since: ago(90), state, observed: state, observedCount: pending ? 1 : 3, requiredChecks: 3 };
  const agents = agent ? { agents: { primary: agent } } : {};
  const facts: Partial<HeartbeatAssessment> = (() => {
    switch (state) {
      case 'healthy':
        return { owner: 'ADT-PRI01', heartbeatAgeSeconds: 10, lastPrimaryHeartbeatUtc: ago(10), primaryDown: { suspected: false, conclusive: false } };
      case 'stale':
        return {
          owner: 'ADT-PRI01',
          heartbeatAgeSeconds: 600,
          lastPrimaryHeartbeatUtc: ago(600),
          primaryDown: pending ? { suspected: false, conclusive: false } : { suspected: true, conclusive: true, since: ago(600) },
        };
      case 'unreachable':
        return {
          lastPrimaryHeartbeatUtc: ago(900),
          failure: { code: 'UNREACHABLE', message: 'connect ECONNREFUSED' },
          primaryDown: strategy === 'copied' && !pending ? { suspected: true, conclusive: false, since: ago(600) } : { suspected: false, conclusive: false },
        };
      case 'released':
        return { owner: null, lastPrimaryHeartbeatUtc: ago(900), primaryDown: { suspected: false, conclusive: false } };
      case 'secondary-active':
        return { owner: 'ADT-SEC01', heartbeatAgeSeconds: 5, lastPrimaryHeartbeatUtc: ago(3600), primaryDown: { suspected: false, conclusive: false } };
      case 'unknown-owner':
        return { owner: 'ADT-OTHER', heartbeatAgeSeconds: 5, lastPrimaryHeartbeatUtc: ago(900), primaryDown: { suspected: false, conclusive: false } };
    }
  })();
  return { ...base, primaryDown: { suspected: false, conclusive: false }, ...facts, ...agents, evidence: [], ...overrides };
}

/** A backup assessment whose newest sound backup was taken `ageSeconds` ago (RPO budget: 1440 min by default). */
export function backupOf(ageSeconds: number | undefined): BackupAssessment {
  const base = { pairId: 'erp', checkedAt: now.toISOString(), overdue: false, problems: [], warnings: [] };
  if (ageSeconds === undefined) return { ...base, state: 'missing', overdue: true };
  const summary = { name: `erp/${ago(ageSeconds)}.bak`, takenAt: ago(ageSeconds), sourceMachine: 'ADT-PRI01', sizeBytes: 1024, sha256: 'ab'.repeat(32) };
  return { ...base, state: ageSeconds > 1440 * 60 ? 'stale' : 'ok', newest: summary, newestValid: summary, ageSeconds };
}

export const FRESH_BACKUP = backupOf(3600);

export interface Situation {
  readonly strategy?: Strategy;
  readonly automaticFailover?: boolean;
  readonly state: HeartbeatKind;
  readonly agent: AgentKind;
  readonly restartsUsed?: number;
}

/** The decision input for a situation; everything else is the benign default (fresh backup, no cool-down, no maintenance). */
export function inputFor(s: Situation, extra: Partial<FailoverDecisionInput> = {}): FailoverDecisionInput {
  const strategy = s.strategy ?? 'copied';
  const agent = primaryAgent(s.agent);
  return {
    pair: pairOf(strategy, s.automaticFailover ?? true),
    heartbeat: heartbeatOf(s.state, strategy, agent),
    backup: FRESH_BACKUP,
    maintenance: false,
    restartsInPlace: Array.from({ length: s.restartsUsed ?? 0 }, (_, i) => ago(60 * (i + 1))),
    now,
    ...extra,
  };
}
