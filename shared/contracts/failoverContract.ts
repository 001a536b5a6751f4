import { z } from 'zod';
import type { BackupSummary } from '../domain/backupAssessment';
import type { FailoverDecision } from '../domain/failoverPolicy';
import type { GateReason } from '../domain/approvalGate';
import type { Notification } from '../domain/notification';
import type { PairDefinition } from '../domain/pair';
import type { FailoverSettings } from '../domain/runbookSettings';
import type { AgentErrorCode, CommandEnvelope } from './agentCommands';

/**
 * What the failover orchestration, its activities, its triggers (the heartbeat monitor and the
 * HTTP API) and the reply listener agree on. Everything here crosses the durable history, so it
 * is plain JSON and never holds a secret (a restore's SAS URL is made inside the activity that
 * sends the command and never enters the history).
 */

/** One failover instance per pair: a second trigger while one runs finds the running one. */
export function failoverInstanceId(pairId: string): string {
  return `failover-${pairId}`;
}

export function pairIdOfInstance(instanceId: string): string | undefined {
  return /^failover-([a-z0-9][a-z0-9-]{0,39})$/.exec(instanceId)?.[1];
}

export type FailoverTrigger = 'automatic' | 'requested';

export interface FailoverInput {
  readonly pairId: string;
  readonly trigger: FailoverTrigger;
  /** The person (Entra name, or the function key's label) who asked; absent for automatic. */
  readonly requestedBy?: string;
  readonly reason: string;
  /** When the trigger fired (ISO 8601, the trigger's clock). */
  readonly requestedAt: string;
  /** When the Primary was first suspected down (the heartbeat condition's start), for the detection time. */
  readonly detectedAt?: string;
  /** The evidence the trigger decided on. */
  readonly evidence: readonly string[];
  /** A client's key: a request repeating it gets the instance it started instead of a new one. */
  readonly idempotencyKey?: string;
}

export const FAILOVER_EVENTS = {
  /** Data: ApprovalEvent. */
  approval: 'approval',
  /** Data: CancelEvent. Honoured until the fence step begins. */
  cancel: 'cancel',
} as const;

export const approvalEventSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    by: z.string().min(1).max(256),
    comment: z.string().max(1000).optional(),
    at: z.string(),
  })
  .strict();
export type ApprovalEvent = z.infer<typeof approvalEventSchema>;

export const cancelEventSchema = z.object({ by: z.string().min(1).max(256), reason: z.string().min(1).max(1000), at: z.string() }).strict();
export type CancelEvent = z.infer<typeof cancelEventSchema>;

/**
 * Agent replies reach the waiting orchestration as raised events. A command's correlationId is
 * `<instanceId>/<commandKey>`; the reply listener raises `reply:<commandKey>` on that instance.
 */
export function commandCorrelationId(instanceId: string, commandKey: string): string {
  return `${instanceId}/${commandKey}`;
}

export function replyEventName(commandKey: string): string {
  return `reply:${commandKey}`;
}

/** Where a reply goes: undefined for a correlationId no orchestration issued (e.g. a person's command). */
export function routeReply(correlationId: string): { readonly instanceId: string; readonly eventName: string } | undefined {
  const slash = correlationId.indexOf('/');
  if (slash <= 0) return undefined;
  const instanceId = correlationId.slice(0, slash);
  const key = correlationId.slice(slash + 1);
  if (pairIdOfInstance(instanceId) === undefined || !/^[A-Za-z0-9._-]{1,64}$/.test(key)) return undefined;
  return { instanceId, eventName: replyEventName(key) };
}

export type FailoverPhase = 'open' | 'preflight' | 'gate' | 'fence' | 'restore' | 'start' | 'verify' | 'close';
export const FAILOVER_PHASES: readonly FailoverPhase[] = ['open', 'preflight', 'gate', 'fence', 'restore', 'start', 'verify', 'close'];

export type StepOutcome = 'running' | 'done' | 'skipped' | 'failed';

export interface StepRecord {
  readonly step: FailoverPhase;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly outcome: StepOutcome;
  /** What happened, for people. */
  readonly detail: string;
}

/** The orchestration's custom status: what the status route shows while it runs. */
export interface FailoverProgress {
  readonly pairId: string;
  readonly phase: FailoverPhase;
  readonly trigger: FailoverTrigger;
  readonly requestedBy?: string;
  readonly startedAt: string;
  readonly steps: readonly StepRecord[];
  /** Set while the gate waits for a person. */
  readonly awaiting?: { readonly event: 'approval'; readonly until: string; readonly reasons: readonly GateReason[] };
  /** The epoch the fence raised, once it did. */
  readonly epoch?: number;
  /** False from the fence on: a cancel would leave the pair half failed over. */
  readonly cancellable: boolean;
  readonly idempotencyKey?: string;
}

