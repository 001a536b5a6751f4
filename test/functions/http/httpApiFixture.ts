import '../../../functions/http/listPairs';
import '../../../functions/http/getPair';
import '../../../functions/http/requestFailover';
import '../../../functions/http/getFailover';
import '../../../functions/http/approveFailover';
import '../../../functions/http/rejectFailover';
import '../../../functions/http/cancelFailover';
import '../../../functions/http/setMaintenance';
import '../../../functions/http/clearMaintenance';
import '../../../functions/http/acknowledgeFailover';
import { randomUUID } from 'node:crypto';
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { EngineOrchestrationClient } from '../../../local/durable/engineOrchestrationClient';
import { getRegistration } from '../../../local/functionsCore';
import { ORCHESTRATIONS } from '../../../orchestrations/names';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { closeAppServices } from '../../../shared/composition/appServices';
import { useOrchestrationClient } from '../../../shared/composition/orchestrationClient';
import type { PairConfigInput } from '../../../shared/config/configSchema';
import {
  FAILOVER_EVENTS,
  type ApprovalEvent,
  type CancelEvent,
  type FailoverInput,
  type FailoverProgress,
  type FailoverResult,
  type StepRecord,
} from '../../../shared/contracts/failoverContract';
import { backupBlobName, backupMetadata } from '../../../shared/domain/backupContract';
import { testStorage, type TestStorage } from '../../support/azurite';
import { DurableHarness, type ActivityFake } from '../../support/durableHarness';
import { pairInput } from '../../support/pairs';

/**
 * The HTTP API through its real registrations: handlers called with real HttpRequest objects,
 * state in Azurite, orchestrations on the local durable engine. The failover orchestration here
 * is a small stand-in with the real one's contract: it waits at the gate for an approval or a
 * cancel, then "fences" (no longer cancellable) and completes when the test raises `finish`.
 */
export const FINISH_EVENT = 'finish';
/** An activity the stand-in calls first: a dry run must never reach it. */
export const OPEN_ACTIVITY = 'httpApiTestOpen';

export function copiedPair(id: string, overrides: Partial<PairConfigInput> = {}): PairConfigInput {
  return pairInput({ id, backup: { container: 'adtempus-backups', prefix: `${id}/` }, ...overrides });
}

export function sharedPair(id: string, overrides: Partial<PairConfigInput> = {}): PairConfigInput {
  const base = pairInput();
  return pairInput({ id, strategy: 'shared', secondary: { ...base.secondary, database: base.primary.database }, backup: { container: 'adtempus-backups', prefix: `${id}/` }, ...overrides });
}

export interface CallOptions {
  readonly params?: Readonly<Record<string, string>>;
  /** An object is sent as JSON; a string as it is. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The JSON body; assertions read it by shape. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface ApiFixture {
  readonly storage: TestStorage;
  readonly blob: BlobServiceClient;
  readonly logs: string[];
  harness: DurableHarness;
  state: BlobStateStore;
  stateContainer: ContainerClient;
  call(functionName: string, method: string, options?: CallOptions): Promise<ApiResponse>;
  /** A fresh state container, durable engine and configuration for the next test. */
  reset(pairs: readonly PairConfigInput[]): Promise<void>;
  /** Uploads a sound backup of `pairId` taken `ageSeconds` ago. */
  putBackup(pairId: string, ageSeconds: number): Promise<string>;
  close(): Promise<void>;
}

let registered = false;

function registerStandIn(): void {
  if (registered) return;
  registered = true;
  df.app.activity(OPEN_ACTIVITY, { handler: (input: unknown) => input });
  df.app.orchestration(ORCHESTRATIONS.failover, function* (context: OrchestrationContext) {
    const input = context.df.getInput<FailoverInput>();
    const startedAt = context.df.currentUtcDateTime.toISOString();
    const steps: StepRecord[] = [{ step: 'open', startedAt, endedAt: startedAt, outcome: 'done', detail: 'opened' }];
    const progress = (phase: FailoverProgress['phase'], extra: Partial<FailoverProgress>): FailoverProgress => ({
      pairId: input.pairId,
      phase,
      trigger: input.trigger,
      ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
      startedAt,
      steps,
      cancellable: true,
      ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
      ...extra,
    });
    const result = (outcome: FailoverResult['outcome'], code: string, extra: Partial<FailoverResult> = {}): FailoverResult => ({
      pairId: input.pairId,
      instanceId: context.df.instanceId,
      outcome,
      code,
      detail: code.toLowerCase(),
      trigger: input.trigger,
      ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
      startedAt,
      endedAt: context.df.currentUtcDateTime.toISOString(),
      steps,
      done: [],
      left: [],
      timings: { stepSeconds: {} },
      ...extra,
    });
    yield context.df.callActivity(OPEN_ACTIVITY, input.pairId);
    context.df.setCustomStatus(progress('gate', { awaiting: { event: 'approval', until: '2099-01-01T00:00:00.000Z', reasons: [] } }));
    const approval = context.df.waitForExternalEvent(FAILOVER_EVENTS.approval);
    const cancel = context.df.waitForExternalEvent(FAILOVER_EVENTS.cancel);
    const winner: unknown = yield context.df.Task.any([approval, cancel]);
    if (winner === cancel) return result('aborted', 'CANCELLED', { detail: (cancel.result as CancelEvent).reason });
    const answer = approval.result as ApprovalEvent;
    if (answer.decision === 'reject') return result('aborted', 'REJECTED', { detail: answer.comment ?? 'rejected' });
    context.df.setCustomStatus(progress('fence', { cancellable: false, epoch: 1 }));
    yield context.df.waitForExternalEvent(FINISH_EVENT);
    return result('completed', 'COMPLETED', { approvedBy: answer.by, epoch: 1 });
  });
}

