import { fromJsonText, HistoryEventType } from './historyEvent';
import type { InstanceRecord } from './historyStore';
import type { Effect, Execution } from './runEpisode';

/** Work an unfinished instance was waiting for when its host stopped: redone or re-armed on resume. */
export function outstandingWork(record: InstanceRecord): Effect[] {
  const events = [...record.history, ...record.inbox];
  const settled = new Set(events.map((e) => e.TaskScheduledId ?? e.TimerId).filter((id): id is number => id !== undefined));
  const at: Execution = record;
  const effects: Effect[] = [];
  for (const e of record.history) {
    if (settled.has(e.EventId)) continue;
    if (e.EventType === HistoryEventType.TaskScheduled) effects.push({ kind: 'work', at, work: { kind: 'activity', id: e.EventId, name: e.Name ?? '', input: fromJsonText(e.Input) } });
    if (e.EventType === HistoryEventType.TimerCreated) effects.push({ kind: 'work', at, work: { kind: 'timer', id: e.EventId, fireAt: e.FireAt ?? e.Timestamp } });
    if (e.EventType === HistoryEventType.SubOrchestrationInstanceCreated) {
      effects.push({ kind: 'work', at, work: { kind: 'subOrchestration', id: e.EventId, name: e.Name ?? '', input: fromJsonText(e.Input), ...(e.InstanceId ? { instanceId: e.InstanceId } : {}) } });
    }
  }
  return effects;
}
