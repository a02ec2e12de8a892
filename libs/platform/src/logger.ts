import { LoggerService, LogLevel } from '@nestjs/common';

const LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/**
 * Nest's own start-up narration: a line per module initialised and per route mapped (about 60 in the
 * standalone), ahead of the lines an operator reads. Logged at `debug` (LOG_LEVEL=debug shows them).
 */
const NEST_BOOT_CONTEXTS: ReadonlySet<string> = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * Structured JSON logs, one object per line, on stderr.
 * Stdout is kept for the audit-event stream (LOG_AUDIT_EVENTS), so nothing else may write there.
 */
export class JsonLogger implements LoggerService {
  private readonly minLevel: number;

  constructor(
    private readonly service: string,
    level: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'log',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {
    const index = LEVELS.indexOf(level);
    this.minLevel = index < 0 ? LEVELS.indexOf('log') : index;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('fatal', message, rest);
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    // Nest passes the context as the last string argument and a stack before it for errors.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'log' && context !== undefined && NEST_BOOT_CONTEXTS.has(context)) level = 'debug';
    if (LEVELS.indexOf(level) < this.minLevel) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, service: this.service };
    if (context) entry['context'] = context;
    if (message instanceof Error) {
      entry['msg'] = message.message;
      entry['stack'] = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(entry, message);
    } else {
      entry['msg'] = String(message);
    }
    for (const extra of rest) {
      if (typeof extra === 'string') entry['stack'] = extra;
      else if (extra instanceof Error) entry['err'] = { message: extra.message, stack: extra.stack };
      else if (typeof extra === 'object' && extra !== null) Object.assign(entry, extra);
    }
    this.write(`${JSON.stringify(entry)}\n`);
  }
}
