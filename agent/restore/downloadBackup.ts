import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { AnonymousCredential, BlobClient, RestError, type BlobDownloadResponseParsed } from '@azure/storage-blob';
import { AgentError } from '../agentErrors';
import { HashingFileWriter } from './hashingFileWriter';

export interface DownloadAndVerifyOptions {
  /** Read-only SAS URL of the one backup blob. A secret: never logged nor put into an error. */
  readonly sasUrl: string;
  /** From the backup's metadata (64 hex digits). */
  readonly expectedSha256: string;
  readonly expectedSizeBytes: number;
  /** Where the verified file is put (created if missing). */
  readonly directory: string;
  /** Name of the verified file; default: the blob name's last segment. */
  readonly fileName?: string;
  /** Space that must stay free on the disk once the backup is there. Default 1 GiB: the restore itself needs room too. */
  readonly minFreeBytes?: number;
  /** Called at most every progressIntervalMs, and once at the end with bytes === total. */
  readonly onProgress?: (bytes: number, total: number) => void;
  /** Default 1,000 ms. */
  readonly progressIntervalMs?: number;
  /** Free bytes on the disk holding `directory`; default fs.statfs. Tests simulate a small disk with it. */
  readonly freeBytes?: (directory: string) => Promise<number>;
  readonly abortSignal?: AbortSignal;
}

export interface VerifiedBackupFile {
  readonly file: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** True when the file was already there, verified, from an earlier attempt: nothing was downloaded. */
  readonly reused: boolean;
  readonly elapsedMs: number;
}

const DEFAULT_MIN_FREE = 1024 ** 3;
const DEFAULT_PROGRESS_MS = 1_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const SAFE_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
// Resumes the body from where it broke off (pinned to the blob's ETag) instead of starting over.
const MAX_RESUMES = 5;

/**
 * Downloads a backup blob through a SAS URL and hands back the path of a verified copy.
 *
 * Refuses before any request when the disk cannot hold the file plus `minFreeBytes`. Streams the
 * body into a temp file in the target directory (memory stays at two 8 MiB slots and the stream
 * buffers whatever the size), hashing in order as it writes; only a file whose size and SHA-256 match is renamed to its
 * final name, so that name never holds anything unverified. On any failure the temp file is
 * deleted. A verified file left by an earlier attempt is checked again and reused, so a repeated
 * command does not download twice.
 *
 * Errors (AgentError codes): INVALID_ARGUMENT, INSUFFICIENT_DISK, SAS_REJECTED (403: expired,
 * tampered or lacking read permission), BLOB_NOT_FOUND, SIZE_MISMATCH, CHECKSUM_MISMATCH,
 * DOWNLOAD_FAILED. None carries the SAS token.
 */
export async function downloadAndVerify(options: DownloadAndVerifyOptions): Promise<VerifiedBackupFile> {
  const started = performance.now();
  const { expectedSizeBytes: size, directory } = options;
  const expected = options.expectedSha256.toLowerCase();
  const where = redactSasUrl(options.sasUrl);
  if (!SHA256_HEX.test(expected)) throw new AgentError('INVALID_ARGUMENT', 'expectedSha256 must be 64 hex digits');
  if (!Number.isSafeInteger(size) || size < 0) throw new AgentError('INVALID_ARGUMENT', 'expectedSizeBytes must be a whole number >= 0');
  const url = parseSasUrl(options.sasUrl);
  const fileName = options.fileName ?? lastSegment(url);
  if (!SAFE_FILE_NAME.test(fileName)) throw new AgentError('INVALID_ARGUMENT', 'The backup file name must be a plain file name', { fileName: fileName.slice(0, 200) });
  const file = join(directory, fileName);
  const elapsed = (): number => Math.round(performance.now() - started);

  await mkdir(directory, { recursive: true });
  if (await alreadyVerified(file, size, expected)) {
    options.onProgress?.(size, size);
    return { file, sizeBytes: size, sha256: expected, reused: true, elapsedMs: elapsed() };
  }

  const minFree = options.minFreeBytes ?? DEFAULT_MIN_FREE;
  const free = await (options.freeBytes ?? statfsFreeBytes)(directory);
  if (size + minFree > free) {
    throw new AgentError('INSUFFICIENT_DISK', `The disk of ${directory} has ${free} bytes free; the backup needs ${size} plus ${minFree} kept free`, {
      freeBytes: free,
      neededBytes: size + minFree,
    });
  }

  const temp = join(directory, `${fileName}.${randomUUID().slice(0, 8)}.partial`);
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  options.abortSignal?.addEventListener('abort', onAbort);
  if (options.abortSignal?.aborted) abort.abort();
  try {
    const response = await startDownload(options.sasUrl, where, abort.signal);
    if (response.contentLength !== size) {
      // The body is not wanted: a wrong length is known from the headers. Aborting makes the
      // SDK's stream emit an error nobody else listens to.
      response.readableStreamBody?.on('error', () => undefined);
      abort.abort();
      throw new AgentError('SIZE_MISMATCH', `The blob at ${where} is ${response.contentLength ?? 'of unknown size'} bytes, expected ${size}`, {
        expectedBytes: size,
        ...(response.contentLength !== undefined ? { actualBytes: response.contentLength } : {}),
      });
    }
    const meter = new HashingFileWriter(temp, size, options.onProgress, options.progressIntervalMs ?? DEFAULT_PROGRESS_MS);
    try {
      if (response.readableStreamBody === undefined) throw new Error('the response has no body');
      await pipeline(response.readableStreamBody, meter);
    } catch (error) {
      meter.destroy();
      await meter.fileClosed();
      throw streamError(error, where, options.sasUrl);
    }
    if (meter.bytes !== size) throw new AgentError('SIZE_MISMATCH', `Downloaded ${meter.bytes} bytes from ${where}, expected ${size}`, { expectedBytes: size, actualBytes: meter.bytes });
    const actual = meter.digest();
    if (actual !== expected) throw new AgentError('CHECKSUM_MISMATCH', `The SHA-256 of the backup from ${where} does not match its metadata`, { expectedSha256: expected, actualSha256: actual });
    await rename(temp, file);
    meter.finish();
    return { file, sizeBytes: size, sha256: actual, reused: false, elapsedMs: elapsed() };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    options.abortSignal?.removeEventListener('abort', onAbort);
  }
}

