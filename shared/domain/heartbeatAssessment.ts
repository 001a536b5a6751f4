import type { AgentAssessment } from './agentLiveness';
import type { HeartbeatFailureCode, HeartbeatReading } from './heartbeatReading';
import { sameHost, type PairDefinition } from './pair';

/**
 * What the Primary's database heartbeat says about a pair.
 * - healthy: the Primary owns the lock and its heartbeat is fresh.
 * - stale: the Primary owns the lock but its heartbeat is older than the threshold.
 * - released: nobody owns the lock (adTempus was stopped cleanly).
 * - secondary-active: the Secondary owns the lock.
 * - unknown-owner: a machine that is neither side owns the lock.
 * - unreachable: the query failed (never, alone, proof that the Primary is down).
 */
export type HeartbeatState = 'healthy' | 'stale' | 'released' | 'secondary-active' | 'unknown-owner' | 'unreachable';

export interface HeartbeatObservation {
  readonly state: HeartbeatState;
  readonly at: string;
  readonly owner?: string | null;
  readonly heartbeatUtc?: string | null;
  readonly dbNowUtc?: string;
  /** Age of the owner's heartbeat on the database's clock; absent when unknown. */
  readonly ageSeconds?: number;
  readonly failure?: { readonly code: HeartbeatFailureCode; readonly message: string };
}

/** Per-pair memory of the heartbeat monitor, persisted between timer executions. */
export interface HeartbeatMonitorMemory {
  /** The current run of identical observations. */
  readonly run: { readonly state: HeartbeatState; readonly since: string; readonly count: number };
  /** The condition last confirmed (the one people were told about). */
  readonly confirmed?: { readonly state: HeartbeatState; readonly since: string };
  readonly last: HeartbeatObservation;
  /** Newest Primary heartbeat ever seen, on the database clock. */
  readonly lastPrimaryHeartbeatUtc?: string;
}

export interface HeartbeatAssessment {
  readonly pairId: string;
  readonly checkedAt: string;
  /** The confirmed condition (after hysteresis). */
  readonly state: HeartbeatState;
  readonly since: string;
  /** What this check alone saw, and how many checks in a row saw it. */
  readonly observed: HeartbeatState;
  readonly observedCount: number;
  readonly requiredChecks: number;
  readonly owner?: string | null;
  readonly heartbeatAgeSeconds?: number;
  readonly lastPrimaryHeartbeatUtc?: string;
  readonly failure?: { readonly code: HeartbeatFailureCode; readonly message: string };
  /** The failover decision reads this: is the Primary suspected down, since when, on what evidence. */
  readonly primaryDown: {
    readonly suspected: boolean;
    /** True when this signal alone is enough; false when a second signal (agent silence) is still needed. */
    readonly conclusive: boolean;
    readonly since?: string;
  };
  /**
   * Set after a failover (the fence record names the Secondary): the pair was judged with its roles
   * swapped, so "Primary" in this assessment is the active side named here, and the configured
   * Primary, should it own the lock with a fresh heartbeat, is the 'secondary-active' danger.
   */
  readonly afterFailover?: { readonly epoch: number; readonly activeHost: string; readonly configuredPrimary: string };
  /** What each host's agent last reported (absent: never heard from, or agents not deployed). */
  readonly agents?: { readonly primary?: AgentAssessment; readonly secondary?: AgentAssessment };
  readonly evidence: readonly string[];
}

/** The agents' own view, read next to the database heartbeat; undefined = never heard from. */
export interface AgentSignals {
  readonly primary?: AgentAssessment;
  readonly secondary?: AgentAssessment;
}

/**
 * The pair as the monitor judges it after a failover: the Secondary is the side expected to own
 * the lock. The failover decision keeps the configured pair (it must answer ALREADY_FAILED_OVER).
 */
export function rolesSwapped(pair: PairDefinition): PairDefinition {
  return { ...pair, primary: pair.secondary, secondary: pair.primary };
}

export type AfterFailover = NonNullable<HeartbeatAssessment['afterFailover']>;

/**
 * `swapped`: `pair` has its roles swapped after a failover. The configured Primary then owning the
 * lock with a stale heartbeat is what a restored backup or a takeover not yet done leaves behind:
 * the active side is not heartbeating ('stale'); only a fresh heartbeat of it is the danger.
 */