/** `standIn: false` leaves the failover orchestration to whoever registers it (the real one). */
export async function startApiFixture(name: string, options: { readonly standIn?: boolean; readonly fakes?: () => Readonly<Record<string, ActivityFake>> } = {}): Promise<ApiFixture> {
  if (options.standIn !== false) registerStandIn();
  const storage = await testStorage();
  const blob = BlobServiceClient.fromConnectionString(storage.connectionString);
  const savedEnv = { ...process.env };
  const logs: string[] = [];
  let round = 0;
  const fixture: ApiFixture = {
    storage,
    blob,
    logs,
    harness: new DurableHarness(),
    state: new BlobStateStore(blob.getContainerClient(`${name}-0`)),
    stateContainer: blob.getContainerClient(`${name}-0`),
    async reset(pairs) {
      round++;
      const container = `${name}-${round}`;
      Object.assign(process.env, {
        WatchdogStorage: storage.connectionString,
        WATCHDOG_STATE_CONTAINER: container,
        WATCHDOG_PAIRS: JSON.stringify(pairs),
        ERP_PRIMARY_SQL_PASSWORD: 'Test-Passw0rd',
        ERP_SECONDARY_SQL_PASSWORD: 'Test-Passw0rd',
        SMTP_HOST: '127.0.0.1',
        ALERT_EMAIL_FROM: 'watchdog@example.com',
      });
      await closeAppServices();
      fixture.stateContainer = blob.getContainerClient(container);
      await fixture.stateContainer.createIfNotExists();
      fixture.state = new BlobStateStore(fixture.stateContainer);
      fixture.harness = new DurableHarness({ fakes: options.fakes?.() ?? {} });
      const client = new EngineOrchestrationClient(fixture.harness.engine);
      useOrchestrationClient(() => client);
      logs.length = 0;
    },
    async call(functionName, method, options = {}) {
      const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      const headers = { ...(body !== undefined && typeof options.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...options.headers };
      const path = Object.values(options.params ?? {}).join('/');
      const request = new HttpRequest({
        method,
        url: `http://localhost:7071/api/${functionName}/${path}`,
        headers,
        params: { ...options.params },
        ...(body !== undefined ? { body: { string: body } } : {}),
      });
      const context = new InvocationContext({
        functionName,
        invocationId: randomUUID(),
        logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
      });
      const init = (await getRegistration(functionName).handler(request, context)) as HttpResponseInit;
      // Let what the request started or raised run as far as it goes without the test.
      await fixture.harness.runUntilIdle();
      const response = new HttpResponse(init);
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) };
    },
    async putBackup(pairId, ageSeconds) {
      const takenAt = new Date(Date.now() - ageSeconds * 1000);
      const container = blob.getContainerClient('adtempus-backups');
      await container.createIfNotExists();
      const name = backupBlobName(`${pairId}/`, takenAt, 'ADT-PRI01');
      const content = Buffer.from(`backup of ${pairId}`);
      await container.getBlockBlobClient(name).upload(content, content.length, {
        metadata: backupMetadata({ pairId, sourceMachine: 'ADT-PRI01', takenAt, sizeBytes: content.length, sha256: 'ab'.repeat(32) }),
      });
      return name;
    },
    async close() {
      useOrchestrationClient(undefined);
      await closeAppServices();
      process.env = savedEnv;
      await storage.release();
    },
  };
  return fixture;
}

/** The names and versions of every blob in the state container: a dry run must leave it as it was. */
export async function stateSnapshot(container: ContainerClient): Promise<string[]> {
  const items: string[] = [];
  for await (const b of container.listBlobsFlat()) items.push(`${b.name}@${b.properties.etag ?? ''}`);
  return items.sort();
}

/** Headers as App Service authentication sets them for a signed-in user. */
export function signedIn(name: string): Record<string, string> {
  return { 'x-ms-client-principal-name': name };
}
