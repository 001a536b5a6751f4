export { invocationLogger, type LogSink } from '../adapters/logging/invocationLogger';
