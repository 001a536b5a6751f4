import type { OrchestrationContext } from 'durable-functions';
import type {
  FailoverFacts,
  FailoverInput,
  FailoverOutcome,
  FailoverPhase,
  FailoverProgress,
  FailoverResult,
  StepOutcome,
  StepRecord,
} from '../../shared/contracts/failoverContract';
import type { GateReason } from '../../shared/domain/approvalGate';
import type { RunRef } from '../../shared/domain/failoverMessages';

/**
 * The run's memory inside the orchestrator: its timeline, what it published as custom status,
 * and the result it ends with. Deterministic: every time comes from the orchestration's clock,
 * so a replay rebuilds exactly the same state.
 */
export class Runbook {
  readonly run: RunRef;
  private readonly steps: StepRecord[] = [];
  private phase: FailoverPhase = 'open';
  private awaiting: FailoverProgress['awaiting'];
  private cancellable = true;
  epoch: number | undefined;
  approvedBy: string | undefined;
  facts: FailoverFacts | undefined;

  constructor(private readonly context: OrchestrationContext, readonly input: FailoverInput) {
    this.run = { pairId: input.pairId, instanceId: context.df.instanceId, startedAt: this.now(), input };
  }

  now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  nowMs(): number {
    return this.context.df.currentUtcDateTime.getTime();
  }

  begin(step: FailoverPhase, detail: string): void {
    this.phase = step;
    this.steps.push({ step, startedAt: this.now(), outcome: 'running', detail });
    this.publish();
  }

  /** Ends the step begun last; returns its record. */
  end(outcome: Exclude<StepOutcome, 'running'>, detail: string): StepRecord {
    const index = this.steps.length - 1;
    const ended: StepRecord = { ...this.steps[index]!, endedAt: this.now(), outcome, detail };
    this.steps[index] = ended;
    this.publish();
    return ended;
  }

  /** Updates the running step's detail (progress), without ending it. */
  note(detail: string): void {
    const index = this.steps.length - 1;
    if (index < 0 || this.steps[index]!.outcome !== 'running') return;
    this.steps[index] = { ...this.steps[index]!, detail };
    this.publish();
  }

  waitFor(until: string, reasons: readonly GateReason[]): void {
    this.awaiting = { event: 'approval', until, reasons };
    this.publish();
  }

  stopWaiting(): void {
    this.awaiting = undefined;
    this.publish();
  }

  /** From the fence on, a cancel would leave the pair half failed over. */
  pastPointOfNoReturn(): void {
    this.cancellable = false;
    this.publish();
  }

  get isCancellable(): boolean {
    return this.cancellable;
  }

  result(outcome: FailoverOutcome, code: string, detail: string): FailoverResult {
    const endedAt = this.now();
    const stepSeconds: Partial<Record<FailoverPhase, number>> = {};
    for (const s of this.steps) if (s.endedAt) stepSeconds[s.step] = seconds(s.startedAt, s.endedAt);
    const detected = this.input.detectedAt ?? this.facts?.conditionSince;
    const verified = this.steps.find((s) => s.step === 'verify' && s.outcome === 'done')?.endedAt;
    const backup = this.facts?.pair.strategy === 'copied' && this.steps.some((s) => s.step === 'restore' && s.outcome === 'done') ? this.facts.backup : undefined;
    const lastHeartbeat = this.facts?.primaryLastHeartbeatUtc;
    return {
      pairId: this.run.pairId,
      instanceId: this.run.instanceId,
      outcome,
      code,
      detail,
      trigger: this.input.trigger,
      ...(this.input.requestedBy !== undefined ? { requestedBy: this.input.requestedBy } : {}),
      ...(this.approvedBy !== undefined ? { approvedBy: this.approvedBy } : {}),
      startedAt: this.run.startedAt,
      endedAt,
      steps: [...this.steps],
      done: this.steps.filter((s) => s.outcome === 'done').map((s) => `${s.step}: ${s.detail}`),
      left: outcome === 'stalled' ? leftToDo(this.steps, this.facts, this.epoch) : [],
      ...(this.epoch !== undefined ? { epoch: this.epoch } : {}),
      timings: {
        ...(detected !== undefined ? { detectionSeconds: seconds(detected, this.run.startedAt) } : {}),
        ...(verified !== undefined ? { rtoSeconds: seconds(detected ?? this.input.requestedAt, verified) } : {}),
        stepSeconds,
      },
      ...(backup
        ? {
            dataLoss: {
              from: backup.takenAt,
              backupName: backup.name,
              ...(lastHeartbeat !== undefined ? { to: lastHeartbeat, seconds: seconds(backup.takenAt, lastHeartbeat) } : {}),
            },
          }
        : {}),
    };
  }

  private publish(): void {
    const progress: FailoverProgress = {
      pairId: this.run.pairId,
      phase: this.phase,
      trigger: this.input.trigger,
      ...(this.input.requestedBy !== undefined ? { requestedBy: this.input.requestedBy } : {}),
      startedAt: this.run.startedAt,
      steps: [...this.steps],
      ...(this.awaiting ? { awaiting: this.awaiting } : {}),
      ...(this.epoch !== undefined ? { epoch: this.epoch } : {}),
      cancellable: this.cancellable,
      ...(this.input.idempotencyKey !== undefined ? { idempotencyKey: this.input.idempotencyKey } : {}),
    };
    this.context.df.setCustomStatus(progress);
  }
}

/** For a stalled run: the runbook's remaining steps, as a person would do them by hand. */
function leftToDo(steps: readonly StepRecord[], facts: FailoverFacts | undefined, epoch: number | undefined): string[] {
  const failed = steps.find((s) => s.outcome === 'failed' || s.outcome === 'running')?.step;
  const secondary = facts?.pair.secondary.hostName ?? 'the Secondary';
  const primary = facts?.pair.primary.hostName ?? 'the Primary';
  const fenced = epoch !== undefined ? `the fence record names ${secondary} at epoch ${epoch}` : 'the fence record may not have been raised';
  const items: [FailoverPhase, string][] = [
    ['fence', `make sure adTempus on ${primary} is stopped and its startup Disabled (${fenced})`],
    ['restore', `restore the newest sound backup${facts?.backup ? ` (${facts.backup.name})` : ''} over the database on ${secondary}`],
    ['start', `start adTempus on ${secondary} with -takedbcontrol`],
    ['verify', `check that ${secondary} owns the adTempus lock and its heartbeat advances`],
  ];
  const order: FailoverPhase[] = ['fence', 'restore', 'start', 'verify'];
  const from = failed === undefined ? 0 : Math.max(0, order.indexOf(failed));
  return items
    .filter(([phase]) => order.indexOf(phase) >= from)
    .filter(([phase]) => phase !== 'restore' || facts?.pair.strategy !== 'shared')
    .map(([, text]) => text);
}

function seconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}
