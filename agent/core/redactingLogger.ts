import type { Logger } from '../../shared/ports/logger.port';
import { redactDeep, redact } from './redact';

/** A logger that passes every message and field through redact(): what a command handler logs cannot leak its secrets. */
export function redactingLogger(log: Logger, secrets: readonly string[] = []): Logger {
  const clean = (fields?: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> | undefined =>
    fields === undefined ? undefined : redactDeep({ ...fields }, secrets);
  return {
    info: (m, f) => log.info(redact(m, secrets), clean(f)),
    warn: (m, f) => log.warn(redact(m, secrets), clean(f)),
    error: (m, f) => log.error(redact(m, secrets), clean(f)),
  };
}
