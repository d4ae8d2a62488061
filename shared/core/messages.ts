// Messages stay short and readable however large the input behind them.

/** A count as people write it: 1,994. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Up to `max` names, then how many there are in all. */
export function namesList(names: readonly string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (first ${max} of ${count(names.length)})`;
}

/** Text quoted in a message: at most `max` characters, cut with "...". */
export function shortened(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A duration for messages: "1 day", "6 hours", "90 seconds". */
export function futureText(ms: number): string {
  const s = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ] as const) {
    if (s >= size && s % size === 0) return `${s / size} ${unit}${s / size === 1 ? '' : 's'}`;
  }
  return `${s} seconds`;
}
