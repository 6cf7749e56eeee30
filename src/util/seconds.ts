/** A positive, finite number of seconds as milliseconds, or undefined when the text is not one. */
export function secondsToMs(text: string): number | undefined {
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) || n <= 0 ? undefined : Math.round(n * 1000);
}
