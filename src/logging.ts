import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Structured logs carry ids and counts. Redaction is a safety net for the API token and anything that looks like
 * a record body; the real rule is to never pass patient data to a logger in the first place.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'dentrix-pipedrive', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: ['apiToken', 'token', '*.apiToken', '*.token', 'headers["x-api-token"]', 'body', '*.body', 'row', '*.row', 'data', '*.data'],
      censor: '[redacted]',
    },
  };
  // Where the lines go: stdout unless told (tests capture them to prove they carry no patient data).
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
