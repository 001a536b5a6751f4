import type { Logger } from '../../ports/logger.port';

/** The logging surface of an Azure Functions InvocationContext (or console). */
export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Structured lines (message plus JSON fields) that Application Insights keeps searchable. */
export function invocationLogger(sink: LogSink, context: Readonly<Record<string, unknown>> = {}): Logger {
  const line = (message: string, fields?: Readonly<Record<string, unknown>>): string => {
    const all = { ...context, ...fields };
    return Object.keys(all).length === 0 ? message : `${message} ${JSON.stringify(all)}`;
  };
  return {
    info: (m, f) => sink.info(line(m, f)),
    warn: (m, f) => sink.warn(line(m, f)),
    error: (m, f) => sink.error(line(m, f)),
  };
}
