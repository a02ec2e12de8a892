import { copyOperands, dockerignore, execForm, expand, parseDockerfile } from './dockerfile';

describe('the Dockerfile reader', () => {
  it('reads stages, global args, flags and continued lines', () => {
    const parsed = parseDockerfile(
      ['# a comment', 'ARG V=20', 'FROM node:${V} AS base', 'WORKDIR /app', 'FROM base AS b', 'COPY --from=base /app/x ./x', 'RUN a \\', '  # inside', ' && b'].join('\n'),
    );
    expect(parsed.globalArgs).toEqual({ V: '20' });
    expect(parsed.stages.map((s) => [s.name, s.from])).toEqual([
      ['base', 'node:${V}'],
      ['b', 'base'],
    ]);
    expect(parsed.stages[1].instructions).toEqual([
      { op: 'COPY', flags: { from: 'base' }, args: '/app/x ./x', line: 6 },
      { op: 'RUN', flags: {}, args: 'a && b', line: 7 },
    ]);
  });

  it('refuses an unnamed stage and a shell-form entrypoint', () => {
    expect(() => parseDockerfile('FROM node')).toThrow(/every stage needs a name/);
    expect(() => execForm('node x.js', 'ENTRYPOINT')).toThrow(/exec form/);
    expect(execForm('["node", "x.js"]', 'ENTRYPOINT')).toEqual(['node', 'x.js']);
  });

  it('splits COPY operands and expands build arguments', () => {
    expect(copyOperands('a b ./dest/')).toEqual({ sources: ['a', 'b'], destination: './dest/' });
    expect(expand('APP=${APP} $X ${UNSET}', { APP: 'writer-app', X: '1' })).toBe('APP=writer-app 1 ${UNSET}');
  });
});

describe('the .dockerignore predicate', () => {
  const ignored = dockerignore(['# c', '**/node_modules', 'dist', '**/*.spec.ts', '.env.*', 'docs'].join('\n'));

  it.each([
    ['node_modules', true],
    ['libs/a/node_modules/x/index.js', true],
    ['dist/apps/console/index.html', true],
    ['libs/a/src/x.spec.ts', true],
    ['.env.local', true],
    ['docs/scaling.md', true],
    ['libs/a/dist/x.js', false],
    ['libs/a/src/x.ts', false],
    ['libs/a/docs/readme.md', false],
    ['.env', false],
  ])('%s → ignored %s', (file, expected) => {
    expect(ignored(file)).toBe(expected);
  });

  it('refuses exceptions it does not implement', () => {
    expect(() => dockerignore('dist\n!dist/keep')).toThrow(/not supported/);
  });
});
