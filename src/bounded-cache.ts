/**
 * `create(key)` remembered per key, keeping the `size` most recently used: for things that cost
 * more to build than to use and are asked for again and again (compiled SQL, parsed templates).
 */
export function boundedCache<K, V>(size: number, create: (key: K) => V): (key: K) => V {
  const entries = new Map<K, V>();
  return (key) => {
    let value = entries.get(key);
    if (value !== undefined) entries.delete(key);
    else {
      value = create(key);
      if (entries.size >= size) entries.delete(entries.keys().next().value as K);
    }
    entries.set(key, value);
    return value;
  };
}
