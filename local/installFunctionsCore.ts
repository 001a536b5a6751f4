import Module from 'node:module';

/**
 * Outside the Functions host nothing provides `@azure/functions-core`; point it at the local
 * stand-in so the app's own registration calls are captured (must run before the app loads).
 */
export function installFunctionsCore(): void {
  const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = loader._resolveFilename;
  const standIn = require.resolve('./functionsCore');
  loader._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === '@azure/functions-core' ? standIn : original.call(this, request, ...rest);
  };
}
