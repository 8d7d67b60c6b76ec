/** Runs `worker` over `items`, at most `limit` at once, in order of `items`; stops taking new ones once `stop()` says so. */
export async function runPool<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const item = items[next++] as T;
      await worker(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
