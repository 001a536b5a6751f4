import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { RetryMode, ServiceBusClient, type RetryOptions, type ServiceBusClientOptions } from '@azure/service-bus';
import { AgentError } from '../agentErrors';

/**
 * How the agent reaches its Service Bus namespace: a connection string (SAS; a secret), or the
 * namespace with an Entra identity. On an Azure VM or Arc-enabled server the managed identity is
 * the usual choice; DefaultAzureCredential also covers a service principal in the environment.
 * The same shape as the agent configuration's `serviceBus.auth`, which can be passed as it is.
 */
export type AgentServiceBusSettings =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      /** `<namespace>.servicebus.windows.net` */
      readonly fullyQualifiedNamespace: string;
      /** Client id of a user-assigned managed identity. */
      readonly clientId?: string;
      /** Default: `managedIdentity` when clientId is set, else `default` (DefaultAzureCredential). */
      readonly credential?: 'default' | 'managedIdentity';
    };

/**
 * The agent only makes outbound connections and must ride out network blips on its own: every
 * operation retries with backoff, and the receive loop and heartbeats retry forever on top.
 */
export const AGENT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  mode: RetryMode.Exponential,
  maxRetries: 5,
  retryDelayInMs: 1_000,
  maxRetryDelayInMs: 30_000,
  timeoutInMs: 60_000,
});

export function createAgentServiceBusClient(
  settings: AgentServiceBusSettings,
  options: ServiceBusClientOptions = {},
  credential?: TokenCredential,
): ServiceBusClient {
  const clientOptions: ServiceBusClientOptions = { ...options, retryOptions: { ...AGENT_RETRY_OPTIONS, ...options.retryOptions } };
  if (settings.kind === 'connectionString') {
    try {
      return new ServiceBusClient(settings.connectionString, clientOptions);
    } catch (_error) {
      // The SDK's message may quote the string, and with it the key: name the setting only.
      throw new AgentError('SERVICE_BUS_SETTINGS_INVALID', 'The Service Bus connection string cannot be used (expected Endpoint=sb://...;SharedAccessKeyName=...;SharedAccessKey=...)');
    }
  }
  if (settings.fullyQualifiedNamespace.trim() === '') throw new AgentError('SERVICE_BUS_SETTINGS_INVALID', 'The Service Bus namespace is empty');
  return new ServiceBusClient(settings.fullyQualifiedNamespace.trim(), credential ?? identityFor(settings), clientOptions);
}

function identityFor(settings: Extract<AgentServiceBusSettings, { kind: 'identity' }>): TokenCredential {
  const clientId = settings.clientId?.trim() || undefined;
  if ((settings.credential ?? (clientId ? 'managedIdentity' : 'default')) === 'managedIdentity') {
    return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  }
  return clientId ? new DefaultAzureCredential({ managedIdentityClientId: clientId }) : new DefaultAzureCredential();
}

/**
 * A transport error as safe log fields: its code and message, with any URL's query string
 * removed (a SAS token travels there) and the length bounded.
 */
export function describeTransportError(error: unknown): Record<string, string> {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return {
    ...(typeof code === 'string' ? { code } : {}),
    error: message.replace(/(https?:\/\/[^\s?#'"]+)\?[^\s#'"]*/gi, '$1?<redacted>').replace(/SharedAccess(Key|Signature)=[^;\s'"]*/gi, 'SharedAccess$1=<redacted>').slice(0, 500),
  };
}
