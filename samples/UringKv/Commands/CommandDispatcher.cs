using UringKv.Protocol;
using UringKv.Server;
using UringKv.Storage;

namespace UringKv.Commands;

/// <summary>
/// Runs the commands of the connections of one worker. Single-key commands run on the key's shard: at once when it
/// is this worker's, otherwise forwarded with copies of their arguments. Multi-key commands are split per shard,
/// every part is started before any is awaited, and the parts are gathered back in the order of the keys.
/// </summary>
internal sealed partial class CommandDispatcher(KvServer server, int workerId)
{
    private static readonly KeyOperation s_get = static (s, k, _, _) => s.Get(k);
    private static readonly KeyOperation s_set = static (s, k, v, n) => s.Set(k, v, (SetCondition)n);
    private static readonly KeyOperation s_incrementBy = static (s, k, _, n) => s.IncrementBy(k, n);
    private static readonly KeyOperation s_strlen = static (s, k, _, _) => s.StrLen(k);

    private readonly ShardSet _shards = server.Shards;

    /// <summary>Runs one request. The arguments are only valid until this returns; everything kept is copied.</summary>
    public ValueTask<Reply> Execute(CommandArgs args, ClientState client)
    {
        if (args.Count == 0)
        {
            return new ValueTask<Reply>(Reply.None);
        }

        _shards[workerId].Statistics.Commands++;
        CommandInfo? command = CommandTable.Find(args[0]);
        if (command is null)
        {
            return Error(UnknownCommand(args));
        }

        if ((command.Arity > 0 && args.Count != command.Arity) || (command.Arity < 0 && args.Count < -command.Arity))
        {
            return Error($"ERR wrong number of arguments for '{command.Name}' command");
        }

        try
        {
            return command.Name switch
            {
                "get" => RunKeyed(s_get, args[1], default, 0),
                "set" => Set(args),
                "setnx" => SetIfAbsent(args),
                "setex" or "psetex" => Error($"ERR {command.Name.ToUpperInvariant()} is not supported: keys do not expire in this server"),
                "del" or "unlink" => CountKeys(args, delete: true),
                "exists" => CountKeys(args, delete: false),
                "mget" => MultiGet(args),
                "mset" => MultiSet(args),
                "incr" => RunKeyed(s_incrementBy, args[1], default, 1),
                "decr" => RunKeyed(s_incrementBy, args[1], default, -1),
                "incrby" => IncrementBy(args, negate: false),
                "decrby" => IncrementBy(args, negate: true),
                "strlen" => RunKeyed(s_strlen, args[1], default, 0),
                "dbsize" => DbSize(),
                "flushall" => FlushAll(args),
                "ping" => Ping(args),
                "echo" => Value(Reply.FromBulk(args[1].ToArray())),
                "quit" => Quit(client),
                "select" => Select(args),
                "info" => Info(args),
                "config" => Config(args),
                "command" => Command(args),
                "client" => Client(args, client),
                "hello" => Hello(args, client),
                "role" => Value(Reply.FromArray([Reply.FromBulk("master"u8.ToArray()), Reply.FromInteger(0), Reply.EmptyArray])),
                _ => Error(UnknownCommand(args)),
            };
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return Error($"ERR {e.Message}");
        }
    }

    private static ValueTask<Reply> Value(Reply reply) => new(reply);

    private static ValueTask<Reply> Error(string message) => new(Reply.FromError(message));

    private static string UnknownCommand(CommandArgs args)
    {
        var text = new System.Text.StringBuilder();
        text.Append("ERR unknown command '").Append(Printable(args[0], 128)).Append("', with args beginning with: ");
        for (int i = 1; i < args.Count && text.Length < 256; i++)
        {
            text.Append('\'').Append(Printable(args[i], 128)).Append("' ");
        }

        return text.ToString();
    }

    private static string Printable(ReadOnlySpan<byte> bytes, int max)
    {
        bytes = bytes[..Math.Min(bytes.Length, max)];
        return string.Create(bytes.Length, bytes.ToArray(), static (span, b) =>
        {
            for (int i = 0; i < b.Length; i++)
            {
                span[i] = b[i] is >= 32 and < 127 ? (char)b[i] : '?';
            }
        });
    }

    private ValueTask<Reply> RunKeyed(KeyOperation operation, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long number) =>
        _shards.InvokeKeyed(_shards.ShardOf(key), operation, key, value, number);

