/** Bulk deletes in R2, within its limit of 1000 keys a call. */

export async function deleteKeys(bucket: R2Bucket, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}

/** Deletes every object under `prefix`, a listing page (≤1000 keys) at a time. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const list = await bucket.list({ prefix, cursor });
    await deleteKeys(
      bucket,
      list.objects.map((o) => o.key),
    );
    cursor = list.truncated ? list.cursor : undefined;
  } while (cursor);
}

/** Copies an object to another key without holding it (R2 has no rename). */
export async function moveObject(bucket: R2Bucket, from: string, to: string) {
  const obj = await bucket.get(from);
  if (!obj) throw new Error(`${from} vanished`);
  const { readable, writable } = new FixedLengthStream(obj.size);
  const [, put] = await Promise.all([obj.body.pipeTo(writable), bucket.put(to, readable, { httpMetadata: obj.httpMetadata })]);
  await bucket.delete(from);
  return put;
}
