import type { OrchestrationContext, Task } from 'durable-functions';
import { FAILOVER_EVENTS, type ApprovalEvent } from '../../shared/contracts/failoverContract';
import type { GateReason } from '../../shared/domain/approvalGate';
import type { CancelWatch } from './cancelWatch';

export type GateOutcome =
  | { readonly kind: 'approved'; readonly by: string; readonly comment?: string }
  | { readonly kind: 'rejected'; readonly by: string; readonly comment?: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'cancelled' };

export interface ApprovalWait {
  readonly until: Date;
  readonly reasons: readonly GateReason[];
  /** With the two-person rule: an approval by this identity does not count. */
  readonly requester?: string;
  readonly twoPersonRule: boolean;
  /** Told when an answer does not count, so the timeline says why the gate still waits. */
  readonly onIgnored: (why: string) => void;
}

/**
 * The gate: waits for a person's approval or rejection, a cancel, or the deadline (then the
 * failover is aborted: silence is never consent). The HTTP API already refuses a requester
 * approving their own failover under the two-person rule; the gate checks it again, so an
 * event raised any other way cannot get around it.
 */
export function* awaitApproval(context: OrchestrationContext, cancel: CancelWatch, wait: ApprovalWait): Generator<Task, GateOutcome, unknown> {
  for (;;) {
    if (cancel.raised) return { kind: 'cancelled' };
    const deadline = context.df.createTimer(wait.until);
    const answer = context.df.waitForExternalEvent(FAILOVER_EVENTS.approval);
    const winner = (yield context.df.Task.any([answer, deadline, cancel.next()])) as Task;
    if (winner !== deadline) deadline.cancel();
    if (winner === deadline) return { kind: 'timeout' };
    if (cancel.isCancel(winner)) return { kind: 'cancelled' };
    const event = readApproval(answer.result);
    if (event === undefined) {
      wait.onIgnored('an approval event without a decision and an identity was ignored');
      continue;
    }
    const comment = event.comment !== undefined ? { comment: event.comment } : {};
    if (event.decision === 'reject') return { kind: 'rejected', by: event.by, ...comment };
    if (wait.twoPersonRule && wait.requester !== undefined && event.by.toLowerCase() === wait.requester.toLowerCase()) {
      wait.onIgnored(`an approval by the requester ${event.by} does not count under the two-person rule`);
      continue;
    }
    return { kind: 'approved', by: event.by, ...comment };
  }
}

function readApproval(data: unknown): Pick<ApprovalEvent, 'decision' | 'by' | 'comment'> | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { decision, by, comment } = data as Partial<ApprovalEvent>;
  if ((decision !== 'approve' && decision !== 'reject') || typeof by !== 'string' || by.length === 0) return undefined;
  return { decision, by, ...(typeof comment === 'string' ? { comment } : {}) };
}
