import { getRegistrations } from '../functionsCore';
import type { RegisteredHandler } from './callOrchestrator';
import { FunctionNotRegisteredError } from './durableEngineErrors';

/** How the engine finds the handlers of orchestrations and activities by name. */
export interface FunctionResolver {
  orchestration(name: string): RegisteredHandler;
  activity(name: string): RegisteredHandler;
}

/** Handlers registered through `df.app.orchestration` / `df.app.activity`, captured by the functions-core stand-in. */
export const registeredFunctions: FunctionResolver = {
  orchestration: (name) => findHandler(name, 'orchestration', 'orchestrationTrigger'),
  activity: (name) => findHandler(name, 'activity', 'activityTrigger'),
};

function findHandler(name: string, kind: 'orchestration' | 'activity', triggerType: string): RegisteredHandler {
  const ofKind = [...getRegistrations().values()].filter((r) => Object.values(r.metadata.bindings).some((b) => b.type === triggerType));
  const found = ofKind.find((r) => r.name === name);
  if (!found) throw new FunctionNotRegisteredError(name, kind, ofKind.map((r) => r.name));
  return found.handler;
}
