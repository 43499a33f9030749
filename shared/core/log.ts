import pino from 'pino';

/**
 * Structured JSON in Cloud Logging's shape: `severity` and `message`, so that the same lines are
 * parsed by Cloud Logging on Google Cloud and stay greppable locally.
 */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export type Logger = pino.Logger;

export function createLogger(
  level: string = 'info',
  bindings: Record<string, unknown> = {},
  destination: pino.DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: bindings,
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
      redact: { paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}
