import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseChild } from './supervisedChild';

/**
 * A real Azurite blob service in a child process, for tests, benchmarks and the local lab.
 * No jest imports: tsc compiles this file into dist/ for the benchmarks.
 */

export const AZURITE_ACCOUNT = 'devstoreaccount1';
// Azurite's fixed development key, published in Microsoft's emulator docs: it guards nothing.
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Where jest's global setup publishes the shared instance to the test files. */
export const TEST_AZURITE_ENV = 'TEST_AZURITE_CONNECTION_STRING';

export interface StartAzuriteOptions {
  /** Azurite's `--loose`: ignore headers and parameters it does not support instead of failing. */
  readonly loose?: boolean;
  /** Blob port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Give up (and kill the child) when Azurite has not printed its address by then. */
  readonly startTimeoutMs?: number;
  /**
   * Keep the data in this folder (Azurite's disk mode) so it survives a restart, instead of in
   * memory. The folder is the caller's: stop() leaves it in place.
   */
  readonly location?: string;
}

export interface AzuriteInstance {
  /** e.g. http://127.0.0.1:41234/devstoreaccount1 */
  readonly blobEndpoint: string;
  readonly connectionString: string;
  readonly port: number;
  /** SIGTERM, wait for exit (SIGKILL after a grace period), remove the temp folder it made. Idempotent. */
  stop(): Promise<void>;
}

const LISTENING = /successfully listens on (https?:\/\/[^\s]+)/;
const STOP_GRACE_MS = 5_000;

export async function startAzurite(opts: StartAzuriteOptions = {}): Promise<AzuriteInstance> {
  // The bin itself, run by this very node: `npx azurite` without `--` silently drops every flag.
  const bin = require.resolve('azurite/dist/src/blob/main.js');
  // Azurite 3.35 refuses --location together with --inMemoryPersistence, yet still treats its
  // workspace (the cwd) as a place it may write to: a private temp cwd keeps the tree clean.
  const ownsDir = opts.location === undefined;
  const workDir = opts.location ?? (await mkdtemp(join(tmpdir(), 'azurite-')));
  // The folder is also the child's cwd, which must exist before spawning.
  if (!ownsDir) await mkdir(workDir, { recursive: true });
  const args = [
    bin,
    '--blobHost', '127.0.0.1',
    '--blobPort', String(opts.port ?? 0),
    ...(ownsDir ? ['--inMemoryPersistence'] : ['--location', workDir]),
    '--disableTelemetry',
    // storage-blob 12.32 sends an API version Azurite 3.35 does not know yet.
    '--skipApiVersionCheck',
    '--silent',
    ...(opts.loose ? ['--loose'] : []),
  ];
  const child = spawn(process.execPath, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const supervised = superviseChild(child, { graceMs: STOP_GRACE_MS });
  const stop = async (): Promise<void> => {
    await supervised.stop();
    if (ownsDir) await rm(workDir, { recursive: true, force: true });
  };

  try {
    const address = await waitForAddress(child, opts.startTimeoutMs ?? 20_000);
    const url = new URL(address);
    const port = Number(url.port);
    const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
    const connectionString =
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`;
    return { blobEndpoint, connectionString, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForAddress(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      child.stdout?.removeListener('data', onStdout);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
      fn();
    };
    const onStdout = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const match = LISTENING.exec(stdout);
      if (match) done(() => resolve(match[1]!));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      done(() => reject(new Error(`Azurite exited before listening (code ${code}, signal ${signal}): ${tail(stderr || stdout)}`)));
    const onError = (error: Error): void => done(() => reject(new Error(`Azurite could not be started: ${error.message}`)));
    const timer = setTimeout(
      () => done(() => reject(new Error(`Azurite did not report its address within ${timeoutMs} ms: ${tail(stderr || stdout)}`))),
      timeoutMs,
    );
    child.stdout?.on('data', onStdout);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
    });
    child.once('exit', onExit);
    child.once('error', onError);
    // Keep draining once started, or a chatty Azurite would block on a full pipe.
    child.stdout?.resume();
  });
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

export interface TestStorage {
  readonly connectionString: string;
  /** Stops the private instance, if one was started; the shared one belongs to global teardown. */
  release(): Promise<void>;
}

/**
 * Storage for one test file: the run's shared Azurite when jest's global setup started one,
 * otherwise a private instance (a single file run with another config, a debugger session).
 */
export async function testStorage(): Promise<TestStorage> {
  const shared = process.env[TEST_AZURITE_ENV];
  if (shared !== undefined && shared !== '') return { connectionString: shared, release: async () => undefined };
  const own = await startAzurite();
  return { connectionString: own.connectionString, release: () => own.stop() };
}
