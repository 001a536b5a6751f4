import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { AgentErrorCode } from '../../shared/contracts/agentCommands';
import type { CloseFailoverInput, FailoverFacts, FailoverInput, FailoverResult, RaiseEpochInput, RaiseEpochResult } from '../../shared/contracts/failoverContract';
import type { FailoverRequest } from '../../shared/domain/failoverPolicy';
import { approvalNeededMessage, failoverEndedMessage, failoverStartedMessage, stepDoneMessage } from '../../shared/domain/failoverMessages';
import type { Notification } from '../../shared/domain/notification';
import { ACTIVITIES, ORCHESTRATIONS } from '../names';
import { awaitApproval } from './awaitApproval';
import { awaitCommand, messageOf, sendCommandOnce, type CommandWait } from './awaitCommand';
import { awaitPrimaryDown } from './awaitPrimaryDown';
import { CancelWatch } from './cancelWatch';
import { Runbook } from './runbook';
import { verifyTakeover } from './verifyTakeover';

type Step<T> = Generator<Task, T, unknown>;

const READ_RETRY = Object.assign(new df.RetryOptions(5_000, 3), { backoffCoefficient: 2 });
/** The fence write is one conditional write: retried briefly, then the run stalls (its state is then checked by a person). */
const FENCE_RETRY = Object.assign(new df.RetryOptions(2_000, 5), { backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 30_000 });
/** People must hear how it ended: the last message is retried for about an hour. */
const NOTIFY_RETRY = Object.assign(new df.RetryOptions(10_000, 4), { backoffCoefficient: 2 });
const FINAL_NOTIFY_RETRY = Object.assign(new df.RetryOptions(15_000, 12), { backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 600_000 });

/** Failures worth a fresh attempt: the next one may find storage reachable or the download whole. */
const TRANSIENT: ReadonlySet<AgentErrorCode> = new Set(['FENCE_UNAVAILABLE', 'EXPIRED', 'DOWNLOAD_FAILED', 'INTERNAL']);

/**
 * The failover runbook (DESIGN.md): open, preflight, gate, fence, restore, start, verify, close.
 * Before the fence every problem aborts (nothing was changed); from the fence on every problem
 * stalls (people are told what was done and what is left); either way people hear of it.
 * Nothing after the fence runs without the fence: the Secondary is started only after the
 * epoch was raised naming it and the Primary was confirmed stopped by its agent or its
 * heartbeat passed the takeover delay.
 */
export const failoverOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = readInput(context.df.getInput());
  const runbook = new Runbook(context, input);
  const result = yield* runFailover(context, runbook);
  yield* close(context, runbook, result);
  return result;
};

