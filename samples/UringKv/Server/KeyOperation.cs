using UringKv.Protocol;
using UringKv.Storage;

namespace UringKv.Server;

/// <summary>A single-key operation on a shard: what GET, SET, INCRBY and STRLEN do there.</summary>
internal delegate ValueTask<Reply> KeyOperation(ShardStore store, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long number);
