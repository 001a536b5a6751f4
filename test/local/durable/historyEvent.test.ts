import { HistoryEventType } from '../../../local/durable/historyEvent';
import { ActionType } from '../../../local/durable/wireAction';

// The engine speaks the library's wire numbers; these tables must follow the pinned version.
const library = {
  HistoryEventType: jest.requireActual<{ HistoryEventType: Record<string, number> }>('durable-functions/lib/src/history/HistoryEventType').HistoryEventType,
  ActionType: jest.requireActual<{ ActionType: Record<string, number> }>('durable-functions/lib/src/actions/ActionType').ActionType,
};

describe('wire numbers', () => {
  it.each(Object.entries(HistoryEventType))('numbers history event %s as durable-functions does', (name, value) => {
    expect(library.HistoryEventType[name]).toBe(value);
  });

  it.each(Object.entries(ActionType))('numbers action %s as durable-functions does', (name, value) => {
    expect(library.ActionType[name]).toBe(value);
  });
});
