import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Where credentials can appear in what Airlock logs. Request headers are never logged whole (the
 * request serializer keeps method, URL and address), but anything a caller passes is checked too.
 */
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'headers.authorization',
  'headers.cookie',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
];

export interface CreateLoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON. @default false */
  pretty?: boolean;
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
}

/**
 * One JSON line per event (pino), or pretty lines for a terminal. Every line has `level`, `time`
 * and `msg`; events Airlock reports on purpose also carry `event` (`request`, `refused`,
 * `analysis`, `decision`, `transition`, `upstream-error`, `auth-failure`, `start`, …).
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'airlock' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.pretty) return pino(config, pretty({ colorize: true, destination: 1, sync: true, singleLine: true, ignore: 'pid,hostname,service,req,res,responseTime' }));
  return pino(config, options.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** A logger that writes nothing (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