function* runFailover(context: OrchestrationContext, rb: Runbook): Step<FailoverResult> {
  const input = rb.input;
  const cancel = new CancelWatch(context);

  rb.begin('open', `${input.trigger} failover: ${input.reason}`);
  yield* notify(context, rb, failoverStartedMessage(rb.run, rb.now()), NOTIFY_RETRY);
  rb.end('done', `opened (${input.trigger}${input.requestedBy ? ` by ${input.requestedBy}` : ''}): ${input.reason}`);

  // preflight
  rb.begin('preflight', 'reading the evidence and asking the Secondary agent for its status');
  const request: FailoverRequest | undefined = input.trigger === 'requested' ? { requestedBy: input.requestedBy ?? 'unknown', reason: input.reason } : undefined;
  let facts: FailoverFacts;
  try {
    facts = (yield context.df.callActivityWithRetry(ACTIVITIES.gatherFacts, READ_RETRY, { pairId: input.pairId, ...(request ? { request } : {}) })) as FailoverFacts;
  } catch (error) {
    rb.end('failed', `the evidence could not be read: ${messageOf(error)}`);
    return rb.result('aborted', 'PREFLIGHT_FAILED', `The failover was aborted before changing anything: the evidence could not be read (${messageOf(error)}).`);
  }
  rb.facts = facts;
  const { pair, decision } = facts;
  const settings = pair.failover;
  if (decision.action !== 'failover') {
    rb.end('failed', `no failover is called for now (${decision.reason}): ${decision.evidence[0] ?? ''}`);
    return rb.result('aborted', 'NOT_NEEDED', `The failover was aborted before changing anything: ${decision.evidence.join('; ')}`);
  }
  if (pair.strategy === 'copied' && facts.backup === undefined) {
    rb.end('failed', 'no sound backup with a SHA-256 exists to restore');
    return rb.result('aborted', 'PREFLIGHT_FAILED', 'The failover was aborted before changing anything: there is no sound backup to restore on the Secondary.');
  }
  const status = yield* awaitCommand(context, rb, {
    key: 'preflight-status',
    role: 'secondary',
    epoch: facts.epoch,
    command: { type: 'status' },
    workSeconds: 0,
    graceSeconds: settings.replyGraceSeconds,
    attempts: settings.commandAttempts,
    cancel,
  });
  if (status.kind === 'cancelled') return cancelled(rb, cancel);
  const secondaryState = serviceStateOf(status);
  if (status.kind !== 'succeeded' || secondaryState !== 'stopped') {
    const why = status.kind === 'succeeded' ? `its adTempus service is ${secondaryState ?? 'in an unknown state'}, not stopped` : describeFailure(status, 'the Secondary agent');
    rb.end('failed', `the Secondary (${pair.secondary.hostName}) is not ready: ${why}`);
    return rb.result('aborted', 'PREFLIGHT_FAILED', `The failover was aborted before changing anything: the Secondary (${pair.secondary.hostName}) is not ready: ${why}.`);
  }
  const backupLine = facts.backup ? `; backup ${facts.backup.name} taken ${facts.backup.takenAt}` : '';
  yield* stepDone(context, rb, rb.end('done', `the Secondary (${pair.secondary.hostName}) answers and its adTempus is stopped${backupLine}`));

  // gate
  if (decision.gate.required) {
    const until = new Date(rb.nowMs() + settings.approvalTimeoutSeconds * 1000);
    rb.begin('gate', `waiting for approval until ${until.toISOString()}: ${decision.gate.reasons.map((r) => r.code).join(', ')}`);
    rb.waitFor(until.toISOString(), decision.gate.reasons);
    yield* notify(context, rb, approvalNeededMessage(rb.run, rb.now(), until.toISOString(), decision.gate.reasons), NOTIFY_RETRY);
    const gate = yield* awaitApproval(context, cancel, {
      until,
      reasons: decision.gate.reasons,
      ...(input.requestedBy !== undefined ? { requester: input.requestedBy } : {}),
      twoPersonRule: settings.twoPersonRule,
      onIgnored: (why) => rb.note(why),
    });
    rb.stopWaiting();
    if (gate.kind === 'cancelled') return cancelled(rb, cancel);
    if (gate.kind === 'timeout') {
      rb.end('failed', `nobody answered by ${until.toISOString()}`);
      return rb.result('aborted', 'APPROVAL_TIMEOUT', `The failover was aborted: nobody approved it by ${until.toISOString()}. Nothing was changed.`);
    }
    if (gate.kind === 'rejected') {
      rb.end('failed', `rejected by ${gate.by}${gate.comment ? `: ${gate.comment}` : ''}`);
      return rb.result('aborted', 'REJECTED', `The failover was rejected by ${gate.by}${gate.comment ? ` (${gate.comment})` : ''}. Nothing was changed.`);
    }
    rb.approvedBy = gate.by;
    yield* stepDone(context, rb, rb.end('done', `approved by ${gate.by}${gate.comment ? `: ${gate.comment}` : ''}`));
  } else {
    rb.begin('gate', 'no approval needed');
    rb.end('skipped', decision.evidence.at(-1) ?? 'no approval needed: the failover may run on its own');
  }
  if (cancel.raised) return cancelled(rb, cancel);

  // fence: from here on, no cancel and no abort; problems stall.
  rb.pastPointOfNoReturn();
  rb.begin('fence', `raising the epoch and stopping adTempus on the Primary (${pair.primary.hostName})`);
  let fence: RaiseEpochResult;
  try {
    fence = (yield context.df.callActivityWithRetry(ACTIVITIES.raiseEpoch, FENCE_RETRY, {
      pairId: pair.id,
      instanceId: rb.run.instanceId,
      reason: `failover ${rb.run.instanceId} started ${rb.run.startedAt}: ${input.reason}`.slice(0, 500),
    } satisfies RaiseEpochInput)) as RaiseEpochResult;
  } catch (error) {
    rb.end('failed', `the fence record could not be written: ${messageOf(error)}`);
    return rb.result('stalled', 'FENCE_FAILED', `The fence record could not be written (${messageOf(error)}); nothing else was done. Check the fence record before trying again.`);
  }
  rb.epoch = fence.epoch;
  rb.note(`epoch raised to ${fence.epoch}: the fence record names ${fence.activeHost}; ordering the Primary to stop`);
  const stopRequest = {
    key: 'fence-stop',
    role: 'primary',
    epoch: fence.epoch,
    command: { type: 'stopService', timeoutSeconds: settings.stopTimeoutSeconds, killAfterTimeout: true },
    workSeconds: settings.stopTimeoutSeconds,
    graceSeconds: settings.replyGraceSeconds,
  } as const;
  // A silent agent cannot confirm anything: its stop is queued, and the lock's evidence decides at once.
  const agentSilent = decision.reason === 'PRIMARY_HOST_LOST' || decision.reason === 'PRIMARY_HOST_UNREACHABLE';
  const stop: CommandWait = agentSilent
    ? (yield* sendCommandOnce(context, rb, stopRequest))
      ? { kind: 'no-reply', attempts: 1 }
      : { kind: 'no-reply', attempts: 0 }
    : yield* awaitCommand(context, rb, { ...stopRequest, attempts: 1 });
  let fencedHow: string;
  if (stop.kind === 'succeeded') {
    fencedHow = `the Primary's agent confirmed adTempus stopped and Disabled`;
  } else {
    const who = agentSilent ? `the Primary's agent is silent (stop queued for it)` : describeFailure(stop, "the Primary's agent");
    rb.note(`${who}: waiting for the Primary's heartbeat to pass the takeover delay`);
    const threshold = pair.policy.staleThresholdSeconds;
    const giveUpAt = new Date(rb.nowMs() + (2 * threshold + settings.stopTimeoutSeconds) * 1000);
    const down = yield* awaitPrimaryDown(context, pair.id, threshold, settings.verifyPollSeconds, giveUpAt, (line) => rb.note(line));
    if (!down.ok) {
      rb.end('failed', down.detail);
      return rb.result('stalled', 'FENCE_FAILED', `The Primary could not be confirmed stopped, so the Secondary was not started: ${down.detail}.`);
    }
    fencedHow = `${who}; ${down.detail}`;
  }
  yield* stepDone(context, rb, rb.end('done', `epoch ${fence.epoch} names ${fence.activeHost}; ${fencedHow}`));

  // restore
  if (pair.strategy === 'copied' && facts.backup) {
    const backup = facts.backup;
    rb.begin('restore', `restoring ${backup.name} (taken ${backup.takenAt}) on the Secondary`);
    const restore = yield* awaitCommand(context, rb, {
      key: 'restore',
      role: 'secondary',
      epoch: fence.epoch,
      command: { type: 'restoreDatabase', backupName: backup.name, sha256: backup.sha256, sizeBytes: backup.sizeBytes, timeoutSeconds: settings.restoreTimeoutSeconds },
      workSeconds: settings.restoreTimeoutSeconds,
      graceSeconds: settings.replyGraceSeconds,
      attempts: settings.commandAttempts,
      retryOn: TRANSIENT,
    });
    if (restore.kind !== 'succeeded') {
      const why = describeFailure(restore, 'the Secondary agent');
      rb.end('failed', why);
      return rb.result('stalled', 'RESTORE_FAILED', `The Primary is fenced but the backup could not be restored on the Secondary: ${why}. adTempus is not running on either side.`);
    }
    yield* stepDone(context, rb, rb.end('done', `${backup.name} verified (SHA-256) and restored on ${pair.secondary.hostName}`));
  } else {
    rb.begin('restore', 'shared database: nothing to restore');
    rb.end('skipped', 'shared database: both sides use the same database');
  }

  // start
  rb.begin('start', `starting adTempus on the Secondary (${pair.secondary.hostName}) with -takedbcontrol`);
  const start = yield* awaitCommand(context, rb, {
    key: 'start',
    role: 'secondary',
    epoch: fence.epoch,
    command: { type: 'startService', parameters: ['-takedbcontrol'], timeoutSeconds: settings.startTimeoutSeconds },
    workSeconds: settings.startTimeoutSeconds,
    graceSeconds: settings.replyGraceSeconds,
    attempts: settings.commandAttempts,
    retryOn: TRANSIENT,
  });
  const verifyOn = { pairId: pair.id, side: pair.strategy === 'copied' ? 'secondary' : 'primary', secondaryHost: pair.secondary.hostName, pollSeconds: settings.verifyPollSeconds } as const;
  if (start.kind !== 'succeeded') {
    const why = describeFailure(start, 'the Secondary agent');
    if (start.kind === 'no-reply') {
      // A lost reply is not a failed start: the lock tells whether adTempus runs there after all.
      rb.note(`${why}: reading the lock to see whether adTempus started anyway`);
      const seen = yield* verifyTakeover(context, { ...verifyOn, until: new Date(rb.nowMs() + settings.verifyTimeoutSeconds * 1000) }, (line) => rb.note(line));
      if (seen.ok) {
        yield* stepDone(context, rb, rb.end('done', `${why}, but adTempus runs on ${pair.secondary.hostName}`));
        rb.begin('verify', `checked while waiting for the start's reply`);
        rb.end('done', seen.detail);
        return completed(rb, pair.secondary.hostName, pair.primary.hostName, fence.epoch);
      }
    }
    rb.end('failed', why);
    return rb.result('stalled', 'START_FAILED', `The Primary is fenced${pair.strategy === 'copied' ? ' and the backup restored' : ''}, but adTempus could not be started on the Secondary: ${why}.`);
  }
  yield* stepDone(context, rb, rb.end('done', `adTempus runs on ${pair.secondary.hostName}`));

  // verify
  const verifyUntil = new Date(rb.nowMs() + settings.verifyTimeoutSeconds * 1000);
  rb.begin('verify', `waiting for ${pair.secondary.hostName} to own the lock and heartbeat`);
  const verified = yield* verifyTakeover(context, { ...verifyOn, until: verifyUntil }, (line) => rb.note(line));
  if (!verified.ok) {
    rb.end('failed', verified.detail);
    return rb.result('stalled', 'VERIFY_FAILED', `adTempus was started on the Secondary but the takeover was not confirmed: ${verified.detail}.`);
  }
  rb.end('done', verified.detail);
  return completed(rb, pair.secondary.hostName, pair.primary.hostName, fence.epoch);
}

