import { pino, type Logger } from 'pino';

/**
 * The process logger: pino JSON lines on stderr (stdout stays free for CLI output
 * such as `vrpg-narrator chunk`). Player names and narration text are user content:
 * log them at debug, never at info.
 */
export function createLogger(level: string = 'info', name = 'vrpg'): Logger {
  return pino({ name, level }, pino.destination(2));
}
