import { ORCHESTRATIONS } from '../../orchestrations/names';
import {
  FAILOVER_EVENTS,
  failoverInstanceId,
  pairIdOfInstance,
  type ApprovalEvent,
  type CancelEvent,
  type FailoverInput,
} from '../contracts/failoverContract';
import { twoPersonCheck, type Caller } from '../domain/caller';
import { failoverPlan, type FailoverPlan } from '../domain/failoverPlan';
import type { PairDefinition } from '../domain/pair';
import { DEFAULT_FAILOVER_SETTINGS } from '../domain/runbookSettings';
import type { Logger } from '../ports/logger.port';
import { isRunning, type OrchestrationClient, type OrchestrationInstance, type OrchestrationRuntimeStatus } from '../ports/orchestrationClient.port';
import { findPair, gatherFailoverFacts, type FailoverFactsDeps } from './failoverFacts';
import { ApprovalForbiddenError, FailoverRefusedError, FailoverStateError, UnknownFailoverError } from './failoverRequestErrors';
import { failoverStatusView, failoverSummary, inputOf, progressOf, type FailoverStatusView, type FailoverSummary } from './failoverInstanceView';

/**
 * What people ask of failovers over the HTTP API: start one (or see what it would do), answer
 * the approval gate, cancel before the fence, and read where it stands. The orchestration does
 * the work; this decides whether a request may reach it and with what.
 */
export interface FailoverRequestDeps extends FailoverFactsDeps {
  readonly orchestrations: OrchestrationClient;
  readonly logger: Logger;
}

export interface RequestFailoverInput {
  readonly reason: string;
  readonly caller: Caller;
  readonly dryRun: boolean;
  readonly idempotencyKey?: string;
}

export type RequestFailoverOutcome =
  /** Nothing was executed: the plan, and the failover already running if there is one. */
  | { readonly kind: 'dry-run'; readonly plan: FailoverPlan; readonly running?: FailoverSummary }
  | { readonly kind: 'started'; readonly instanceId: string }
  /** No second run: the pair's failover is running, or it is the one this idempotency key started. */
  | {
      readonly kind: 'existing';
      readonly instanceId: string;
      readonly runtimeStatus: OrchestrationRuntimeStatus;
      readonly alreadyRunning: boolean;
      /** The existing instance was started with the same idempotency key. */
      readonly sameRequest: boolean;
    };

export async function requestFailover(deps: FailoverRequestDeps, pairId: string, input: RequestFailoverInput): Promise<RequestFailoverOutcome> {
  const pair = findPair(deps.pairs, pairId);
  const instanceId = failoverInstanceId(pair.id);
  const request = { requestedBy: input.caller.name, reason: input.reason };
  if (input.dryRun) {
    const [facts, current] = await Promise.all([gatherFailoverFacts(deps, pair.id, request), deps.orchestrations.getStatus(instanceId)]);
    return { kind: 'dry-run', plan: failoverPlan(facts), ...(current && isRunning(current.runtimeStatus) ? { running: failoverSummary(current) } : {}) };
  }
  const existing = existingOutcome(await deps.orchestrations.getStatus(instanceId), input.idempotencyKey);
  if (existing) return existing;

  const facts = await gatherFailoverFacts(deps, pair.id, request);
  const { decision } = facts;
  if (decision.action !== 'failover') {
    deps.logger.warn('failover request refused', { pair: pair.id, requestedBy: request.requestedBy, reason: decision.reason });
    throw new FailoverRefusedError(pair.id, decision.reason, decision.evidence);
  }
  const failover: FailoverInput = {
    pairId: pair.id,
    trigger: 'requested',
    requestedBy: request.requestedBy,
    reason: input.reason,
    requestedAt: deps.clock().toISOString(),
    ...(facts.conditionSince !== undefined ? { detectedAt: facts.conditionSince } : {}),
    evidence: decision.evidence,
    ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
  };
  const started = await deps.orchestrations.start(ORCHESTRATIONS.failover, instanceId, failover);
  if (!started.started) {
    // Another trigger won the race between our look and our start: that run is the pair's failover.
    return existingOutcome(started.existing, input.idempotencyKey) ?? existingOf(started.existing, input.idempotencyKey);
  }
  deps.logger.warn('failover started on request', { pair: pair.id, instanceId, requestedBy: request.requestedBy, gate: decision.gate.required });
  return { kind: 'started', instanceId };
}

export interface ApprovalAnswer {
  readonly decision: ApprovalEvent['decision'];
  readonly caller: Caller;
  readonly comment?: string;
}

/**
 * Answers the gate. The two-person rule binds approvals only: a rejection stops the runbook,
 * the safe direction, so anyone allowed to call the route may reject, the requester included.
 */
