/** MQTT topic-filter matching with `+` and `#`; filters starting with a wildcard never match `$` topics. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export function isValidFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split('/');
  return levels.every((level, i) =>
    level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+',
  );
}
