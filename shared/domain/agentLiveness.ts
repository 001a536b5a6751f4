import type { AgentHeartbeat, ServiceState, StartupType } from '../contracts/agentCommands';

/**
 * What the watchdog remembers of one host's agent: its newest heartbeat. The agent's heartbeat
 * is the fast signal: a service that crashed on a live host is known within seconds, and a
 * silent agent together with a stale database heartbeat means the host itself may be lost.
 */
export interface AgentLivenessRecord {
  readonly version: 1;
  readonly pairId: string;
  readonly host: string;
  /**
   * When the watchdog received the newest heartbeat (its own clock). Deliberately not the host's
   * clock nor the enqueue time: a late delivery can only overstate liveness by a few intervals,
   * which delays a takeover rather than causing a false one.
   */
  readonly lastSeenAt: string;
  /** The host's clock when it sent the newest heartbeat: orders heartbeats across agent restarts when an enqueue time is missing. */
  readonly sentAt: string;
  /**
   * When Service Bus enqueued the newest heartbeat (the broker's clock): orders heartbeats across
   * agent restarts, whatever the host's clock did meanwhile. Absent in records written before it
   * was kept, and when the transport did not say.
   */
  readonly enqueuedAt?: string;
  readonly bootId: string;
  readonly sequence: number;
  readonly agentVersion: string;
  /** The interval the agent said it beats at, when it said so. */
  readonly intervalSeconds?: number;
  readonly service: {
    readonly state: ServiceState;
    readonly startupType: StartupType;
    readonly stopOrdered: boolean;
    readonly since?: string;
  };
  readonly epochSeen: number;
  readonly fenced: boolean;
}

export interface AgentAssessment {
  readonly host: string;
  /** Heard from within the last `ALIVE_WITHIN_INTERVALS` heartbeat intervals. */
  readonly alive: boolean;
  readonly silentForSeconds: number;
  readonly lastSeenAt: string;
  readonly serviceState: ServiceState;
  readonly stopOrdered: boolean;
  readonly fenced: boolean;
  readonly epochSeen: number;
}

/** Missed beats tolerated before an agent counts as silent (JAMS: 3 missed heartbeats). */
export const ALIVE_WITHIN_INTERVALS = 3;

/**
 * Is `heartbeat` (enqueued at `enqueuedAt`, when the transport said) newer than what the record
 * holds? Within one agent process the sequence orders them. Across processes (a restart gives a
 * new bootId) the broker's enqueue time does: the host's clock may have been set back across the
 * restart (NTP, a restored VM, a wrong BIOS clock), and then every heartbeat of the new process
 * would look older than the stored one and the agent silent, which counts towards a lost host.
 * The host's clock orders them only when one side has no enqueue time (records written before
 * it was kept). A redelivered message keeps its enqueue time, so an old one stays older.
 */
export function isNewerHeartbeat(record: AgentLivenessRecord | undefined, heartbeat: AgentHeartbeat, enqueuedAt?: Date): boolean {
  if (record === undefined) return true;
  if (heartbeat.bootId === record.bootId) return heartbeat.sequence > record.sequence;
  const enqueued = enqueuedAt?.getTime() ?? Number.NaN;
  const storedEnqueued = record.enqueuedAt === undefined ? Number.NaN : Date.parse(record.enqueuedAt);
  if (Number.isFinite(enqueued) && Number.isFinite(storedEnqueued)) return enqueued > storedEnqueued;
  return Date.parse(heartbeat.sentAt) > Date.parse(record.sentAt);
}

/**
 * The record after `heartbeat`, enqueued at `enqueuedAt`, arrived at `receivedAt`; undefined when
 * it is older than the record (ignore it).
 */
export function applyHeartbeat(
  record: AgentLivenessRecord | undefined,
  heartbeat: AgentHeartbeat,
  host: string,
  receivedAt: Date,
  enqueuedAt?: Date,
): AgentLivenessRecord | undefined {
  if (!isNewerHeartbeat(record, heartbeat, enqueuedAt)) return undefined;
  return {
    version: 1,
    pairId: heartbeat.pairId,
    host,
    lastSeenAt: receivedAt.toISOString(),
    sentAt: heartbeat.sentAt,
    // Only this heartbeat's own enqueue time: a stale one carried over would misorder the next restart.
    ...(enqueuedAt !== undefined && Number.isFinite(enqueuedAt.getTime()) ? { enqueuedAt: enqueuedAt.toISOString() } : {}),
    bootId: heartbeat.bootId,
    sequence: heartbeat.sequence,
    agentVersion: heartbeat.agentVersion,
    ...(heartbeat.intervalSeconds !== undefined ? { intervalSeconds: heartbeat.intervalSeconds } : {}),
    service: { ...heartbeat.service },
    epochSeen: heartbeat.epochSeen,
    fenced: heartbeat.fenced,
  };
}

/** `intervalSeconds` applies when the agent did not report its own interval. */
export function assessAgent(record: AgentLivenessRecord, now: Date, intervalSeconds: number): AgentAssessment {
  const interval = record.intervalSeconds ?? intervalSeconds;
  // A receive time ahead of `now` (two watchdog instances with slightly different clocks) is no silence.
  const silentForSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(record.lastSeenAt)) / 100) / 10);
  return {
    host: record.host,
    alive: silentForSeconds <= ALIVE_WITHIN_INTERVALS * interval,
    silentForSeconds,
    lastSeenAt: record.lastSeenAt,
    serviceState: record.service.state,
    stopOrdered: record.service.stopOrdered,
    fenced: record.fenced,
    epochSeen: record.epochSeen,
  };
}
