import { JsonLogger } from './logger';

describe('JsonLogger', () => {
  const capture = (level?: 'debug' | 'log' | 'warn') => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = new JsonLogger('svc', level, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    return { logger, lines };
  };

  it("logs Nest's start-up narration (modules initialised, routes mapped) at debug, so start-up shows only what an operator reads", () => {
    const { logger, lines } = capture('log');
    logger.log('Starting Nest application...', 'NestFactory');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('HealthController {/}:', 'RoutesResolver');
    logger.log('Mapped {/healthz, GET} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.log({ msg: 'migrations applied' }, 'Database');
    logger.warn('Mapped twice', 'RouterExplorer');
    expect(lines.map(({ level, context, msg }) => ({ level, context, msg }))).toEqual([
      { level: 'log', context: 'Database', msg: 'migrations applied' },
      { level: 'warn', context: 'RouterExplorer', msg: 'Mapped twice' },
    ]);
  });

  it('shows them with LOG_LEVEL=debug, marked as debug', () => {
    const { logger, lines } = capture('debug');
    logger.log('Mapped {/healthz, GET} route', 'RouterExplorer');
    logger.debug('detail');
    expect(lines.map(({ level, context, msg }) => ({ level, context, msg }))).toEqual([
      { level: 'debug', context: 'RouterExplorer', msg: 'Mapped {/healthz, GET} route' },
      { level: 'debug', context: undefined, msg: 'detail' },
    ]);
  });
});
