import type { FailoverFacts, FailoverPhase, FailoverTrigger } from '../contracts/failoverContract';
import type { GateReason } from './approvalGate';
import type { BackupSummary } from './backupAssessment';
import type { FailoverAction, DecisionReason } from './failoverPolicy';
import { formatSeconds } from './heartbeatAssessment';
import { sameHost, type Strategy } from './pair';

/**
 * A dry run: what the failover runbook would do for a pair now, step by step, with each
 * decision and the evidence it rests on. Pure: built from FailoverFacts read at one moment, so
 * a plan never executes anything and two plans from the same facts are the same.
 */
export type PlanStepAction = 'run' | 'wait' | 'skip';

export interface PlanStep {
  readonly step: FailoverPhase;
  readonly action: PlanStepAction;
  /** What the runbook would do here, for people. */
  readonly decision: string;
  readonly evidence: readonly string[];
  /** Set when the facts already show this step would stop the runbook. */
  readonly blocker?: string;
}

export interface PlanRestore {
  readonly backup: BackupSummary & { readonly sha256: string };
  readonly backupAgeSeconds: number;
  /** The changes lost: from the backup's time to the Primary's last heartbeat (when known). */
  readonly dataLoss: { readonly from: string; readonly to?: string; readonly seconds?: number };
}

export interface FailoverPlan {
  readonly pairId: string;
  readonly strategy: Strategy;
  readonly checkedAt: string;
  readonly trigger: FailoverTrigger;
  /** False: the request would be refused (see `refusal`); nothing would start. */
  readonly wouldStart: boolean;
  readonly decision: { readonly action: FailoverAction; readonly reason: DecisionReason; readonly evidence: readonly string[] };
  readonly refusal?: { readonly reason: DecisionReason; readonly detail: string };
  readonly gate?: { readonly required: boolean; readonly reasons: readonly GateReason[]; readonly timeoutSeconds: number; readonly twoPersonRule: boolean };
  readonly fence?: { readonly currentEpoch: number; readonly nextEpoch: number; readonly activeHost: string; readonly newActiveHost: string };
  /** Copied pairs: the backup the restore would use and the data loss it means. */
  readonly restore?: PlanRestore;
  /** Problems the facts already show that would stall or fail the runbook. */
  readonly blockers: readonly string[];
  readonly steps: readonly PlanStep[];
}

/** `trigger` names who would start it when the decision is a refusal (a dry run is a person's request). */
export function failoverPlan(facts: FailoverFacts, trigger: FailoverTrigger = 'requested'): FailoverPlan {
  const { pair, decision } = facts;
  const base = {
    pairId: pair.id,
    strategy: pair.strategy,
    checkedAt: facts.checkedAt,
    decision: { action: decision.action, reason: decision.reason, evidence: decision.evidence },
  };
  if (decision.action !== 'failover') {
    const detail = decision.evidence[0] ?? `the decision is ${decision.action} (${decision.reason})`;
    return { ...base, trigger, wouldStart: false, refusal: { reason: decision.reason, detail }, blockers: [], steps: [] };
  }
  const restore = restoreOf(facts);
  const steps = [open(facts, decision.trigger, decision.requestedBy), preflight(facts), gate(facts), fence(facts), restoreStep(facts, restore), start(facts), verify(facts), close(facts)];
  return {
    ...base,
    trigger: decision.trigger,
    wouldStart: true,
    gate: { required: decision.gate.required, reasons: decision.gate.reasons, timeoutSeconds: pair.failover.approvalTimeoutSeconds, twoPersonRule: pair.failover.twoPersonRule },
    fence: { currentEpoch: facts.epoch, nextEpoch: facts.epoch + 1, activeHost: facts.activeHost, newActiveHost: pair.secondary.hostName },
    ...(restore ? { restore } : {}),
    blockers: steps.flatMap((s) => (s.blocker ? [`${s.step}: ${s.blocker}`] : [])),
    steps,
  };
}

type Facts = FailoverFacts;

function open(facts: Facts, trigger: FailoverTrigger, requestedBy: string | undefined): PlanStep {
  const who = trigger === 'requested' ? `requested by ${requestedBy ?? 'an unnamed caller'}` : 'started by the heartbeat monitor';
  return {
    step: 'open',
    action: 'run',
    decision: `record the failover (${who}) and notify "failover started"`,
    evidence: facts.conditionSince ? [`the Primary has been suspected down since ${facts.conditionSince}`] : ['the Primary is not suspected down: this is a requested move'],
  };
}

function preflight(facts: Facts): PlanStep {
  const { pair } = facts;
  const checks = [`ask the Secondary's agent (${pair.secondary.hostName}) for its status: it must answer, and its adTempus service must be stopped`];
  const evidence: string[] = [];
  let blocker: string | undefined;
  if (pair.strategy === 'copied') {
    checks.push('find the newest sound backup to restore');
    if (facts.backup) evidence.push(`newest sound backup: ${facts.backup.name} (taken ${facts.backup.takenAt} on ${facts.backup.sourceMachine})`);
    else blocker = 'no sound backup with a SHA-256 to restore: the preflight would fail';
  } else {
    evidence.push('shared database: no backup is needed');
  }
  return { step: 'preflight', action: 'run', decision: checks.join('; '), evidence, ...(blocker ? { blocker } : {}) };
}