function completed(rb: Runbook, secondary: string, primary: string, epoch: number): FailoverResult {
  return rb.result('completed', 'COMPLETED', `The Secondary (${secondary}) runs adTempus and owns the lock; the Primary (${primary}) is fenced at epoch ${epoch}.`);
}

/** Close: the audit record and the cool-down, then the last message. Both are retried; neither can undo the outcome. */
function* close(context: OrchestrationContext, rb: Runbook, result: FailoverResult): Step<void> {
  try {
    yield context.df.callActivityWithRetry(ACTIVITIES.closeFailover, FINAL_NOTIFY_RETRY, { result } satisfies CloseFailoverInput);
  } catch (error) {
    context.warn?.(`failover ${rb.run.instanceId}: the audit record could not be written: ${messageOf(error)}`);
  }
  yield* notify(context, rb, failoverEndedMessage(rb.run, result), FINAL_NOTIFY_RETRY);
}

function* notify(context: OrchestrationContext, rb: Runbook, notification: Notification, retry: df.RetryOptions): Step<void> {
  try {
    yield context.df.callActivityWithRetry(ACTIVITIES.notify, retry, { notification });
  } catch (error) {
    // A message no channel took must not stop the runbook; the end message is retried longest.
    context.warn?.(`failover ${rb.run.instanceId}: notification ${notification.id} not delivered: ${messageOf(error)}`);
  }
}

