namespace UringKv.Commands;

/// <summary>The commands the server knows, with Redis's arity (negative: at least that many) and key positions.</summary>
internal static class CommandTable
{
    public static IReadOnlyList<CommandInfo> All { get; } =
    [
        new("get", 2, ["readonly", "fast"], 1, 1, 1, "@read @string @fast", "Returns the string value of a key."),
        new("set", -3, ["write", "denyoom"], 1, 1, 1, "@write @string @slow", "Sets the string value of a key (NX/XX; EX/PX refused: keys do not expire here)."),
        new("setnx", 3, ["write", "denyoom", "fast"], 1, 1, 1, "@write @string @fast", "Sets the string value of a key only when the key does not exist."),
        new("setex", 4, ["write", "denyoom"], 1, 1, 1, "@write @string @slow", "Refused: keys do not expire here."),
        new("psetex", 4, ["write", "denyoom"], 1, 1, 1, "@write @string @slow", "Refused: keys do not expire here."),
        new("unlink", -2, ["write", "fast"], 1, -1, 1, "@keyspace @write @fast", "Deletes one or more keys (as DEL here)."),
        new("del", -2, ["write"], 1, -1, 1, "@keyspace @write @slow", "Deletes one or more keys."),
        new("exists", -2, ["readonly", "fast"], 1, -1, 1, "@keyspace @read @fast", "Determines whether one or more keys exist."),
        new("mget", -2, ["readonly", "fast"], 1, -1, 1, "@read @string @fast", "Atomically returns the string values of one or more keys."),
        new("mset", -3, ["write", "denyoom"], 1, -1, 2, "@write @string @slow", "Atomically creates or modifies the string values of one or more keys."),
        new("incr", 2, ["write", "denyoom", "fast"], 1, 1, 1, "@write @string @fast", "Increments the integer value of a key by one."),
        new("incrby", 3, ["write", "denyoom", "fast"], 1, 1, 1, "@write @string @fast", "Increments the integer value of a key by a number."),
        new("decr", 2, ["write", "denyoom", "fast"], 1, 1, 1, "@write @string @fast", "Decrements the integer value of a key by one."),
        new("decrby", 3, ["write", "denyoom", "fast"], 1, 1, 1, "@write @string @fast", "Decrements a number from the integer value of a key."),
        new("strlen", 2, ["readonly", "fast"], 1, 1, 1, "@read @string @fast", "Returns the length of a string value."),
        new("dbsize", 1, ["readonly", "fast"], 0, 0, 0, "@keyspace @read @fast", "Returns the number of keys in the database."),
        new("flushall", -1, ["write"], 0, 0, 0, "@keyspace @write @slow @dangerous", "Removes all keys from all databases."),
        new("ping", -1, ["fast"], 0, 0, 0, "@fast @connection", "Returns the server's liveliness response."),
        new("echo", 2, ["fast"], 0, 0, 0, "@fast @connection", "Returns the given string."),
        new("quit", -1, ["fast"], 0, 0, 0, "@fast @connection", "Closes the connection."),
        new("select", 2, ["loading", "stale", "fast"], 0, 0, 0, "@fast @connection", "Changes the selected database (only 0 exists)."),
        new("info", -1, ["random", "loading", "stale"], 0, 0, 0, "@slow @dangerous", "Returns information and statistics about the server."),
        new("config", -2, ["admin", "noscript", "loading", "stale"], 0, 0, 0, "@admin @slow @dangerous", "CONFIG GET: the values of configuration parameters."),
        new("command", -1, ["random", "loading", "stale"], 0, 0, 0, "@slow @connection", "Returns detailed information about all commands."),
        new("client", -2, ["admin", "noscript", "random", "loading", "stale"], 0, 0, 0, "@admin @slow @dangerous @connection", "CLIENT ID, GETNAME, SETNAME, SETINFO, INFO."),
        new("hello", -1, ["noscript", "fast", "loading", "stale"], 0, 0, 0, "@fast @connection", "Handshakes with the server (protocol 2 only)."),
        new("role", 1, ["noscript", "loading", "stale", "fast"], 0, 0, 0, "@admin @fast @dangerous", "Returns the replication role."),
    ];

    private static readonly Dictionary<string, CommandInfo>.AlternateLookup<ReadOnlySpan<char>> s_byName =
        All.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Finds a command by name, ignoring case.</summary>
    public static CommandInfo? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length > 16)
        {
            return null;
        }

        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++)
        {
            chars[i] = (char)name[i];
        }

        return s_byName.TryGetValue(chars, out CommandInfo? info) ? info : null;
    }
}

/// <summary>One command's entry in <see cref="CommandTable"/> (what COMMAND and COMMAND DOCS report).</summary>
internal sealed record CommandInfo(string Name, int Arity, string[] Flags, int FirstKey, int LastKey, int Step, string AclCategories, string Summary);
