import fc from 'fast-check';
import { readClickHouseConfig } from './config';
import { READS_THREAD_NICENESS } from '@audit/platform';
import { embeddedStatementNiceness, readStatementNiceness } from './embedded-niceness';

const niceness = fc.integer({ min: -20, max: 19 });

describe('embeddedStatementNiceness', () => {
  it('takes CLICKHOUSE_EMBEDDED_NICENESS as given, whatever the thread runs at', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 19 }), niceness, niceness, (configured, thread, process) => expect(embeddedStatementNiceness(configured, { thread, process })).toBe(configured)));
  });

  it("unset, lowers a thread's statements exactly when the thread runs below a main thread at 0, to the thread's niceness", () => {
    fc.assert(
      fc.property(niceness, niceness, (thread, process) => {
        const chosen = embeddedStatementNiceness(undefined, { thread, process });
        expect(chosen).toBe(process === 0 && thread > 0 ? thread : 0);
        // Never a raise: ClickHouse refuses negative values without CAP_SYS_NICE and they would outrank the reads.
        expect(chosen).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('the main thread of a standalone (0 in a process at 0) keeps its reads at the process priority; its consumers thread (5) does not', () => {
    expect(embeddedStatementNiceness(undefined, { thread: 0, process: 0 })).toBe(0);
    expect(embeddedStatementNiceness(undefined, { thread: 5, process: 0 })).toBe(5);
    // A process started whole under `nice`: the setting's reset to 0 would raise the shared threads above it.
    expect(embeddedStatementNiceness(undefined, { thread: 10, process: 10 })).toBe(0);
  });
});

describe('readStatementNiceness', () => {
  it("raises the reads' statements to the HTTP thread's niceness where the process may, else leaves them at the process's", () => {
    expect(readStatementNiceness(true)).toBe(READS_THREAD_NICENESS);
    expect(READS_THREAD_NICENESS).toBeLessThan(0);
    expect(readStatementNiceness(false)).toBe(0);
  });
});

describe('CLICKHOUSE_EMBEDDED_NICENESS', () => {
  it('is read as an integer from 0 to 19, and unset when absent', () => {
    expect(readClickHouseConfig({}).embeddedNiceness).toBeUndefined();
    expect(readClickHouseConfig({ CLICKHOUSE_EMBEDDED_NICENESS: '0' }).embeddedNiceness).toBe(0);
    expect(readClickHouseConfig({ CLICKHOUSE_EMBEDDED_NICENESS: '19' }).embeddedNiceness).toBe(19);
  });

  it('refuses anything else, naming the variable', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 20, max: 1000 }).map(String),
          fc.integer({ min: -1000, max: -1 }).map(String),
          fc.string({ minLength: 1 }).filter((s) => s.trim() !== '' && !/^\s*-?\d+\s*$/.test(s)),
        ),
        (value) => {
          expect(() => readClickHouseConfig({ CLICKHOUSE_EMBEDDED_NICENESS: value })).toThrow(/CLICKHOUSE_EMBEDDED_NICENESS must be an integer between 0 and 19/);
        },
      ),
    );
  });

  it('is refused beside CLICKHOUSE_URL: a server schedules its own threads', () => {
    expect(() => readClickHouseConfig({ CLICKHOUSE_URL: 'http://clickhouse:8123', CLICKHOUSE_EMBEDDED_NICENESS: '5' })).toThrow(/CLICKHOUSE_EMBEDDED_NICENESS applies to embedded chDB only/);
  });
});