    private ValueTask<Reply> Set(CommandArgs args)
    {
        var condition = SetCondition.Always;
        for (int i = 3; i < args.Count; i++)
        {
            ReadOnlySpan<byte> option = args[i];
            if (Is(option, "NX"u8) && condition != SetCondition.IfPresent)
            {
                condition = SetCondition.IfAbsent;
            }
            else if (Is(option, "XX"u8) && condition != SetCondition.IfAbsent)
            {
                condition = SetCondition.IfPresent;
            }
            else if (Is(option, "KEEPTTL"u8))
            {
                // Keys never expire here, so there is no time to live to keep.
            }
            else if (Is(option, "EX"u8) || Is(option, "PX"u8) || Is(option, "EXAT"u8) || Is(option, "PXAT"u8))
            {
                if (i + 1 >= args.Count)
                {
                    return Error("ERR syntax error");
                }

                if (!RespParser.TryParseInt64(args[i + 1], out _))
                {
                    return Error("ERR value is not an integer or out of range");
                }

                return Error("ERR SET with EX, PX, EXAT or PXAT is not supported: keys do not expire in this server");
            }
            else if (Is(option, "GET"u8))
            {
                return Error("ERR SET with GET is not supported by this server");
            }
            else
            {
                return Error("ERR syntax error");
            }
        }

        return RunKeyed(s_set, args[1], args[2], (long)condition);
    }

    // SETNX answers 1 or 0 where SET NX answers OK or nil.
    private ValueTask<Reply> SetIfAbsent(CommandArgs args)
    {
        ValueTask<Reply> set = RunKeyed(s_set, args[1], args[2], (long)SetCondition.IfAbsent);
        return set.IsCompletedSuccessfully ? Value(AsInteger(set.Result)) : AsIntegerAsync(set);

        static Reply AsInteger(Reply reply) => reply.Kind == ReplyKind.Error ? reply : Reply.FromInteger(ReferenceEquals(reply.Payload, Reply.Ok.Payload) ? 1 : 0);

        static async ValueTask<Reply> AsIntegerAsync(ValueTask<Reply> set) => AsInteger(await set);
    }

    private ValueTask<Reply> IncrementBy(CommandArgs args, bool negate)
    {
        if (!RespParser.TryParseInt64(args[2], out long delta))
        {
            return Error("ERR value is not an integer or out of range");
        }

        if (negate)
        {
            if (delta == long.MinValue)
            {
                return Error("ERR decrement would overflow");
            }

            delta = -delta;
        }

        return RunKeyed(s_incrementBy, args[1], default, delta);
    }

    // DEL and EXISTS: a count over keys that may live on several shards.
    private ValueTask<Reply> CountKeys(CommandArgs args, bool delete)
    {
        List<byte[]>?[] groups = GroupKeys(args, first: 1, step: 1, out _);
        var parts = new List<ValueTask<Reply>>();
        for (int shard = 0; shard < groups.Length; shard++)
        {
            if (groups[shard] is List<byte[]> keys)
            {
                parts.Add(_shards.InvokeAsync(shard, s => CountOnShard(s, keys, delete)));
            }
        }

        return SumAsync(parts);

        static ValueTask<Reply> CountOnShard(ShardStore store, List<byte[]> keys, bool delete)
        {
            try
            {
                CommitBatch? wait = null;
                long count = 0;
                foreach (byte[] key in keys)
                {
                    count += delete ? store.Delete(key, ref wait) : store.Exists(key, ref wait) ? 1 : 0;
                }

                return ShardStore.AfterAcknowledged(wait, Reply.FromInteger(count));
            }
            catch (IOException e)
            {
                return new ValueTask<Reply>(Reply.FromError($"MISCONF {e.Message}"));
            }
        }
    }

    private static async ValueTask<Reply> SumAsync(List<ValueTask<Reply>> parts)
    {
        long total = 0;
        Reply? error = null;
        foreach (ValueTask<Reply> part in parts)
        {
            Reply reply = await part;
            if (reply.Kind == ReplyKind.Error)
            {
                error ??= reply;
            }
            else
            {
                total += reply.Integer;
            }
        }

        return error ?? Reply.FromInteger(total);
    }

    private ValueTask<Reply> MultiGet(CommandArgs args)
    {
        List<byte[]>?[] groups = GroupKeys(args, first: 1, step: 1, out List<int>?[] positions);
        var parts = new List<(List<int> Positions, ValueTask<Reply> Part)>();
        for (int shard = 0; shard < groups.Length; shard++)
        {
            if (groups[shard] is List<byte[]> keys)
            {
                parts.Add((positions[shard]!, _shards.InvokeAsync(shard, s => GetOnShard(s, keys))));
            }
        }

        return GatherAsync(args.Count - 1, parts);

        static async ValueTask<Reply> GetOnShard(ShardStore store, List<byte[]> keys)
        {
            // Every lookup is made before the first await: the part reads one state of the shard.
            var pending = new ValueTask<Reply>[keys.Count];
            for (int i = 0; i < keys.Count; i++)
            {
                pending[i] = store.Get(keys[i]);
            }

            var values = new Reply[keys.Count];
            for (int i = 0; i < keys.Count; i++)
            {
                values[i] = await pending[i];
            }

            return Reply.FromArray(values);
        }

        static async ValueTask<Reply> GatherAsync(int count, List<(List<int> Positions, ValueTask<Reply> Part)> parts)
        {
            var result = new Reply[count];
            Reply? error = null;
            foreach ((List<int> where, ValueTask<Reply> part) in parts)
            {
                Reply reply = await part;
                if (reply.Kind != ReplyKind.Array)
                {
                    error ??= reply;
                    continue;
                }

                var values = (Reply[])reply.Payload!;
                for (int i = 0; i < values.Length; i++)
                {
                    if (values[i].Kind == ReplyKind.Error)
                    {
                        error ??= values[i];
                    }

                    result[where[i]] = values[i];
                }
            }

            return error ?? Reply.FromArray(result);
        }
    }

