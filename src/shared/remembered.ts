/**
 * The promise `map` holds for `key`, else `make()`'s, held there: callers
 * asking at once share one piece of work. A failure is not remembered (it
 * is reported to those callers; the next one tries again).
 */
export function remembered<K, V>(map: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  let promise = map.get(key);
  if (!promise) {
    const made = make();
    promise = made;
    map.set(key, made);
    made.catch(() => {
      if (map.get(key) === made) map.delete(key);
    });
  }
  return promise;
}
