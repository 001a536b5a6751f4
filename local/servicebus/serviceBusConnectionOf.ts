import type { ServiceBusConfig } from '../../shared/config/loadConfig';

/** The host's default when a trigger names no connection. */
export const DEFAULT_SERVICE_BUS_CONNECTION = 'AzureWebJobsServiceBus';

/**
 * Reads a trigger's `connection` the way the host does: the setting itself holds a connection
 * string, or `<connection>__fullyQualifiedNamespace` names the namespace for an identity-based
 * connection (`<connection>__clientId` picks a user-assigned identity). Undefined when neither is set.
 */
export function serviceBusConnectionOf(connection: string, settings: Readonly<Record<string, string | undefined>>): ServiceBusConfig | undefined {
  const text = (name: string): string | undefined => {
    const value = settings[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const connectionString = text(connection);
  if (connectionString !== undefined) return { kind: 'connectionString', connectionString };
  const fullyQualifiedNamespace = text(`${connection}__fullyQualifiedNamespace`);
  if (fullyQualifiedNamespace === undefined) return undefined;
  const clientId = text(`${connection}__clientId`);
  return { kind: 'identity', fullyQualifiedNamespace, ...(clientId !== undefined ? { clientId } : {}) };
}
