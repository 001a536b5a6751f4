import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationClient } from '../ports/orchestrationClient.port';
import { DurableOrchestrationClient } from '../adapters/durable/durableOrchestrationClient';

/**
 * The durable client binding: a function that starts orchestrations or raises events lists it
 * in its registration's `extraInputs`, so the host hands that invocation a client.
 */
export const durableClientInput = df.input.durableClient();

export type OrchestrationClientFactory = (context: InvocationContext) => OrchestrationClient;

const production: OrchestrationClientFactory = (context) => DurableOrchestrationClient.forInvocation(context);

let factory: OrchestrationClientFactory = production;

/** The OrchestrationClient for one invocation: in Azure the host's durable client, else what `useOrchestrationClient` set. */
export function orchestrationClientFor(context: InvocationContext): OrchestrationClient {
  return factory(context);
}

/**
 * Replaces the durable client outside the host: the local runner and tests run orchestrations
 * on the local durable engine. `undefined` restores the host's client.
 */
export function useOrchestrationClient(replacement: OrchestrationClientFactory | undefined): void {
  factory = replacement ?? production;
}