/** The URL without its query string: what may be logged of a SAS URL. */
export function redactSasUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Parsed here so that no error quotes it (Node's invalid-URL error carries its input). Plain
 * HTTP would expose the token on the wire: only a local emulator may use it.
 */
function parseSasUrl(sasUrl: string): URL {
  let url: URL;
  try {
    url = new URL(sasUrl);
  } catch {
    throw new AgentError('INVALID_ARGUMENT', 'The SAS URL is not a valid URL');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new AgentError('INVALID_ARGUMENT', 'The SAS URL must use https', { url: redactSasUrl(sasUrl) });
  }
  return url;
}

function lastSegment(url: URL): string {
  try {
    return decodeURIComponent(url.pathname.split('/').pop() ?? '');
  } catch {
    return '';
  }
}

async function statfsFreeBytes(directory: string): Promise<number> {
  const s = await statfs(directory);
  return s.bavail * s.bsize;
}

async function startDownload(sasUrl: string, where: string, abortSignal: AbortSignal): Promise<BlobDownloadResponseParsed> {
  // Retries cover connecting and the headers; the SDK's per-try timeout ends at the first byte,
  // so a long body is never cut off by it.
  const blob = new BlobClient(sasUrl, new AnonymousCredential(), { retryOptions: { maxTries: 3, tryTimeoutInMs: 60_000 } });
  try {
    return await blob.download(0, undefined, { abortSignal, maxRetryRequests: MAX_RESUMES });
  } catch (error) {
    throw requestError(error, where, sasUrl);
  }
}

/** The SDK's errors hold the request, SAS URL included: only status and service code are kept. */
function requestError(error: unknown, where: string, sasUrl: string): AgentError {
  if (!(error instanceof RestError)) return new AgentError('DOWNLOAD_FAILED', `Downloading ${where} failed: ${scrub(error, where, sasUrl)}`, errnoMeta(error));
  const meta = { ...(error.statusCode !== undefined ? { status: error.statusCode } : {}), ...(error.code ? { storageCode: error.code } : {}) };
  if (error.statusCode === 403 || error.statusCode === 401) {
    return new AgentError('SAS_REJECTED', `Blob storage refused the SAS for ${where} (expired, tampered with, or without read permission)`, meta);
  }
  if (error.statusCode === 404) return new AgentError('BLOB_NOT_FOUND', `No blob at ${where}`, meta);
  return new AgentError('DOWNLOAD_FAILED', `Downloading ${where} failed with status ${error.statusCode ?? 'none'}`, meta);
}

function streamError(error: unknown, where: string, sasUrl: string): AgentError {
  if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return new AgentError('INSUFFICIENT_DISK', `The disk filled up while downloading ${where}`);
  if (error instanceof RestError) return requestError(error, where, sasUrl);
  return new AgentError('DOWNLOAD_FAILED', `Downloading ${where} broke off: ${scrub(error, where, sasUrl)}`, errnoMeta(error));
}

/** Some client errors quote the URL they were given ("Cannot connect to <url> ..."): never its query. */
function scrub(error: unknown, where: string, sasUrl: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(sasUrl).join(where).replace(/\?[^\s'"]*sig=[^\s'"]*/gi, '?[redacted]');
}

function errnoMeta(error: unknown): Record<string, string> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? { errno: code } : {};
}

/** A final file from an earlier attempt counts only if it still hashes right. */
async function alreadyVerified(file: string, size: number, sha256: string): Promise<boolean> {
  try {
    if ((await stat(file)).size !== size) return false;
  } catch {
    return false;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex') === sha256;
}