export function classifyReading(pair: PairDefinition, reading: HeartbeatReading, at: Date, swapped = false): HeartbeatObservation {
  const iso = at.toISOString();
  if (reading.kind === 'failed') {
    return { state: 'unreachable', at: iso, failure: { code: reading.code, message: reading.message } };
  }
  const base = {
    at: iso,
    owner: reading.owner,
    heartbeatUtc: reading.heartbeatUtc?.toISOString() ?? null,
    dbNowUtc: reading.dbNowUtc.toISOString(),
  };
  const ageSeconds =
    reading.heartbeatUtc === null ? undefined : Math.max(0, Math.round((reading.dbNowUtc.getTime() - reading.heartbeatUtc.getTime()) / 100) / 10);
  const withAge = ageSeconds === undefined ? base : { ...base, ageSeconds };
  const owner = reading.owner?.trim() ?? '';
  if (owner === '') return { ...withAge, state: 'released' };
  if (sameHost(owner, pair.primary.hostName)) {
    const fresh = ageSeconds !== undefined && ageSeconds <= pair.policy.staleThresholdSeconds;
    return { ...withAge, state: fresh ? 'healthy' : 'stale' };
  }
  if (sameHost(owner, pair.secondary.hostName)) {
    const leftover = swapped && (ageSeconds === undefined || ageSeconds > pair.policy.staleThresholdSeconds);
    return { ...withAge, state: leftover ? 'stale' : 'secondary-active' };
  }
  return { ...withAge, state: 'unknown-owner' };
}

/** Doubtful conditions must be seen on consecutive checks before they are confirmed; facts are confirmed at once. */
export function requiredChecks(pair: PairDefinition, state: HeartbeatState): number {
  return state === 'stale' || state === 'unreachable' || state === 'unknown-owner' ? pair.policy.consecutiveStaleChecks : 1;
}

export function assessHeartbeat(
  pair: PairDefinition,
  previous: HeartbeatMonitorMemory | undefined,
  reading: HeartbeatReading,
  at: Date,
  agents?: AgentSignals,
  afterFailover?: AfterFailover,
  /** States seen but not confirmed now (a failover's takeover is under way and they are its doing). */
  held?: ReadonlySet<HeartbeatState>,
): { memory: HeartbeatMonitorMemory; assessment: HeartbeatAssessment } {
  const observation = classifyReading(pair, reading, at, afterFailover !== undefined);
  const run =
    previous && previous.run.state === observation.state
      ? { state: observation.state, since: previous.run.since, count: previous.run.count + 1 }
      : { state: observation.state, since: observation.at, count: 1 };
  const needed = requiredChecks(pair, observation.state);
  const hold = held?.has(run.state) === true;
  const confirmed =
    run.count >= needed && !hold
      ? previous?.confirmed?.state === run.state
        ? previous.confirmed
        : { state: run.state, since: run.since }
      : previous?.confirmed;

  const primaryBeat =
    observation.state === 'healthy' || observation.state === 'stale' ? observation.heartbeatUtc ?? undefined : undefined;
  const lastPrimaryHeartbeatUtc = newest(previous?.lastPrimaryHeartbeatUtc, primaryBeat);
  const memory: HeartbeatMonitorMemory = {
    run,
    ...(confirmed ? { confirmed } : {}),
    last: observation,
    ...(lastPrimaryHeartbeatUtc ? { lastPrimaryHeartbeatUtc } : {}),
  };
  // Until a doubtful first observation is confirmed, the pair is reported as what was seen, pending.
  const state = confirmed?.state ?? observation.state;
  const since = confirmed?.since ?? run.since;
  const primaryDown = downSignal(pair, state, since, lastPrimaryHeartbeatUtc, confirmed !== undefined);
  return {
    memory,
    assessment: {
      pairId: pair.id,
      checkedAt: observation.at,
      state,
      since,
      observed: observation.state,
      observedCount: run.count,
      requiredChecks: needed,
      ...(observation.owner !== undefined ? { owner: observation.owner } : {}),
      ...(observation.ageSeconds !== undefined ? { heartbeatAgeSeconds: observation.ageSeconds } : {}),
      ...(lastPrimaryHeartbeatUtc ? { lastPrimaryHeartbeatUtc } : {}),
      ...(observation.failure ? { failure: observation.failure } : {}),
      primaryDown,
      ...(afterFailover ? { afterFailover } : {}),
      ...(agents ? { agents } : {}),
      evidence: [
        ...(afterFailover ? [afterFailoverLine(afterFailover)] : []),
        ...evidence(pair, observation, run, needed, lastPrimaryHeartbeatUtc),
        ...(hold ? [`${observation.state} is what the running failover's takeover does: seen, not confirmed, no alert`] : []),
        ...agentEvidence(pair, agents),
      ],
    },
  };
}

