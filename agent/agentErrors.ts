import { WatchdogError } from '../shared/domain/errors';

/**
 * An agent failure with a stable, machine-readable code: the dispatcher puts `code` and `meta`
 * into its reply, so the orchestration decides on the code, never on the message text.
 * Messages and metadata must never hold a secret (SAS token, password): they reach logs,
 * replies and people. For the same reason an SDK error whose request carries a SAS URL is not
 * kept as `cause`; its status and service code go into `meta` instead.
 */
export class AgentError extends WatchdogError {}