function* stepDone(context: OrchestrationContext, rb: Runbook, step: ReturnType<Runbook['end']>): Step<void> {
  yield* notify(context, rb, stepDoneMessage(rb.run, step), NOTIFY_RETRY);
}

function cancelled(rb: Runbook, cancel: CancelWatch): FailoverResult {
  const { by, reason } = cancel.event;
  const who = `cancelled by ${by ?? 'an unnamed caller'}${reason ? `: ${reason}` : ''}`;
  rb.end('failed', who);
  return rb.result('aborted', 'CANCELLED', `The failover was ${who}. Nothing was changed.`);
}

function serviceStateOf(wait: CommandWait): string | undefined {
  if (wait.kind !== 'succeeded') return undefined;
  const service = wait.result?.service;
  const state = typeof service === 'object' && service !== null ? (service as { state?: unknown }).state : undefined;
  return typeof state === 'string' ? state : undefined;
}

function describeFailure(wait: CommandWait, who: string): string {
  switch (wait.kind) {
    case 'succeeded':
      return `${who} succeeded`;
    case 'failed':
      return `${who} failed with ${wait.code}: ${wait.message}`;
    case 'no-reply':
      return `${who} did not reply (${wait.attempts} attempt${wait.attempts === 1 ? '' : 's'})`;
    case 'cancelled':
      return 'cancelled';
  }
}

function readInput(raw: unknown): FailoverInput {
  const input = raw as Partial<FailoverInput> | undefined;
  if (!input || typeof input.pairId !== 'string' || (input.trigger !== 'automatic' && input.trigger !== 'requested') || typeof input.reason !== 'string') {
    throw new Error('The failover orchestration needs an input with pairId, trigger and reason');
  }
  return { evidence: [], requestedAt: '', ...input } as FailoverInput;
}

df.app.orchestration(ORCHESTRATIONS.failover, failoverOrchestrator);
