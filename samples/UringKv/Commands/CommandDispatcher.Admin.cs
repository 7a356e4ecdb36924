using System.Text;
using UringKv.Protocol;
using UringKv.Server;
using UringKv.Storage;

namespace UringKv.Commands;

// Connection and server commands: INFO, CONFIG GET, COMMAND, CLIENT, HELLO.
internal sealed partial class CommandDispatcher
{
    /// <summary>The Redis version the server answers as: its commands and replies follow Redis 6's RESP2 behaviour.</summary>
    public const string CompatibleRedisVersion = "6.2.0";

    private static readonly string s_runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + "00000000";

    private ValueTask<Reply> Info(CommandArgs args)
    {
        var sections = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < args.Count; i++)
        {
            sections.Add(Encoding.ASCII.GetString(args[i]));
        }

        bool all = sections.Count == 0 || sections.Contains("all") || sections.Contains("everything") || sections.Contains("default");
        bool Want(string name) => all || sections.Contains(name);

        ShardStatistics[] shards = _shards.Open.Select(s => s.Statistics).ToArray();
        long Sum(Func<ShardStatistics, long> f) => shards.Sum(f);
        var text = new StringBuilder();
        if (Want("server"))
        {
            TimeSpan uptime = DateTime.UtcNow - server.StartedAt;
            text.Append("# Server\r\n")
                .Append("redis_version:").Append(CompatibleRedisVersion).Append("\r\n")
                .Append("uringkv_version:1.0.0\r\n")
                .Append("redis_mode:standalone\r\n")
                .Append("os:").Append(System.Runtime.InteropServices.RuntimeInformation.OSDescription).Append("\r\n")
                .Append("arch_bits:64\r\n")
                .Append("process_id:").Append(Environment.ProcessId).Append("\r\n")
                .Append("run_id:").Append(s_runId).Append("\r\n")
                .Append("tcp_port:").Append(server.Ready.IsCompletedSuccessfully ? ((System.Net.IPEndPoint)server.Ready.Result).Port : server.Options.Port).Append("\r\n")
                .Append("uptime_in_seconds:").Append((long)uptime.TotalSeconds).Append("\r\n")
                .Append("uptime_in_days:").Append((long)uptime.TotalDays).Append("\r\n")
                .Append("workers:").Append(_shards.Count).Append("\r\n")
                .Append("transport:").Append(UringKv.Transport.KvTransport.Name).Append("\r\n")
                .Append("\r\n");
        }

        if (Want("clients"))
        {
            text.Append("# Clients\r\n")
                .Append("connected_clients:").Append(server.ConnectedClients).Append("\r\n")
                .Append("blocked_clients:0\r\n")
                .Append("\r\n");
        }

