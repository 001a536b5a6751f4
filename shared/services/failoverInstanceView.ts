import type { FailoverInput, FailoverProgress, FailoverResult } from '../contracts/failoverContract';
import { isRunning, type OrchestrationInstance, type OrchestrationRuntimeStatus } from '../ports/orchestrationClient.port';

/**
 * How people see one failover instance: its request, its progress (the orchestration's custom
 * status) and, once finished, its result. Only the project's own routes are linked; the durable
 * runtime's management URLs (they carry the system key) never appear.
 */
export interface FailoverStatusView {
  readonly instanceId: string;
  readonly pairId: string;
  readonly runtimeStatus: OrchestrationRuntimeStatus;
  readonly running: boolean;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly request?: Pick<FailoverInput, 'trigger' | 'requestedBy' | 'reason' | 'requestedAt' | 'detectedAt' | 'evidence' | 'idempotencyKey'>;
  /** While it runs: the phase, the steps so far, what the gate awaits. */
  readonly progress?: FailoverProgress;
  /** Once completed: outcome, steps, timings, data loss (the timeline). */
  readonly result?: FailoverResult;
  /** The orchestration itself failed or was terminated (a fault, not a runbook outcome). */
  readonly failure?: string;
  readonly links: FailoverLinks;
}

export interface FailoverLinks {
  readonly status: string;
  readonly approve?: string;
  readonly reject?: string;
  readonly cancel?: string;
}

/** A running failover in a pair's view. */
export interface FailoverSummary {
  readonly instanceId: string;
  readonly runtimeStatus: OrchestrationRuntimeStatus;
  readonly running: boolean;
  readonly phase?: string;
  readonly awaiting?: FailoverProgress['awaiting'];
  readonly cancellable?: boolean;
  readonly outcome?: FailoverResult['outcome'];
  readonly code?: string;
  readonly statusUrl: string;
}

export function statusPath(instanceId: string): string {
  return `/api/failovers/${encodeURIComponent(instanceId)}`;
}

export function failoverStatusView(instance: OrchestrationInstance, pairId: string): FailoverStatusView {
  const running = isRunning(instance.runtimeStatus);
  const input = inputOf(instance);
  const progress = progressOf(instance);
  const result = instance.runtimeStatus === 'Completed' ? resultOf(instance) : undefined;
  const failed = instance.runtimeStatus === 'Failed' || instance.runtimeStatus === 'Terminated' || instance.runtimeStatus === 'Canceled';
  return {
    instanceId: instance.instanceId,
    pairId,
    runtimeStatus: instance.runtimeStatus,
    running,
    createdAt: instance.createdAt,
    lastUpdatedAt: instance.lastUpdatedAt,
    ...(input ? { request: requestOf(input) } : {}),
    ...(progress ? { progress } : {}),
    ...(result ? { result } : {}),
    ...(failed ? { failure: failureText(instance) } : {}),
    links: linksOf(instance.instanceId, running, progress),
  };
}

export function failoverSummary(instance: OrchestrationInstance): FailoverSummary {
  const progress = progressOf(instance);
  const result = instance.runtimeStatus === 'Completed' ? resultOf(instance) : undefined;
  return {
    instanceId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    running: isRunning(instance.runtimeStatus),
    ...(progress ? { phase: progress.phase, cancellable: progress.cancellable } : {}),
    ...(progress?.awaiting ? { awaiting: progress.awaiting } : {}),
    ...(result ? { outcome: result.outcome, code: result.code } : {}),
    statusUrl: statusPath(instance.instanceId),
  };
}

/** The input as the HTTP API or the monitor gave it; undefined when it is not a failover's input. */
export function inputOf(instance: OrchestrationInstance): FailoverInput | undefined {
  const input = instance.input;
  return isObject(input) && typeof input.reason === 'string' && typeof input.trigger === 'string' ? (input as unknown as FailoverInput) : undefined;
}

/** The orchestration's custom status, when it has set one. */
export function progressOf(instance: OrchestrationInstance): FailoverProgress | undefined {
  const custom = instance.customStatus;
  return isObject(custom) && typeof custom.phase === 'string' && Array.isArray(custom.steps) ? (custom as unknown as FailoverProgress) : undefined;
}

function resultOf(instance: OrchestrationInstance): FailoverResult | undefined {
  const output = instance.output;
  return isObject(output) && typeof output.outcome === 'string' && typeof output.code === 'string' ? (output as unknown as FailoverResult) : undefined;
}

function requestOf(input: FailoverInput): NonNullable<FailoverStatusView['request']> {
  return {
    trigger: input.trigger,
    ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
    reason: input.reason,
    requestedAt: input.requestedAt,
    ...(input.detectedAt !== undefined ? { detectedAt: input.detectedAt } : {}),
    evidence: Array.isArray(input.evidence) ? input.evidence : [],
    ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
  };
}

function linksOf(instanceId: string, running: boolean, progress: FailoverProgress | undefined): FailoverLinks {
  const status = statusPath(instanceId);
  if (!running) return { status };
  return {
    status,
    ...(progress?.awaiting ? { approve: `${status}/approve`, reject: `${status}/reject` } : {}),
    ...(progress?.cancellable !== false ? { cancel: `${status}/cancel` } : {}),
  };
}

/** The runtime's failure output is the orchestrator's error; its first line says what happened, the stack is for logs. */
function failureText(instance: OrchestrationInstance): string {
  const output = instance.output;
  const text = typeof output === 'string' ? output : isObject(output) && typeof output.message === 'string' ? output.message : `the orchestration ended ${instance.runtimeStatus.toLowerCase()}`;
  return text.split('\n')[0]!.slice(0, 500);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
