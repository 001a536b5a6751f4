import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { AgentErrorCode, AgentReply } from '../../shared/contracts/agentCommands';
import {
  commandCorrelationId,
  replyEventName,
  type CommandOutcome,
  type CommandSpec,
  type HostRole,
  type SendCommandInput,
} from '../../shared/contracts/failoverContract';
import { ACTIVITIES } from '../names';
import type { CancelWatch } from './cancelWatch';
import type { Runbook } from './runbook';

export interface CommandRequest {
  /** Names the command within the run; each attempt is `<key>-<n>` with its own messageId. */
  readonly key: string;
  readonly role: HostRole;
  readonly epoch: number;
  readonly command: CommandSpec;
  /** How long the agent may take (the command's own bound); the reply's travel time is added. */
  readonly workSeconds: number;
  readonly graceSeconds: number;
  readonly attempts: number;
  /** Failure codes that are worth another attempt (the next attempt is a new command). */
  readonly retryOn?: ReadonlySet<AgentErrorCode>;
  /** Given until the fence: a cancel ends the wait. */
  readonly cancel?: CancelWatch;
}

export type CommandWait = CommandOutcome | { readonly kind: 'cancelled' };

/** Sending is cheap and idempotent (same messageId): retried a few times for a broker hiccup. */
const SEND_RETRY = Object.assign(new df.RetryOptions(2_000, 4), { backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 30_000 });

/**
 * Sends a command to one host's agent and waits for its final reply on a raised event. Accepted
 * and progress replies keep the wait going; a missing reply after the bound sends the command
 * again as a new attempt (new messageId, so neither the queue's duplicate detection nor the
 * agent's ledger swallows it), up to `attempts`. Every attempt's expiry is its send time plus the
 * grace: an agent that picks it up later refuses it (EXPIRED), so a late command never acts on
 * an old decision.
 */
export function* awaitCommand(context: OrchestrationContext, runbook: Runbook, request: CommandRequest): Generator<Task, CommandWait, unknown> {
  let lastFailure: CommandOutcome | undefined;
  for (let attempt = 1; attempt <= request.attempts; attempt++) {
    const key = `${request.key}-${attempt}`;
    const issuedAt = context.df.currentUtcDateTime;
    const input = commandInput(context, runbook, request, key);
    try {
      yield context.df.callActivityWithRetry(ACTIVITIES.sendCommand, SEND_RETRY, input);
    } catch (error) {
      runbook.note(`${request.command.type} to the ${request.role} could not be sent (attempt ${attempt} of ${request.attempts}): ${messageOf(error)}`);
      lastFailure = { kind: 'no-reply', attempts: attempt };
      continue;
    }
    const deadlineAt = new Date(issuedAt.getTime() + (request.workSeconds + 2 * request.graceSeconds) * 1000);
    for (;;) {
      if (request.cancel?.raised) return { kind: 'cancelled' };
      // A task may sit in one Task.any only: each round waits on a fresh timer and event.
      const deadline = context.df.createTimer(deadlineAt);
      const reply = context.df.waitForExternalEvent(replyEventName(key));
      const waits: Task[] = [reply, deadline];
      if (request.cancel) waits.push(request.cancel.next());
      const winner = (yield context.df.Task.any(waits)) as Task;
      if (winner !== deadline) deadline.cancel();
      if (request.cancel?.isCancel(winner)) return { kind: 'cancelled' };
      if (winner === deadline) {
        runbook.note(`no reply from the ${request.role} agent to ${request.command.type} (attempt ${attempt} of ${request.attempts})`);
        lastFailure = { kind: 'no-reply', attempts: attempt };
        break;
      }
      const answer = readReply(reply.result);
      if (answer === undefined) continue;
      if (answer.kind === 'accepted' || answer.kind === 'progress') {
        runbook.note(progressLine(request, answer));
        continue;
      }
      if (answer.kind === 'succeeded') return { kind: 'succeeded', ...(answer.result ? { result: answer.result } : {}), replayed: answer.replayed === true };
      const code = answer.error?.code ?? 'INTERNAL';
      lastFailure = { kind: 'failed', code, message: answer.error?.message ?? 'the agent gave no reason' };
      if (!request.retryOn?.has(code) || attempt === request.attempts) return lastFailure;
      runbook.note(`${request.command.type} failed on the ${request.role} with ${code}; trying again (attempt ${attempt + 1} of ${request.attempts})`);
      break;
    }
  }
  return lastFailure ?? { kind: 'no-reply', attempts: request.attempts };
}

/**
 * Sends a command without waiting for its reply: for a Primary whose agent is already silent,
 * the stop is queued (a returning host reads it, and the fence record, before anything else) while
 * the runbook goes on by the lock's evidence. Returns false when it could not be sent.
 */
export function* sendCommandOnce(context: OrchestrationContext, runbook: Runbook, request: Omit<CommandRequest, 'attempts' | 'retryOn' | 'cancel'>): Generator<Task, boolean, unknown> {
  try {
    yield context.df.callActivityWithRetry(ACTIVITIES.sendCommand, SEND_RETRY, commandInput(context, runbook, request, `${request.key}-1`));
    return true;
  } catch (error) {
    runbook.note(`${request.command.type} to the ${request.role} could not be sent: ${messageOf(error)}`);
    return false;
  }
}

function commandInput(context: OrchestrationContext, runbook: Runbook, request: Pick<CommandRequest, 'role' | 'epoch' | 'command' | 'workSeconds' | 'graceSeconds'>, key: string): SendCommandInput {
  const issuedAt = context.df.currentUtcDateTime;
  return {
    pairId: runbook.run.pairId,
    role: request.role,
    messageId: context.df.newGuid(`${runbook.run.instanceId}/${key}`),
    correlationId: commandCorrelationId(runbook.run.instanceId, key),
    epoch: request.epoch,
    issuedAt: issuedAt.toISOString(),
    notAfter: new Date(issuedAt.getTime() + request.graceSeconds * 1000).toISOString(),
    command: request.command,
  };
}

/** The listener raises replies as they came; anything without a kind is ignored, not trusted. */
function readReply(data: unknown): Pick<AgentReply, 'kind' | 'result' | 'error' | 'replayed' | 'progress'> | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const kind = (data as { kind?: unknown }).kind;
  if (kind !== 'accepted' && kind !== 'progress' && kind !== 'succeeded' && kind !== 'failed') return undefined;
  return data as AgentReply;
}

function progressLine(request: CommandRequest, reply: Pick<AgentReply, 'kind' | 'progress'>): string {
  if (reply.kind === 'accepted') return `the ${request.role} agent accepted ${request.command.type}`;
  const p = reply.progress;
  const percent = p?.percent !== undefined ? ` ${Math.round(p.percent)}%` : '';
  return `${request.command.type} on the ${request.role}: ${p?.stage ?? 'working'}${percent}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]!.slice(0, 300) : String(error).slice(0, 300);
}