        if (Want("persistence"))
        {
            long fsyncs = Sum(s => s.Fsyncs);
            long synced = Sum(s => s.SyncedRecords);
            text.Append("# Persistence\r\n")
                .Append("loading:0\r\n")
                .Append("aof_enabled:1\r\n")
                .Append("appendfsync:").Append(server.Options.DurabilityName).Append("\r\n")
                .Append("dir:").Append(server.StoreOptions.Directory).Append("\r\n")
                .Append("log_records:").Append(Sum(s => s.Records)).Append("\r\n")
                .Append("log_batches:").Append(Sum(s => s.Batches)).Append("\r\n")
                .Append("log_bytes_written:").Append(Sum(s => s.LogBytes)).Append("\r\n")
                .Append("log_disk_bytes:").Append(Sum(s => s.DiskBytes)).Append("\r\n")
                .Append("log_segments:").Append(Sum(s => s.Segments)).Append("\r\n")
                .Append("fsyncs:").Append(fsyncs).Append("\r\n")
                .Append("writes_per_fsync:").Append(fsyncs == 0 ? "0" : ((double)synced / fsyncs).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
                .Append("compactions:").Append(Sum(s => s.Compactions)).Append("\r\n")
                .Append("compaction_reclaimed_bytes:").Append(Sum(s => s.CompactionReclaimedBytes)).Append("\r\n")
                .Append("recovery_truncated_bytes:").Append(Sum(s => s.TruncatedBytes)).Append("\r\n")
                .Append("\r\n");
        }

        if (Want("replication"))
        {
            text.Append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
        }

        if (Want("stats"))
        {
            text.Append("# Stats\r\n")
                .Append("total_connections_received:").Append(Sum(s => s.Connections)).Append("\r\n")
                .Append("total_commands_processed:").Append(Sum(s => s.Commands)).Append("\r\n")
                .Append("forwarded_requests:").Append(Sum(s => s.ForwardedOut)).Append("\r\n")
                .Append("disk_reads:").Append(Sum(s => s.DiskReads)).Append("\r\n")
                .Append("value_memory_bytes:").Append(Sum(s => s.ValueBytes)).Append("\r\n")
                .Append("total_allocated_bytes:").Append(GC.GetTotalAllocatedBytes()).Append("\r\n")
                .Append("gc_collections:").Append(GC.CollectionCount(0)).Append("\r\n");
            foreach (ShardStatistics s in shards)
            {
                text.Append("shard").Append(s.Shard).Append(":keys=").Append(s.Keys)
                    .Append(",ops=").Append(s.Operations)
                    .Append(",commands=").Append(s.Commands)
                    .Append(",forwarded_out=").Append(s.ForwardedOut)
                    .Append(",forwarded_in=").Append(s.ForwardedIn)
                    .Append(",records=").Append(s.Records)
                    .Append(",fsyncs=").Append(s.Fsyncs)
                    .Append(",writes_per_fsync=").Append(s.Fsyncs == 0 ? "0" : ((double)s.SyncedRecords / s.Fsyncs).ToString("F2", System.Globalization.CultureInfo.InvariantCulture))
                    .Append(",log_bytes=").Append(s.LogBytes)
                    .Append(",disk_reads=").Append(s.DiskReads)
                    .Append(",compactions=").Append(s.Compactions)
                    .Append("\r\n");
            }

            text.Append("\r\n");
        }

        if (Want("keyspace"))
        {
            text.Append("# Keyspace\r\n");
            long keys = Sum(s => s.Keys);
            if (keys > 0)
            {
                text.Append("db0:keys=").Append(keys).Append(",expires=0,avg_ttl=0\r\n");
            }
        }

        return Value(Reply.FromBulk(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private ValueTask<Reply> Config(CommandArgs args)
    {
        if (!Is(args[1], "GET"u8))
        {
            return Is(args[1], "SET"u8) || Is(args[1], "RESETSTAT"u8) || Is(args[1], "REWRITE"u8)
                ? Error($"ERR CONFIG {Encoding.ASCII.GetString(args[1]).ToUpperInvariant()} is not supported by this server")
                : Error($"ERR unknown subcommand '{Printable(args[1], 128)}'. Try CONFIG HELP.");
        }

        if (args.Count < 3)
        {
            return Error("ERR wrong number of arguments for 'config|get' command");
        }

        (string Name, string Value)[] parameters =
        [
            ("save", ""),
            ("appendonly", "yes"),
            ("appendfsync", server.Options.DurabilityName),
            ("databases", "1"),
            ("dir", server.StoreOptions.Directory),
            ("port", server.Ready.IsCompletedSuccessfully ? ((System.Net.IPEndPoint)server.Ready.Result).Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : server.Options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("bind", server.Options.Bind),
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            ("maxclients", "10000"),
            ("timeout", "0"),
            ("tcp-keepalive", "0"),
            ("proto-max-bulk-len", RespLimits.MaxBulkLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("client-query-buffer-limit", RespLimits.MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("replica-read-only", "yes"),
            ("slave-read-only", "yes"),
            ("cluster-enabled", "no"),
            ("io-threads", "1"),
        ];

        var items = new List<Reply>();
        var added = new HashSet<string>();
        for (int i = 2; i < args.Count; i++)
        {
            string pattern = Encoding.ASCII.GetString(args[i]);
            foreach ((string name, string value) in parameters)
            {
                if (GlobMatch(pattern, name) && added.Add(name))
                {
                    items.Add(Reply.FromBulk(Encoding.UTF8.GetBytes(name)));
                    items.Add(Reply.FromBulk(Encoding.UTF8.GetBytes(value)));
                }
            }
        }

        return Value(Reply.FromArray([.. items]));
    }

    /// <summary>Redis's glob: '*', '?', '[...]' (with '^' and ranges) and '\' escapes, ignoring case.</summary>
    internal static bool GlobMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (!pattern.IsEmpty)
        {
            switch (pattern[0])
            {
                case '*':
                    while (pattern.Length > 1 && pattern[1] == '*')
                    {
                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 1)
                    {
                        return true;
                    }

                    for (int i = 0; i <= text.Length; i++)
                    {
                        if (GlobMatch(pattern[1..], text[i..]))
                        {
                            return true;
                        }
                    }

                    return false;
                case '?':
                    if (text.IsEmpty)
                    {
                        return false;
                    }

                    text = text[1..];
                    pattern = pattern[1..];
                    break;
                case '[':
                {
                    if (text.IsEmpty)
                    {
                        return false;
                    }

                    int end = pattern.IndexOf(']');
                    if (end < 0)
                    {
                        return false;
                    }

                    ReadOnlySpan<char> set = pattern[1..end];
                    bool negate = !set.IsEmpty && set[0] == '^';
                    if (negate)
                    {
                        set = set[1..];
                    }

                    char c = char.ToLowerInvariant(text[0]);
                    bool match = false;
                    for (int i = 0; i < set.Length; i++)
                    {
                        if (i + 2 < set.Length && set[i + 1] == '-')
                        {
                            match |= c >= char.ToLowerInvariant(set[i]) && c <= char.ToLowerInvariant(set[i + 2]);
                            i += 2;
                        }
                        else
                        {
                            match |= c == char.ToLowerInvariant(set[i]);
                        }
                    }

                    if (match == negate)
                    {
                        return false;
                    }

                    text = text[1..];
                    pattern = pattern[(end + 1)..];
                    break;
                }

                default:
                {
                    int skip = pattern[0] == '\\' && pattern.Length > 1 ? 1 : 0;
                    if (text.IsEmpty || char.ToLowerInvariant(pattern[skip]) != char.ToLowerInvariant(text[0]))
                    {
                        return false;
                    }

                    text = text[1..];
                    pattern = pattern[(1 + skip)..];
                    break;
                }
            }
        }

        return text.IsEmpty;
    }

    private static ValueTask<Reply> Command(CommandArgs args)
    {
        if (args.Count == 1)
        {
            return Value(Reply.FromArray(CommandTable.All.Select(InfoReply).ToArray()));
        }

        ReadOnlySpan<byte> sub = args[1];
        if (Is(sub, "COUNT"u8))
        {
            return Value(Reply.FromInteger(CommandTable.All.Count));
        }

        if (Is(sub, "LIST"u8))
        {
            return Value(Reply.FromArray(CommandTable.All.Select(c => Bulk(c.Name)).ToArray()));
        }

        if (Is(sub, "INFO"u8) || Is(sub, "DOCS"u8))
        {
            bool docs = Is(sub, "DOCS"u8);
            var selected = new List<CommandInfo?>();
            if (args.Count == 2)
            {
                selected.AddRange(CommandTable.All);
            }

            for (int i = 2; i < args.Count; i++)
            {
                selected.Add(CommandTable.Find(args[i]));
            }

            var items = new List<Reply>();
            foreach (CommandInfo? info in selected)
            {
                if (docs)
                {
                    if (info is not null)
                    {
                        items.Add(Bulk(info.Name));
                        items.Add(Reply.FromArray([Bulk("summary"), Bulk(info.Summary), Bulk("since"), Bulk("1.0.0"), Bulk("group"), Bulk(info.AclCategories.Contains("@string", StringComparison.Ordinal) ? "string" : info.AclCategories.Contains("@keyspace", StringComparison.Ordinal) ? "generic" : "server")]));
                    }
                }
                else
                {
                    items.Add(info is null ? Reply.Nil : InfoReply(info));
                }
            }

            return Value(Reply.FromArray([.. items]));
        }

        return Error($"ERR unknown subcommand '{Printable(sub, 128)}'. Try COMMAND HELP.");

        static Reply InfoReply(CommandInfo info) => Reply.FromArray(
        [
            Bulk(info.Name),
            Reply.FromInteger(info.Arity),
            Reply.FromArray(info.Flags.Select(Reply.FromSimple).ToArray()),
            Reply.FromInteger(info.FirstKey),
            Reply.FromInteger(info.LastKey),
            Reply.FromInteger(info.Step),
            Reply.FromArray(info.AclCategories.Split(' ').Select(Reply.FromSimple).ToArray()),
        ]);
    }

    private static Reply Bulk(string text) => Reply.FromBulk(Encoding.UTF8.GetBytes(text));

    private ValueTask<Reply> Client(CommandArgs args, ClientState client)
    {
        ReadOnlySpan<byte> sub = args[1];
        if (Is(sub, "ID"u8) && args.Count == 2)
        {
            return Value(Reply.FromInteger(client.Id));
        }

        if (Is(sub, "GETNAME"u8) && args.Count == 2)
        {
            return Value(client.Name is null ? Reply.Nil : Bulk(client.Name));
        }

        if (Is(sub, "SETNAME"u8) && args.Count == 3)
        {
            string? error = SetName(client, args[2]);
            return error is null ? Value(Reply.Ok) : Error(error);
        }

        if (Is(sub, "SETINFO"u8) && args.Count == 4)
        {
            string value = Encoding.UTF8.GetString(args[3]);
            if (Is(args[2], "LIB-NAME"u8))
            {
                client.LibraryName = value;
            }
            else if (Is(args[2], "LIB-VER"u8))
            {
                client.LibraryVersion = value;
            }
            else
            {
                return Error($"ERR Unrecognized option '{Printable(args[2], 128)}'");
            }

            return Value(Reply.Ok);
        }

        if ((Is(sub, "INFO"u8) && args.Count == 2) || (Is(sub, "LIST"u8) && args.Count == 2))
        {
            string line = $"id={client.Id} addr={client.Address} name={client.Name} age={(long)(DateTime.UtcNow - client.ConnectedAt).TotalSeconds} db=0 lib-name={client.LibraryName} lib-ver={client.LibraryVersion} worker={workerId}\n";
            return Value(Bulk(line));
        }

        if (IsKnownClientSubcommand(sub))
        {
            return Error($"ERR wrong number of arguments for 'client|{Encoding.ASCII.GetString(sub).ToLowerInvariant()}' command");
        }

        return Error($"ERR unknown subcommand '{Printable(sub, 128)}'. Try CLIENT HELP.");

        static bool IsKnownClientSubcommand(ReadOnlySpan<byte> sub) =>
            Is(sub, "ID"u8) || Is(sub, "GETNAME"u8) || Is(sub, "SETNAME"u8) || Is(sub, "SETINFO"u8) || Is(sub, "INFO"u8) || Is(sub, "LIST"u8);
    }

    private static string? SetName(ClientState client, ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
        {
            if (b is < (byte)'!' or > (byte)'~')
            {
                return "ERR Client names cannot contain spaces, newlines or special characters.";
            }
        }

        client.Name = name.IsEmpty ? null : Encoding.ASCII.GetString(name);
        return null;
    }

    // HELLO as Redis 6 answers it for protocol 2; protocol 3 (RESP3) is not spoken here.
    private ValueTask<Reply> Hello(CommandArgs args, ClientState client)
    {
        int next = 1;
        if (args.Count > 1)
        {
            if (!RespParser.TryParseInt64(args[1], out long version) || version < 0 || version > int.MaxValue)
            {
                return Error("ERR Protocol version is not an integer or out of range");
            }

            if (version != 2)
            {
                return Error("NOPROTO unsupported protocol version");
            }

            next = 2;
        }

        for (int i = next; i < args.Count; i++)
        {
            if (Is(args[i], "AUTH"u8) && i + 2 < args.Count)
            {
                i += 2; // no password is configured: the default user takes any
            }
            else if (Is(args[i], "SETNAME"u8) && i + 1 < args.Count)
            {
                string? error = SetName(client, args[++i]);
                if (error is not null)
                {
                    return Error(error);
                }
            }
            else
            {
                return Error($"ERR Syntax error in HELLO option '{Printable(args[i], 128)}'");
            }
        }

        return Value(Reply.FromArray(
        [
            Bulk("server"), Bulk("redis"),
            Bulk("version"), Bulk(CompatibleRedisVersion),
            Bulk("proto"), Reply.FromInteger(2),
            Bulk("id"), Reply.FromInteger(client.Id),
            Bulk("mode"), Bulk("standalone"),
            Bulk("role"), Bulk("master"),
            Bulk("modules"), Reply.EmptyArray,
        ]));
    }
}
