import type { FailoverInput, FailoverOutcome, FailoverPhase, FailoverResult, StepRecord } from '../contracts/failoverContract';
import type { GateReason } from './approvalGate';
import { formatSeconds } from './heartbeatAssessment';
import type { Fact, Notification, Severity } from './notification';

/**
 * What people are told while a failover runs: at its start, at the gate, after each step, and
 * at its end. Every message names the pair, the trigger and where to look; the ids are stable
 * per run and event, so a retried send is recognised as the same message.
 */

export interface RunRef {
  readonly pairId: string;
  readonly instanceId: string;
  /** The run's start (ISO 8601): with the fixed instance id it tells runs apart. */
  readonly startedAt: string;
  readonly input: FailoverInput;
}

const CONDITION = 'failover';

/** Relative: the notify activity turns it into a full URL where WATCHDOG_STATUS_URL is set. */
export function failoverStatusPath(instanceId: string): string {
  return `/api/failovers/${encodeURIComponent(instanceId)}`;
}

export function failoverStartedMessage(run: RunRef, now: string): Notification {
  const who = run.input.trigger === 'requested' ? `requested by ${run.input.requestedBy ?? 'an unnamed caller'}` : 'started automatically by the watchdog';
  return message(run, 'started', 'warning', now, {
    title: `Failover of ${run.pairId} started`,
    summary: `A failover of pair ${run.pairId} was ${who}: ${run.input.reason}.`,
    facts: [...triggerFacts(run), ...run.input.evidence.slice(0, 8).map((line, i) => ({ name: `Evidence ${i + 1}`, value: line }))],
    nextSteps: ['Follow the failover on its status page; you will be told after each step and at its end.'],
  });
}

export function approvalNeededMessage(run: RunRef, now: string, until: string, reasons: readonly GateReason[]): Notification {
  return message(run, 'gate', 'critical', now, {
    title: `Failover of ${run.pairId} waits for approval`,
    summary: `The failover of pair ${run.pairId} needs a person's approval before it fences the Primary. Without an answer by ${until} it is aborted and nothing is changed.`,
    facts: [...triggerFacts(run), { name: 'Awaiting', value: `approval until ${until}` }, ...reasons.map((r) => ({ name: r.code, value: r.detail }))],
    nextSteps: [
      `Approve: POST ${failoverStatusPath(run.instanceId)}/approve; reject: POST ${failoverStatusPath(run.instanceId)}/reject (function key required).`,
      'Check the reasons above first: each is a risk the watchdog could not rule out.',
    ],
  });
}

const STEP_TITLES: Readonly<Record<FailoverPhase, string>> = {
  open: 'opened',
  preflight: 'preflight checked',
  gate: 'gate passed',
  fence: 'Primary fenced',
  restore: 'backup restored',
  start: 'Secondary started',
  verify: 'takeover verified',
  close: 'closed',
};

export function stepDoneMessage(run: RunRef, step: StepRecord): Notification {
  const took = step.endedAt ? ` in ${formatSeconds(seconds(step.startedAt, step.endedAt))}` : '';
  return message(run, `step-${step.step}`, 'info', step.endedAt ?? step.startedAt, {
    title: `Failover of ${run.pairId}: ${STEP_TITLES[step.step]}`,
    summary: `Step ${step.step} ${step.outcome === 'skipped' ? 'skipped' : 'done'}${took}: ${step.detail}`,
    facts: [{ name: 'Step', value: step.step }, { name: 'Outcome', value: step.outcome }],
    nextSteps: [],
  });
}

const END_SEVERITY: Readonly<Record<FailoverOutcome, Severity>> = { completed: 'resolved', aborted: 'warning', stalled: 'critical' };

export function failoverEndedMessage(run: RunRef, result: FailoverResult): Notification {
  const facts: Fact[] = [...triggerFacts(run), { name: 'Outcome', value: `${result.outcome} (${result.code})` }];
  if (result.approvedBy) facts.push({ name: 'Approved by', value: result.approvedBy });
  if (result.epoch !== undefined) facts.push({ name: 'Epoch', value: String(result.epoch) });
  if (result.timings.detectionSeconds !== undefined) facts.push({ name: 'Detection', value: formatSeconds(result.timings.detectionSeconds) });
  for (const step of result.steps) {
    const took = step.endedAt ? formatSeconds(seconds(step.startedAt, step.endedAt)) : 'not finished';
    facts.push({ name: `Step ${step.step}`, value: `${step.outcome}, ${took}: ${step.detail}` });
  }
  if (result.timings.rtoSeconds !== undefined) facts.push({ name: 'RTO', value: formatSeconds(result.timings.rtoSeconds) });
  if (result.dataLoss) {
    const window = result.dataLoss.seconds !== undefined ? formatSeconds(result.dataLoss.seconds) : 'unknown length';
    facts.push({ name: 'Data loss window', value: `${window}: changes after ${result.dataLoss.from} (backup ${result.dataLoss.backupName}) up to ${result.dataLoss.to ?? 'the Primary\u2019s last heartbeat'}` });
  }
  const titles: Readonly<Record<FailoverOutcome, string>> = {
    completed: `Failover of ${run.pairId} completed: the Secondary runs adTempus`,
    aborted: `Failover of ${run.pairId} aborted: nothing was changed`,
    stalled: `Failover of ${run.pairId} STALLED: a person must finish it`,
  };
  return message(run, 'end', END_SEVERITY[result.outcome], result.endedAt, {
    title: titles[result.outcome],
    summary: result.detail,
    facts,
    nextSteps: [...result.done.map((d) => `Done: ${d}`), ...result.left.map((l) => `Left to do: ${l}`)],
  });
}

interface Body {
  readonly title: string;
  readonly summary: string;
  readonly facts: readonly Fact[];
  readonly nextSteps: readonly string[];
}

function message(run: RunRef, event: string, severity: Severity, now: string, body: Body): Notification {
  return {
    id: `failover/${run.pairId}/${run.startedAt}/${event}`,
    pairId: run.pairId,
    condition: CONDITION,
    severity,
    since: run.startedAt,
    createdAt: now,
    link: failoverStatusPath(run.instanceId),
    ...body,
  };
}

function triggerFacts(run: RunRef): Fact[] {
  const facts: Fact[] = [
    { name: 'Pair', value: run.pairId },
    { name: 'Trigger', value: run.input.trigger === 'requested' ? `requested by ${run.input.requestedBy ?? 'unknown'}` : 'automatic' },
    { name: 'Reason', value: run.input.reason },
    { name: 'Started', value: run.startedAt },
  ];
  return facts;
}

function seconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}