export type FailoverOutcome = 'completed' | 'aborted' | 'stalled';

export interface FailoverResult {
  readonly pairId: string;
  readonly instanceId: string;
  readonly outcome: FailoverOutcome;
  /** Stable code: COMPLETED, REJECTED, APPROVAL_TIMEOUT, CANCELLED, NOT_NEEDED, PREFLIGHT_FAILED, FENCE_FAILED, RESTORE_FAILED, START_FAILED, VERIFY_FAILED, ... */
  readonly code: string;
  readonly detail: string;
  readonly trigger: FailoverTrigger;
  readonly requestedBy?: string;
  readonly approvedBy?: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly steps: readonly StepRecord[];
  /** What was done and what is left, for the people who pick it up. */
  readonly done: readonly string[];
  readonly left: readonly string[];
  readonly epoch?: number;
  readonly timings: {
    /** From the Primary first suspected down to the failover's start. */
    readonly detectionSeconds?: number;
    /** From the Primary first suspected down (or the request) to the Secondary verified as owner. */
    readonly rtoSeconds?: number;
    readonly stepSeconds: Readonly<Partial<Record<FailoverPhase, number>>>;
  };
  /** Copied pairs: the changes lost (from the restored backup's time to the Primary's last heartbeat). */
  readonly dataLoss?: { readonly from: string; readonly to?: string; readonly seconds?: number; readonly backupName: string };
}

/** The gatherFacts activity's answer: the evidence the runbook decides on, read at one moment. */
export interface FailoverFacts {
  readonly pair: PairDefinition & { readonly failover: FailoverSettings };
  readonly checkedAt: string;
  readonly decision: FailoverDecision;
  /** From the fence record (0 and the Primary when there is none). */
  readonly epoch: number;
  readonly activeHost: string;
  /** Copied pairs: the newest sound backup with its SHA-256 (the one a restore would use). */
  readonly backup?: BackupSummary & { readonly sha256: string };
  /** The Primary's newest heartbeat the monitor saw (database clock). */
  readonly primaryLastHeartbeatUtc?: string;
  /** When the heartbeat monitor's condition began (for the detection time). */
  readonly conditionSince?: string;
}

export type HostRole = 'primary' | 'secondary';

/** A command as the orchestration asks for it. A restore names the backup; the activity adds the SAS URL. */
export type CommandSpec =
  | Exclude<CommandEnvelope['command'], { type: 'restoreDatabase' }>
  | { readonly type: 'restoreDatabase'; readonly backupName: string; readonly sha256: string; readonly sizeBytes: number; readonly timeoutSeconds: number };

export interface SendCommandInput {
  readonly pairId: string;
  readonly role: HostRole;
  readonly messageId: string;
  readonly correlationId: string;
  readonly epoch: number;
  readonly issuedAt: string;
  readonly notAfter: string;
  readonly command: CommandSpec;
}

export interface RaiseEpochInput {
  readonly pairId: string;
  readonly instanceId: string;
  readonly reason: string;
}

export interface RaiseEpochResult {
  readonly epoch: number;
  readonly activeHost: string;
  readonly previousEpoch: number;
  /** The record already named the Secondary for this failover (a retried activity). */
  readonly alreadyRaised: boolean;
}

/**
 * How sure the watchdog is that the Primary's adTempus no longer runs, from the lock alone:
 * released (clean stop), the Primary's heartbeat and its age, or nothing known.
 */
export interface PrimaryLockEvidence {
  readonly state: 'released' | 'primary-owner' | 'other-owner' | 'unknown';
  /** The Primary's heartbeat age (database clock when read now; the safe estimate otherwise). */
  readonly ageSeconds?: number;
  readonly owner?: string;
  readonly detail: string;
}

export interface OwnerReading {
  readonly ok: boolean;
  readonly owner?: string | null;
  readonly heartbeatUtc?: string;
  readonly ageSeconds?: number;
  readonly detail: string;
}

export interface ReadOwnerInput {
  readonly pairId: string;
  /** Whose database to read: the Secondary's after a copied failover; either with a shared one. */
  readonly side: HostRole;
}

export interface NotifyInput {
  readonly notification: Notification;
}

export interface CloseFailoverInput {
  readonly result: FailoverResult;
}

/** An agent's final word on a command, as the orchestration sees it. */
export type CommandOutcome =
  | { readonly kind: 'succeeded'; readonly result?: Readonly<Record<string, unknown>>; readonly replayed: boolean }
  | { readonly kind: 'failed'; readonly code: AgentErrorCode; readonly message: string }
  | { readonly kind: 'no-reply'; readonly attempts: number };