function gate(facts: Facts): PlanStep {
  const settings = facts.pair.failover;
  const decision = facts.decision;
  if (decision.action !== 'failover' || !decision.gate.required) {
    return { step: 'gate', action: 'skip', decision: 'no approval needed: the runbook goes on by itself', evidence: ['no gate reason holds'] };
  }
  const twoPerson = settings.twoPersonRule ? '; the two-person rule applies: the approver must be a signed-in person other than the requester' : '';
  return {
    step: 'gate',
    action: 'wait',
    decision: `wait up to ${formatSeconds(settings.approvalTimeoutSeconds)} for a person to approve (no answer aborts the failover)${twoPerson}`,
    evidence: decision.gate.reasons.map((r) => `${r.code}: ${r.detail}`),
  };
}

function fence(facts: Facts): PlanStep {
  const { pair } = facts;
  const s = pair.failover;
  const stopBound = formatSeconds(s.stopTimeoutSeconds + s.replyGraceSeconds);
  const takeover = formatSeconds(pair.policy.staleThresholdSeconds);
  const evidence = [`the fence record names ${facts.activeHost} active at epoch ${facts.epoch}`];
  if (facts.primaryLastHeartbeatUtc) evidence.push(`the Primary's last heartbeat seen: ${facts.primaryLastHeartbeatUtc} (database clock)`);
  const alreadySecondary = sameHost(facts.activeHost, pair.secondary.hostName);
  return {
    step: 'fence',
    action: 'run',
    decision:
      `raise the epoch from ${facts.epoch} to ${facts.epoch + 1} naming ${pair.secondary.hostName} active (a conditional write of the fence record); ` +
      `order the Primary's agent (${pair.primary.hostName}) to stop adTempus and set its startup to Disabled, waiting ${stopBound} per attempt for ${s.commandAttempts} attempt(s); ` +
      `without a confirmation, go on only once the Primary's heartbeat is older than the takeover delay of ${takeover}`,
    evidence,
    ...(alreadySecondary ? { blocker: `the fence record already names the Secondary (${facts.activeHost}) active` } : {}),
  };
}

function restoreStep(facts: Facts, restore: PlanRestore | undefined): PlanStep {
  const { pair } = facts;
  if (pair.strategy === 'shared') return { step: 'restore', action: 'skip', decision: 'shared database: nothing to restore', evidence: [] };
  if (!restore) {
    return { step: 'restore', action: 'run', decision: 'restore the newest sound backup on the Secondary', evidence: [], blocker: 'no sound backup to restore' };
  }
  const b = restore.backup;
  const loss = restore.dataLoss;
  const lossLine =
    loss.seconds !== undefined
      ? `changes from ${loss.from} to ${loss.to ?? '?'} would be lost (${formatSeconds(loss.seconds)})`
      : `changes after ${loss.from} would be lost (the Primary's last heartbeat is unknown)`;
  return {
    step: 'restore',
    action: 'run',
    decision:
      `order the Secondary's agent (${pair.secondary.hostName}) to download ${b.name} through a short-lived read-only link, verify its SHA-256 and size, and restore it ` +
      `(bound ${formatSeconds(pair.failover.restoreTimeoutSeconds)})`,
    evidence: [`backup ${b.name}: taken ${b.takenAt} on ${b.sourceMachine}, ${b.sizeBytes} bytes, SHA-256 ${b.sha256}, ${formatSeconds(restore.backupAgeSeconds)} old`, lossLine],
  };
}

function start(facts: Facts): PlanStep {
  const { pair } = facts;
  return {
    step: 'start',
    action: 'run',
    decision:
      `order the Secondary's agent (${pair.secondary.hostName}) to set adTempus's startup to Manual and start it, with -takedbcontrol where the old lock may still stand ` +
      `(bound ${formatSeconds(pair.failover.startTimeoutSeconds)})`,
    evidence: [],
  };
}

function verify(facts: Facts): PlanStep {
  const { pair } = facts;
  const s = pair.failover;
  const where = pair.strategy === 'copied' ? "the Secondary's own database" : 'the shared database';
  return {
    step: 'verify',
    action: 'run',
    decision: `read the lock in ${where} every ${formatSeconds(s.verifyPollSeconds)} for up to ${formatSeconds(s.verifyTimeoutSeconds)} until ${pair.secondary.hostName} owns it and its heartbeat advances`,
    evidence: [],
  };
}

function close(facts: Facts): PlanStep {
  return {
    step: 'close',
    action: 'run',
    decision: `notify with the timings (detection, each step, RTO) and the data-loss window; keep the audit record; start the cool-down of ${formatSeconds(facts.pair.failover.coolDownSeconds)}`,
    evidence: [],
  };
}

function restoreOf(facts: Facts): PlanRestore | undefined {
  if (facts.pair.strategy !== 'copied' || !facts.backup) return undefined;
  const backup = facts.backup;
  const checked = Date.parse(facts.checkedAt);
  const taken = Date.parse(backup.takenAt);
  const last = facts.primaryLastHeartbeatUtc;
  const seconds = last === undefined ? undefined : Math.max(0, Math.round((Date.parse(last) - taken) / 1000));
  return {
    backup,
    backupAgeSeconds: Math.max(0, Math.round((checked - taken) / 1000)),
    dataLoss: { from: backup.takenAt, ...(last !== undefined ? { to: last } : {}), ...(seconds !== undefined && !Number.isNaN(seconds) ? { seconds } : {}) },
  };
}
