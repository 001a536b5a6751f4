import type { LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { WatchdogError } from '../../shared/domain/errors';
import { callOrchestrator, TIMER_LIMITS, type OrchestratorTurn, type RegisteredHandler } from './callOrchestrator';
import { historyEvent, HistoryEventType, optionalInput, toJsonText, type HistoryEvent } from './historyEvent';
import type { InstanceRecord } from './historyStore';
import { replayActions, type ReplayResult, type ScheduledWork } from './replayActions';

export interface Execution {
  readonly instanceId: string;
  readonly executionId: string;
}

/** What must happen once an episode's record is saved. */
export type Effect =
  | { readonly kind: 'work'; readonly at: Execution; readonly work: ScheduledWork }
  | { readonly kind: 'finished'; readonly record: InstanceRecord }
  | { readonly kind: 'restarted'; readonly previous: Execution };

export interface Episode {
  readonly next: InstanceRecord;
  readonly effects: readonly Effect[];
}

export interface EpisodeContext {
  readonly now: Date;
  /** Throws (a WatchdogError) when no orchestration has that name. */
  readonly orchestration: (name: string) => RegisteredHandler;
  readonly logHandler?: LogHandler;
}

/**
 * One orchestrator episode, the host's way: the new events join the history, the library replays
 * it, and the returned actions become new work, a new execution or the end of the instance.
 */
export async function runEpisode(record: InstanceRecord, context: EpisodeContext): Promise<Episode> {
  const { now } = context;
  const history = [...record.history, historyEvent(HistoryEventType.OrchestratorStarted, now), ...record.inbox];
  const base: InstanceRecord = { ...record, inbox: [], lastUpdatedAt: now.toISOString() };
  const finish = (status: 'Completed' | 'Failed', event: HistoryEvent, result: Partial<InstanceRecord>): Episode => {
    const next: InstanceRecord = { ...base, ...result, runtimeStatus: status, history: [...history, event, historyEvent(HistoryEventType.OrchestratorCompleted, now)] };
    return { next, effects: [{ kind: 'finished', record: next }] };
  };
  const fail = (error: string): Episode => {
    const message = `Orchestrator function '${record.name}' failed: ${error}`;
    return finish('Failed', historyEvent(HistoryEventType.ExecutionFailed, now, { Reason: message }), { output: message, failure: { message } });
  };

  let turn: OrchestratorTurn;
  let replay: ReplayResult;
  try {
    turn = await callOrchestrator(context.orchestration(record.name), {
      name: record.name,
      instanceId: record.instanceId,
      input: record.input,
      history,
      ...(record.parent ? { parentInstanceId: record.parent.instanceId } : {}),
      ...(context.logHandler ? { logHandler: context.logHandler } : {}),
    });
    replay = replayActions(turn.actions, history, TIMER_LIMITS);
  } catch (error) {
    // The engine's own verdicts (non-determinism, unsupported action, unknown function) fail the instance; anything else is a fault.
    if (!(error instanceof WatchdogError)) throw error;
    return fail(error.message);
  }

  const current: InstanceRecord = turn.customStatus === undefined ? base : { ...base, customStatus: turn.customStatus };
  // Like the framework, an instance with open tasks stays Running even after its orchestrator returned or failed.
  const finished = (turn.isDone || turn.error !== undefined) && !replay.hasOpenTasks;
  if (finished && turn.error !== undefined) return fail(turn.error);
  if (finished && replay.continueAsNew) {
    const executionId = randomUUID();
    const started = historyEvent(HistoryEventType.ExecutionStarted, now, {
      Name: record.name,
      ...optionalInput(replay.continueAsNew.input),
      OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: executionId },
    });
    const next: InstanceRecord = { ...current, executionId, input: replay.continueAsNew.input, runtimeStatus: 'Running', history: [], inbox: [started] };
    return { next, effects: [{ kind: 'restarted', previous: record }] };
  }
  if (finished) {
    return finish('Completed', historyEvent(HistoryEventType.ExecutionCompleted, now, { Result: toJsonText(turn.output) ?? 'null' }), { ...current, output: turn.output });
  }

  const work = replay.newWork.map((w) => (w.kind === 'subOrchestration' && !w.instanceId ? { ...w, instanceId: `${record.instanceId}:${w.id}` } : w));
  const scheduled = [...history, ...work.map((w) => scheduledEvent(w, now)), historyEvent(HistoryEventType.OrchestratorCompleted, now)];
  return { next: { ...current, runtimeStatus: 'Running', history: scheduled }, effects: work.map((w) => ({ kind: 'work', at: record, work: w })) };
}

function scheduledEvent(work: ScheduledWork, now: Date): HistoryEvent {
  switch (work.kind) {
    case 'activity':
      return historyEvent(HistoryEventType.TaskScheduled, now, { Name: work.name, ...optionalInput(work.input) }, work.id);
    case 'timer':
      return historyEvent(HistoryEventType.TimerCreated, now, { FireAt: work.fireAt }, work.id);
    case 'subOrchestration':
      return historyEvent(HistoryEventType.SubOrchestrationInstanceCreated, now, { Name: work.name, ...optionalInput(work.input), ...(work.instanceId ? { InstanceId: work.instanceId } : {}) }, work.id);
  }
}