    private ValueTask<Reply> MultiSet(CommandArgs args)
    {
        if ((args.Count - 1) % 2 != 0)
        {
            return Error("ERR wrong number of arguments for 'mset' command");
        }

        List<byte[]>?[] groups = GroupKeys(args, first: 1, step: 2, out _);
        var parts = new List<ValueTask<Reply>>();
        for (int shard = 0; shard < groups.Length; shard++)
        {
            if (groups[shard] is List<byte[]> pairs)
            {
                parts.Add(_shards.InvokeAsync(shard, s => s.SetMany(pairs)));
            }
        }

        return AllOkAsync(parts);
    }

    private static async ValueTask<Reply> AllOkAsync(List<ValueTask<Reply>> parts)
    {
        Reply? error = null;
        foreach (ValueTask<Reply> part in parts)
        {
            Reply reply = await part;
            if (reply.Kind == ReplyKind.Error)
            {
                error ??= reply;
            }
        }

        return error ?? Reply.Ok;
    }

    /// <summary>
    /// Copies the keys (with <paramref name="step"/> 2: each key and its value) into one list per shard, and the
    /// position of each key among the command's keys.
    /// </summary>
    private List<byte[]>?[] GroupKeys(CommandArgs args, int first, int step, out List<int>?[] positions)
    {
        var groups = new List<byte[]>?[_shards.Count];
        positions = new List<int>?[_shards.Count];
        for (int i = first, n = 0; i < args.Count; i += step, n++)
        {
            ReadOnlySpan<byte> key = args[i];
            int shard = _shards.ShardOf(key);
            List<byte[]> group = groups[shard] ??= [];
            group.Add(key.ToArray());
            if (step == 2)
            {
                group.Add(args[i + 1].ToArray());
            }

            (positions[shard] ??= []).Add(n);
        }

        return groups;
    }

    private ValueTask<Reply> DbSize()
    {
        var parts = new List<ValueTask<Reply>>();
        for (int shard = 0; shard < _shards.Count; shard++)
        {
            parts.Add(_shards.InvokeAsync(shard, static s => CountAsync(s)));
        }

        return SumAsync(parts);

        static async ValueTask<Reply> CountAsync(ShardStore store)
        {
            long keys = store.KeyCount;
            try
            {
                await store.WhenAllAcknowledged();
            }
            catch (Exception e)
            {
                return Reply.FromError($"ERR {e.Message}");
            }

            return Reply.FromInteger(keys);
        }
    }

    private ValueTask<Reply> FlushAll(CommandArgs args)
    {
        if (args.Count > 2 || (args.Count == 2 && !Is(args[1], "ASYNC"u8) && !Is(args[1], "SYNC"u8)))
        {
            return Error("ERR syntax error");
        }

        var parts = new List<ValueTask<Reply>>();
        for (int shard = 0; shard < _shards.Count; shard++)
        {
            parts.Add(_shards.InvokeAsync(shard, static s => s.FlushAll()));
        }

        return AllOkAsync(parts);
    }

    private static ValueTask<Reply> Ping(CommandArgs args) => args.Count switch
    {
        1 => Value(Reply.FromSimple("PONG")),
        2 => Value(Reply.FromBulk(args[1].ToArray())),
        _ => Error("ERR wrong number of arguments for 'ping' command"),
    };

    private static ValueTask<Reply> Quit(ClientState client)
    {
        client.CloseAfterReply = true;
        return Value(Reply.Ok);
    }

    private static ValueTask<Reply> Select(CommandArgs args)
    {
        if (!RespParser.TryParseInt64(args[1], out long db))
        {
            return Error("ERR value is not an integer or out of range");
        }

        return db == 0 ? Value(Reply.Ok) : Error("ERR DB index is out of range");
    }

    internal static bool Is(ReadOnlySpan<byte> value, ReadOnlySpan<byte> upper) =>
        System.Text.Ascii.EqualsIgnoreCase(value, upper);
}