export async function answerApproval(deps: FailoverRequestDeps, instanceId: string, answer: ApprovalAnswer): Promise<ApprovalEvent> {
  const { pair, instance } = await runningFailover(deps, instanceId);
  const progress = progressOf(instance);
  if (!progress?.awaiting) {
    throw new FailoverStateError('NOT_AWAITING_APPROVAL', `Failover ${instanceId} is not waiting for approval (phase ${progress?.phase ?? 'not started'})`, {
      phase: progress?.phase ?? null,
    });
  }
  const settings = pair.failover ?? DEFAULT_FAILOVER_SETTINGS;
  if (answer.decision === 'approve' && settings.twoPersonRule) {
    const check = twoPersonCheck(inputOf(instance)?.requestedBy ?? progress.requestedBy, answer.caller);
    if (!check.ok) throw new ApprovalForbiddenError(check.code === 'IDENTITY_REQUIRED' ? 'IDENTITY_REQUIRED' : 'TWO_PERSON_RULE', capitalize(check.detail));
  }
  const event: ApprovalEvent = {
    decision: answer.decision,
    by: answer.caller.name,
    ...(answer.comment !== undefined ? { comment: answer.comment } : {}),
    at: deps.clock().toISOString(),
  };
  await raise(deps, instanceId, FAILOVER_EVENTS.approval, event);
  deps.logger.warn(`failover ${answer.decision === 'approve' ? 'approved' : 'rejected'}`, { pair: pair.id, instanceId, by: event.by });
  return event;
}

export async function cancelFailover(deps: FailoverRequestDeps, instanceId: string, request: { readonly caller: Caller; readonly reason: string }): Promise<CancelEvent> {
  const { pair, instance } = await runningFailover(deps, instanceId);
  const progress = progressOf(instance);
  if (progress?.cancellable === false) {
    const epoch = progress.epoch !== undefined ? ` (epoch ${progress.epoch})` : '';
    throw new FailoverStateError(
      'NOT_CANCELLABLE',
      `Failover ${instanceId} can no longer be cancelled: the fence has been raised${epoch} and the Primary ordered to stop, so stopping now would leave the pair half failed over; the failover must finish or stall`,
      { phase: progress.phase, ...(progress.epoch !== undefined ? { epoch: progress.epoch } : {}) },
    );
  }
  const event: CancelEvent = { by: request.caller.name, reason: request.reason, at: deps.clock().toISOString() };
  await raise(deps, instanceId, FAILOVER_EVENTS.cancel, event);
  deps.logger.warn('failover cancel requested', { pair: pair.id, instanceId, by: event.by });
  return event;
}

export async function failoverStatus(deps: FailoverRequestDeps, instanceId: string): Promise<FailoverStatusView> {
  const { pair, instance } = await knownFailover(deps, instanceId);
  return failoverStatusView(instance, pair.id);
}

/** Refuses an id that cannot name one of this watchdog's failovers, before anything is read. */
export function assertFailoverId(pairs: readonly PairDefinition[], instanceId: string): PairDefinition {
  const pairId = pairIdOfInstance(instanceId);
  const pair = pairId === undefined ? undefined : pairs.find((p) => p.id === pairId);
  if (!pair) throw new UnknownFailoverError(instanceId);
  return pair;
}

async function knownFailover(deps: FailoverRequestDeps, instanceId: string): Promise<{ pair: PairDefinition; instance: OrchestrationInstance }> {
  const pair = assertFailoverId(deps.pairs, instanceId);
  const instance = await deps.orchestrations.getStatus(instanceId);
  if (!instance) throw new UnknownFailoverError(instanceId);
  return { pair, instance };
}

async function runningFailover(deps: FailoverRequestDeps, instanceId: string): Promise<{ pair: PairDefinition; instance: OrchestrationInstance }> {
  const known = await knownFailover(deps, instanceId);
  if (!isRunning(known.instance.runtimeStatus)) throw notRunning(known.instance);
  return known;
}

async function raise(deps: FailoverRequestDeps, instanceId: string, eventName: string, data: unknown): Promise<void> {
  if (await deps.orchestrations.raiseEvent(instanceId, eventName, data)) return;
  // It finished between our look and the event: say so from its final state.
  const now = await deps.orchestrations.getStatus(instanceId);
  throw now ? notRunning(now) : new UnknownFailoverError(instanceId);
}

function notRunning(instance: OrchestrationInstance): FailoverStateError {
  const summary = failoverSummary(instance);
  const how = summary.code ? ` (${summary.outcome ?? 'ended'}: ${summary.code})` : '';
  return new FailoverStateError('FAILOVER_NOT_RUNNING', `Failover ${instance.instanceId} is not running: it is ${instance.runtimeStatus.toLowerCase()}${how}`, {
    runtimeStatus: instance.runtimeStatus,
    ...(summary.code ? { code: summary.code } : {}),
  });
}

function existingOutcome(instance: OrchestrationInstance | undefined, key: string | undefined): RequestFailoverOutcome | undefined {
  if (!instance) return undefined;
  const sameRequest = key !== undefined && inputOf(instance)?.idempotencyKey === key;
  if (isRunning(instance.runtimeStatus) || sameRequest) return existingOf(instance, key);
  return undefined;
}

function existingOf(instance: OrchestrationInstance, key: string | undefined): RequestFailoverOutcome {
  return {
    kind: 'existing',
    instanceId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    alreadyRunning: isRunning(instance.runtimeStatus),
    sameRequest: key !== undefined && inputOf(instance)?.idempotencyKey === key,
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
