import type { LogFields, Logger } from '../core/ports.js';

export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

/** `key=value` pairs, quoted when a value could be misread. */
export function formatFields(fields: LogFields = {}): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => {
      const s = String(v);
      return `${k}=${/^[\w./@+:-]+$/.test(s) ? s : JSON.stringify(s)}`;
    })
    .join(' ');
}

export function formatLine(message: string, fields?: LogFields): string {
  const tail = formatFields(fields);
  return tail ? `${message} ${tail}` : message;
}

/** A logger that hands each finished line to a sink (stderr, the agent's log, a test array). */
export class LineLogger implements Logger {
  constructor(private readonly sink: (level: LogLevel, line: string) => void) {}

  info(message: string, fields?: LogFields): void {
    this.sink('INFO', formatLine(message, fields));
  }

  warn(message: string, fields?: LogFields): void {
    this.sink('WARN', formatLine(message, fields));
  }

  error(message: string, fields?: LogFields): void {
    this.sink('ERROR', formatLine(message, fields));
  }
}
