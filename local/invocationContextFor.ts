import { InvocationContext, type LogLevel, type TriggerMetadata } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { FunctionRegistration } from './functionsCore';

/**
 * The InvocationContext the host would build for one invocation of `registration`: its name, a
 * fresh invocation id, the declared trigger and bindings as `options`, trigger metadata, and log
 * calls routed to the local host's log with the function's name in front.
 */
export function invocationContextFor(registration: FunctionRegistration, log: (line: string) => void, triggerMetadata?: TriggerMetadata): InvocationContext {
  const functionName = registration.name;
  const invocationId = randomUUID();
  const bindings = Object.entries(registration.metadata.bindings).map(([name, binding]) => ({ ...binding, name }));
  const trigger = bindings.find((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
  const returned = bindings.find((b) => b.name === '$return');
  return new InvocationContext({
    functionName,
    invocationId,
    logHandler: (level: LogLevel, ...args: unknown[]) => log(`[${functionName}] ${level === 'information' ? '' : `${level}: `}${format(...args)}`),
    ...(triggerMetadata ? { triggerMetadata } : {}),
    options: {
      ...(trigger ? { trigger: trigger } : {}),
      ...(returned ? { return: returned } : {}),
      extraInputs: bindings.filter((b) => b.direction === 'in' && b !== trigger),
      extraOutputs: bindings.filter((b) => b.direction === 'out' && b !== returned),
    },
  });
}
