import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'pretty' | 'json';

/**
 * How log lines look: readable (pino-pretty) for a person at a terminal, one JSON object per line for everything else
 * (a pipe, a file, a log collector). LOG_FORMAT=json or LOG_FORMAT=pretty decides instead of the terminal check.
 */
export function chooseLogFormat(stream: { isTTY?: boolean } = process.stdout, env: Record<string, string | undefined> = process.env): LogFormat {
  const forced = env.LOG_FORMAT?.trim().toLowerCase();
  if (forced === 'json' || forced === 'pretty') return forced;
  return stream.isTTY ? 'pretty' : 'json';
}

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
  // Where the lines go: stdout unless told (tests capture them to prove they carry no patient data), as JSON then.
  if (destination) return pino(options, destination);
  if (chooseLogFormat() === 'pretty') {
    // Synchronous: the last lines before an exit (shutdown, a fatal error) are not lost. Colours unless NO_COLOR.
    return pino(options, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }));
  }
  return pino(options);
}

export type { Logger };
