/**
 * A record's own entry: plain objects used as maps would otherwise answer
 * inherited names such as `constructor` or `toString`.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
