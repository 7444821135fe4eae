/**
 * Whether a file profile's key (`language:sha256`) falls in shard `shard` of `shards`: the files
 * of one large artifact are profiled by several workers at once, each taking the files whose
 * content hash lands in its shard, so every file is profiled by exactly one of them.
 */
export function inShard(key: string, shard: number, shards: number): boolean {
  if (shards <= 1) return true;
  const hex = key.slice(key.lastIndexOf(':') + 1, key.lastIndexOf(':') + 9);
  return Number.parseInt(hex, 16) % shards === shard;
}
