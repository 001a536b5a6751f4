import { DEFAULT_FAILOVER_SETTINGS, failoverSettingsSchema } from '../domain/runbookSettings';
import { z } from 'zod';

/**
 * The shape of the watchdog's configuration. Secrets never appear inline: the configuration
 * names the app setting that holds each one (which may be a Key Vault reference in Azure).
 */

const settingName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(__[A-Za-z0-9_]+)*$/, 'must be the name of an app setting (letters, digits, _)');

const hostName = z
  .string()
  .min(1, 'required')
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-.]*[A-Za-z0-9])?$/, 'must be a host name');

export const sqlAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sql'), user: z.string().min(1, 'required'), passwordSetting: settingName }).strict(),
  /** Managed identity of the Functions app (user-assigned when clientId is given). */
  z.object({ type: z.literal('managed-identity'), clientId: z.string().uuid('must be a GUID').optional() }).strict(),
  /** DefaultAzureCredential: developer sign-in locally, managed identity in Azure. */
  z.object({ type: z.literal('default') }).strict(),
]);

export const databaseSchema = z
  .object({
    server: hostName,
    port: z.number().int().min(1).max(65535).default(1433),
    /** Named instance (e.g. SQLEXPRESS); resolved through SQL Browser instead of a port. */
    instanceName: z.string().min(1).optional(),
    database: z.string().min(1, 'required'),
    auth: sqlAuthSchema,
    encrypt: z.boolean().default(true),
    trustServerCertificate: z.boolean().default(false),
  })
  .strict();

export const sideSchema = z
  .object({
    hostName,
    machineId: z.string().min(1, 'required'),
    database: databaseSchema,
  })
  .strict();

export const pairSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lower-case letters, digits or hyphens, starting with a letter or digit'),
    instanceName: z.string().min(1, 'required'),
    strategy: z.enum(['shared', 'copied']),
    primary: sideSchema,
    secondary: sideSchema,
    /** Overrides HEARTBEAT_QUERY for this pair. Parameters: @instance, @primaryHost, @secondaryHost. */
    heartbeatQuery: z.string().trim().min(1).optional(),
    policy: z
      .object({
        staleThresholdSeconds: z.number().int().min(30).max(86_400).default(300),
        consecutiveStaleChecks: z.number().int().min(1).max(100).default(3),
        automaticFailover: z.boolean().default(false),
      })
      .strict()
      .default({ staleThresholdSeconds: 300, consecutiveStaleChecks: 3, automaticFailover: false }),
    backup: z
      .object({
        container: z
          .string()
          .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid blob container name (3-63 lower-case letters, digits, hyphens)'),
        prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)+$/, 'must be one or more path segments ending with "/" (e.g. "erp/")'),
        rpoBudgetMinutes: z.number().int().min(1).default(1440),
        expectedIntervalMinutes: z.number().int().min(1).default(1440),
        maxShrinkPercent: z.number().min(1).max(100).default(50),
      })
      .strict(),
    /** Failover decision and runbook settings (see shared/domain/runbookSettings.ts). */
    failover: failoverSettingsSchema.default(DEFAULT_FAILOVER_SETTINGS),
    notify: z
      .object({
        /** Names of app settings that each hold a Teams Workflows webhook URL. */
        teamsWebhookSettings: z.array(settingName).default([]),
        email: z.array(z.string().email('must be an email address')).default([]),
      })
      .strict()
      .default({ teamsWebhookSettings: [], email: [] }),
  })
  .strict();

export type PairConfigInput = z.input<typeof pairSchema>;
export type PairConfig = z.output<typeof pairSchema>;
export type DatabaseConfig = z.output<typeof databaseSchema>;
export type SideConfig = z.output<typeof sideSchema>;
export type SqlAuthConfig = z.output<typeof sqlAuthSchema>;
