import type { z } from 'zod';
import { WatchdogError } from '../../../shared/domain/errors';

/** An activity got an input that does not follow the contract: no retry can fix it. */
export class ActivityInputError extends WatchdogError {
  constructor(
    readonly activity: string,
    readonly problems: readonly string[],
  ) {
    super('ACTIVITY_INPUT_INVALID', `Activity ${activity} refused its input: ${problems.join('; ')}`, { activity });
  }
}

/**
 * Inputs cross from the durable history, written by whatever orchestrator version ran: they are
 * checked, not trusted. Problems name paths and expectations, never values.
 */
export function parseActivityInput<S extends z.ZodType>(activity: string, schema: S, input: unknown, at: readonly string[] = []): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ActivityInputError(
    activity,
    parsed.error.issues.slice(0, 10).map((i) => `${[...at, ...i.path.map(String)].join('.') || '(input)'}: ${i.message}`),
  );
}
