import { z } from 'zod';

/**
 * The agent's configuration as written in its JSON file (ADTEMPUS_AGENT_CONFIG) and, key by key,
 * in ADTEMPUS_AGENT_* environment variables (see agentSettings.ts). Messages never quote a value:
 * several fields are secrets (connection strings, the container SAS URL, the SQL password).
 */

/** "required" for a missing value, else the type rule; never the value itself. */
const typed = (rule: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : rule) });
const text = (what = 'required') => z.string(typed('must be text')).trim().min(1, what);
const seconds = (min: number, max: number, fallback: number) =>
  z.number(typed('must be a number')).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`).default(fallback);
const absolutePath = text().refine((p) => /^(?:[A-Za-z]:[\\/]|\\\\|\/)/.test(p), 'must be an absolute path');

export const computerName = z
  .string({ error: 'must be text' })
  .regex(/^[A-Za-z0-9-]{1,63}$/, 'must be a computer name (letters, digits, hyphens; at most 63)');
export const pairIdSchema = z.string(typed('must be text')).regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a pair id (1-40 lower-case letters, digits, hyphens)');
const queueName = z.string(typed('must be text')).regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,259}$/, 'must be a Service Bus queue name');
const guid = z.string(typed('must be text')).uuid('must be a GUID');
const containerName = z
  .string({ error: 'must be text' })
  .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid blob container name (3-63 lower-case letters, digits, hyphens)');

export const serviceBusInputSchema = z
  .object({
    /** Secret. Either this or fullyQualifiedNamespace. */
    connectionString: text().optional(),
    /** e.g. contoso.servicebus.windows.net, for managed identity or Azure Arc. */
    fullyQualifiedNamespace: z
      .string({ error: 'must be text' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}$/, 'must be a namespace host name such as contoso.servicebus.windows.net')
      .optional(),
    clientId: guid.optional(),
    inboxQueue: queueName.optional(),
    commandQueue: queueName.optional(),
  })
  .strict();

export const fenceInputSchema = z
  .object({
    /** Secret. One of connectionString, containerSasUrl, blobServiceUri. */
    connectionString: text().optional(),
    /** Secret: a container SAS with read permission. */
    containerSasUrl: text().optional(),
    blobServiceUri: z.string(typed('must be text')).regex(/^https?:\/\/[^\s?#]+$/, 'must be an http(s) URL without a query').optional(),
    clientId: guid.optional(),
    container: containerName.optional(),
  })
  .strict();

export const serviceInputSchema = z
  .object({
    /** The Windows service name (not the display name). Required for control "windows". */
    name: z
      .string({ error: 'must be text' })
      .regex(/^[^/\\\s][^/\\]{0,255}$/, 'must be a Windows service name (at most 256 characters, no / or \\)')
      .optional(),
    control: z.enum(['windows', 'process'], { error: 'must be "windows" or "process"' }).default('windows'),
    /** Control "process": the program that plays adTempus in the local lab. */
    process: z
      .object({
        command: text(),
        args: z.array(z.string(typed('must be text')), { error: 'must be a list of text' }).default([]),
        cwd: absolutePath.optional(),
        /** The stdout line that means "started" (see ProcessServiceControl). */
        readyLine: text().optional(),
      })
      .strict()
      .optional(),
    registryKey: text().default('HKLM\\SOFTWARE\\Arcana Development\\adTempus\\Instances\\Default'),
    machineIdValue: text().default('MachineID'),
    versionValue: text().default('Version'),
    /** Control "process" has no registry: what its status reports instead. */
    labVersion: text().optional(),
    labMachineId: text().optional(),
  })
  .strict();

const sqlAuthSchema = z
  .object({
    user: text(),
    /** Secret. */
    password: text(),
    /** Set for a Windows (NTLM) login; without it the login is a SQL Server login. */
    domain: text().optional(),
  })
  .strict();

const restoreCommon = {
  /** The local adTempus database the backup is restored over. */
  database: text(),
  downloadDir: absolutePath,
  /** Free space needed on the download folder's volume, as a multiple of the backup's size. */
  freeSpaceFactor: z.number(typed('must be a number')).min(1, 'must be at least 1').max(20, 'must be at most 20').default(3),
};

export const restoreInputSchema = z.discriminatedUnion(
  'mode',
  [
    z
      .object({
        /** RESTORE DATABASE over mssql against the local SQL Server. */
        mode: z.literal('tsql'),
        ...restoreCommon,
        sql: z
          .object({
            server: text().default('localhost'),
            instanceName: text().optional(),
            port: z.number(typed('must be a number')).int().min(1).max(65535, 'must be a port number').optional(),
            auth: sqlAuthSchema,
            encrypt: z.boolean({ error: 'must be true or false' }).default(true),
            // The LOCAL database: SQL Express presents a self-signed certificate on loopback.
            trustServerCertificate: z.boolean({ error: 'must be true or false' }).default(true),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        mode: z.literal('command'),
        ...restoreCommon,
        /** A program that restores the file (e.g. adTempus's database utility); `{file}` and `{database}` in args are replaced. */
        command: z.object({ exe: text(), args: z.array(z.string(typed('must be text'))).default([]) }).strict(),
      })
      .strict(),
  ],
  { error: 'mode must be "tsql" or "command"' },
);

export const agentConfigInputSchema = z
  .object({
    hostName: computerName.optional(),
    pairId: pairIdSchema,
    /** The pair's Primary: the only host allowed to run adTempus while no fence record exists. */
    primaryHost: computerName,
    serviceBus: serviceBusInputSchema.default({}),
    fence: fenceInputSchema.default({}),
    service: serviceInputSchema.default({ control: 'windows', registryKey: 'HKLM\\SOFTWARE\\Arcana Development\\adTempus\\Instances\\Default', machineIdValue: 'MachineID', versionValue: 'Version' }),
    stateDir: absolutePath,
    /** Copied-database pairs: where adTempus's backups appear, and where the shipper puts them. */
    backup: z
      .object({
        folder: absolutePath,
        pattern: text().default('*.bak'),
        /** Required unless containerSasUrl names it. */
        container: containerName.optional(),
        /** Default `<pairId>/`. */
        prefix: z.string(typed('must be text')).regex(/^([A-Za-z0-9._-]+\/)+$/, 'must be path segments ending with "/" (e.g. "erp/")').optional(),
        /** Secret. At most one of these three; none means the fence's storage (not with a fence SAS). */
        connectionString: text().optional(),
        /** Secret: a container SAS with create and write permission. */
        containerSasUrl: text().optional(),
        blobServiceUri: z.string(typed('must be text')).regex(/^https?:\/\/[^\s?#]+$/, 'must be an http(s) URL without a query').optional(),
        clientId: guid.optional(),
        pollIntervalSeconds: seconds(5, 3600, 60),
        /**
         * How long a backup file must keep the same size and time stamp before it is shipped: a
         * file adTempus is still writing is never uploaded. Lower it only where backups are
         * written aside and renamed into place.
         */
        settleSeconds: seconds(1, 3600, 60),
      })
      .strict()
      .optional(),
    restore: restoreInputSchema.optional(),
    /** Extra volumes whose free space the status command reports. */
    diskPaths: z.array(absolutePath, { error: 'must be a list of paths' }).default([]),
    heartbeatIntervalSeconds: seconds(1, 300, 5),
    stopTimeoutSeconds: seconds(1, 3600, 120),
    startTimeoutSeconds: seconds(1, 3600, 120),
    fenceCheckIntervalSeconds: seconds(5, 3600, 30),
    /**
     * Start adTempus when the agent starts, once the fence record says this host is the active
     * side (the service itself set to Manual, so that nothing else starts it at boot). Closes the
     * boot race in which a returning Primary set to Automatic starts adTempus before its agent has
     * read that another host took over.
     */
    startAtBoot: z.boolean({ error: 'must be true or false' }).default(false),
    /** A fenced host ends a service that will not stop in time: two running copies are worse. */
    killOnFence: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .strict();

export type AgentConfigInput = z.input<typeof agentConfigInputSchema>;
export type ParsedAgentConfig = z.output<typeof agentConfigInputSchema>;
