/** Where a command writes: JSON for scripts (`--json`), plain lines for people. */
export interface Output {
  json: boolean;
  result(value: unknown, human: () => string[]): void;
}

export function createOutput(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): Output {
  return {
    json,
    result(value, human) {
      write(json ? `${JSON.stringify(value)}\n` : `${human().join('\n')}\n`);
    },
  };
}

export class UsageError extends Error {}

export function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}
