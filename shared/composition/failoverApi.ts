import type { InvocationContext } from '@azure/functions';
import type { Env, ResolvedPair } from '../config/loadConfig';
import type { PairDefinition } from '../domain/pair';
import type { Logger } from '../ports/logger.port';
import type { FailoverRequestDeps } from '../services/failoverRequests';
import type { PairViewDeps } from '../services/pairViews';
import { appServices } from './appServices';
import { orchestrationClientFor } from './orchestrationClient';

/** What the HTTP API's routes need for one invocation. */
export type FailoverApiDeps = FailoverRequestDeps & PairViewDeps;

export function failoverApiDeps(context: InvocationContext, logger: Logger): FailoverApiDeps {
  const services = appServices();
  return {
    // The facts and views built from these pairs reach people and the durable history: no secrets.
    pairs: services.config.pairs.map(withoutSecrets),
    state: services.state,
    backups: services.backups,
    clock: () => new Date(),
    orchestrations: orchestrationClientFor(context),
    maxConcurrency: services.config.maxConcurrency,
    logger,
  };
}

/**
 * Whether the platform vouches for the caller-identity headers: in App Service only when its
 * authentication is on (it then strips client-sent copies and sets its own); outside App
 * Service (the local runner, tests) always, since nothing but the developer calls it.
 */
export function identityHeadersTrusted(env: Env = process.env): boolean {
  if ((env.WEBSITE_AUTH_ENABLED ?? '').toLowerCase() === 'true') return true;
  return (env.WEBSITE_SITE_NAME ?? '') === '';
}

function withoutSecrets(pair: ResolvedPair): PairDefinition {
  return {
    id: pair.id,
    instanceName: pair.instanceName,
    strategy: pair.strategy,
    primary: { hostName: pair.primary.hostName, machineId: pair.primary.machineId },
    secondary: { hostName: pair.secondary.hostName, machineId: pair.secondary.machineId },
    policy: pair.policy,
    backup: pair.backup,
    ...(pair.failover ? { failover: pair.failover } : {}),
  };
}
