/**
 * Stand-in for `@azure/functions-core`, the module the Azure Functions host injects into the
 * worker. Outside the host (local runner, tests) it receives the app's real registrations, so
 * they can be listed and invoked exactly as declared.
 */
export interface FunctionRegistration {
  readonly name: string;
  readonly metadata: Record<string, unknown> & { name: string; bindings: Record<string, { type: string; direction: string } & Record<string, unknown>> };
  readonly handler: (...args: unknown[]) => unknown;
}

const registrations = new Map<string, FunctionRegistration>();
let programmingModel: unknown;

export function setProgrammingModel(model: unknown): void {
  programmingModel = model;
}

export function getProgrammingModel(): unknown {
  return programmingModel;
}

export function registerFunction(metadata: FunctionRegistration['metadata'], handler: FunctionRegistration['handler']): { dispose(): void } {
  registrations.set(metadata.name, { name: metadata.name, metadata, handler });
  return { dispose: () => registrations.delete(metadata.name) };
}

export function registerHook(_hookName: string, _callback: unknown): { dispose(): void } {
  return { dispose: () => undefined };
}

export function getRegistrations(): ReadonlyMap<string, FunctionRegistration> {
  return registrations;
}

export function getRegistration(name: string): FunctionRegistration {
  const found = registrations.get(name);
  if (!found) throw new Error(`No function registered as "${name}" (registered: ${[...registrations.keys()].join(', ') || 'none'})`);
  return found;
}