function downSignal(
  pair: PairDefinition,
  state: HeartbeatState,
  since: string,
  lastPrimaryHeartbeatUtc: string | undefined,
  isConfirmed: boolean,
): HeartbeatAssessment['primaryDown'] {
  if (!isConfirmed) return { suspected: false, conclusive: false };
  if (state === 'stale') return { suspected: true, conclusive: true, since: lastPrimaryHeartbeatUtc ?? since };
  // With a shared database an unreachable database is the database's trouble: failing over cannot help.
  if (state === 'unreachable' && pair.strategy === 'copied') return { suspected: true, conclusive: false, since };
  return { suspected: false, conclusive: false };
}

function evidence(
  pair: PairDefinition,
  o: HeartbeatObservation,
  run: HeartbeatMonitorMemory['run'],
  needed: number,
  lastPrimaryHeartbeatUtc: string | undefined,
): string[] {
  const lines: string[] = [];
  if (o.failure) lines.push(`heartbeat query failed (${o.failure.code}): ${o.failure.message}`);
  else {
    lines.push(`lock owner: ${o.owner?.trim() ? o.owner : '(none: lock released)'}`);
    if (o.ageSeconds !== undefined) {
      lines.push(`heartbeat age ${formatSeconds(o.ageSeconds)} on the database clock (threshold ${formatSeconds(pair.policy.staleThresholdSeconds)})`);
    } else if (o.state !== 'released') lines.push('the owner has written no heartbeat');
  }
  lines.push(`seen ${run.count} check${run.count === 1 ? '' : 's'} in a row since ${run.since} (${needed} needed to confirm)`);
  if (lastPrimaryHeartbeatUtc && o.state !== 'healthy') lines.push(`last Primary heartbeat seen: ${lastPrimaryHeartbeatUtc}`);
  if (o.state === 'unreachable' && pair.strategy === 'shared') {
    lines.push('shared database: an unreachable database is not evidence that the Primary is down');
  }
  if (o.state === 'unreachable' && pair.strategy === 'copied') {
    lines.push("copied database: needs a second signal (the Primary agent's silence) before it counts as the Primary being down");
  }
  return lines;
}

function agentEvidence(pair: PairDefinition, agents: AgentSignals | undefined): string[] {
  if (!agents) return [];
  const line = (side: string, host: string, a: AgentAssessment | undefined): string =>
    a === undefined
      ? `${side} agent (${host}): never heard from`
      : `${side} agent (${host}): ${a.alive ? 'alive' : `silent for ${formatSeconds(a.silentForSeconds)}`}, adTempus service ${a.serviceState}` +
        `${a.serviceState === 'stopped' ? (a.stopOrdered ? ' (stop ordered)' : ' (stopped on its own)') : ''}${a.fenced ? ', fenced' : ''}`;
  return [line('Primary', pair.primary.hostName, agents.primary), line('Secondary', pair.secondary.hostName, agents.secondary)];
}

/** Said first wherever the assessment is shown: "Primary" below means the active side. */
export function afterFailoverLine(f: AfterFailover): string {
  return `after the failover at epoch ${f.epoch}, ${f.activeHost} is the active side (roles swapped: "Primary" below means ${f.activeHost}, and ${f.configuredPrimary} owning the lock with a fresh heartbeat is the danger)`;
}

function newest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export function formatSeconds(total: number): string {
  const s = Math.round(total);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const h = Math.floor(s / 3600);
  return h < 48 ? `${h} h ${Math.floor((s % 3600) / 60)} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}
