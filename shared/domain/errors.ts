/**
 * Errors carry a stable code, safe metadata and a cause. Messages and metadata must never contain
 * a secret (password, connection string, webhook URL, SAS token): they reach logs and people.
 */
export class WatchdogError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly meta: Readonly<Record<string, string | number | boolean>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends WatchdogError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG_INVALID', `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export class DeliveryError extends WatchdogError {
  constructor(message: string, meta: Readonly<Record<string, string | number | boolean>> = {}, options?: { cause?: unknown }) {
    super('DELIVERY_FAILED', message, meta, options);
  }
}
