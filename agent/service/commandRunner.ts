import { execFile } from 'node:child_process';

export interface CommandResult {
  /** The program's exit code; sc.exe exits with the Win32 error number it printed. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with arguments and no shell; resolves for any exit code, rejects only when it could not run. */
export type CommandRunner = (file: string, args: readonly string[], options?: { readonly timeoutMs?: number }) => Promise<CommandResult>;

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * execFile without a shell: a service name or parameter can never be read as shell syntax.
 * A timeout or a missing program is a rejection, because its output cannot be trusted.
 */
export const execFileRunner: CommandRunner = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, windowsHide: true, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ exitCode: 0, stdout, stderr });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === 'number' && !error.killed) {
          resolve({ exitCode: code, stdout, stderr });
          return;
        }
        reject(new Error(`${file} could not be run${error.killed ? ' (timed out)' : ''}: ${typeof code === 'string' ? code : 'failed'}`, { cause: error }));
      },
    );
  });
