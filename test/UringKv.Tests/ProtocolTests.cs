using System.Text;

namespace UringKv.Tests;

/// <summary>The wire protocol with a raw socket: inline commands, pipelining, Redis's error wording, limits.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ProtocolTests
{
    private TempFolder _folder = null!;
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _folder = new TempFolder();
        _server = await TestServer.StartAsync(_folder.Path, workers: 2);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    private RespConnection Connect() => new(_server.EndPoint);

    [Test]
    public void Pipeline_OverBothShards_RunsEachKeysCommandsInOrder()
    {
        // Single-key commands (forwarded in batches) and multi-key ones (DEL, EXISTS) to the same keys, in one write:
        // every key's commands must run in the order they were sent, whichever worker owns the key.
        using RespConnection c = Connect();
        const int keys = 200;
        var pipeline = new List<byte>();
        for (int i = 0; i < keys; i++)
        {
            string key = $"order:{i}";
            pipeline.AddRange(RespConnection.Encode("SET", key, "first"));
            pipeline.AddRange(RespConnection.Encode("DEL", key));
            pipeline.AddRange(RespConnection.Encode("GET", key));
            pipeline.AddRange(RespConnection.Encode("SET", key, $"second-{i}"));
            pipeline.AddRange(RespConnection.Encode("EXISTS", key));
            pipeline.AddRange(RespConnection.Encode("INCR", key));
            pipeline.AddRange(RespConnection.Encode("GET", key));
        }

        c.Send(pipeline.ToArray());
        for (int i = 0; i < keys; i++)
        {
            Assert.That(c.ReadReply(), Is.EqualTo("+OK"), $"SET order:{i}");
            Assert.That(c.ReadReply(), Is.EqualTo(":1"), $"DEL order:{i}");
            Assert.That(c.ReadReply(), Is.EqualTo("$nil"), $"GET order:{i} after DEL");
            Assert.That(c.ReadReply(), Is.EqualTo("+OK"), $"second SET order:{i}");
            Assert.That(c.ReadReply(), Is.EqualTo(":1"), $"EXISTS order:{i}");
            Assert.That(c.ReadReply(), Is.EqualTo("-ERR value is not an integer or out of range"), $"INCR order:{i}");
            Assert.That(c.ReadReply(), Is.EqualTo($"$second-{i}"), $"GET order:{i}");
        }
    }

    [Test]
    public void InlineCommands_AreServed()
    {
        using RespConnection c = Connect();
        c.Send("PING\r\n");
        Assert.That(c.ReadReply(), Is.EqualTo("+PONG"));
        c.Send("SET \"inline key\" 'a value'\r\nGET \"inline key\"\n");
        Assert.That(c.ReadReply(), Is.EqualTo("+OK"));
        Assert.That(c.ReadReply(), Is.EqualTo("$a value"));
        c.Send("ECHO \"tab\\there\\x41\"\r\n");
        Assert.That(c.ReadReply(), Is.EqualTo("$tab\thereA"));
        c.Send("\r\nPING\r\n"); // an empty line is no command, as in Redis
        Assert.That(c.ReadReply(), Is.EqualTo("+PONG"));
    }

    [Test]
    public void Pipeline_AcrossShards_RepliesInRequestOrder()
    {
        using RespConnection c = Connect();
        var request = new MemoryStream();
        const int keys = 64;
        for (int round = 0; round < 5; round++)
        {
            for (int k = 0; k < keys; k++)
            {
                request.Write(RespConnection.Encode("SET", $"order:{k}", $"{round}:{k}"));
                request.Write(RespConnection.Encode("GET", $"order:{k}"));
                request.Write(RespConnection.Encode("INCR", $"order:n:{k}"));
            }
        }

        c.Send(request.ToArray());
        for (int round = 0; round < 5; round++)
        {
            for (int k = 0; k < keys; k++)
            {
                Assert.That(c.ReadReply(), Is.EqualTo("+OK"));
                Assert.That(c.ReadReply(), Is.EqualTo($"${round}:{k}"));
                Assert.That(c.ReadReply(), Is.EqualTo($":{round + 1}"));
            }
        }
    }

    [Test]
    public void ManyKeysInOneCommand_AcrossShards()
    {
        using RespConnection c = Connect();
        var mset = new List<string> { "MSET" };
        var mget = new List<string> { "MGET" };
        for (int i = 0; i < 3000; i++)
        {
            mset.Add($"many:{i}");
            mset.Add($"v{i}");
            mget.Add($"many:{i}");
        }

        Assert.That(c.Call([.. mset]), Is.EqualTo("+OK"));
        Assert.That(c.Call([.. mget]), Is.EqualTo("*[" + string.Join(", ", Enumerable.Range(0, 3000).Select(i => $"$v{i}")) + "]"));
        mget[0] = "DEL";
        Assert.That(c.Call([.. mget]), Is.EqualTo(":3000"));
        Assert.That(c.Call("DBSIZE"), Does.Match("^:[0-9]+$"));
        Assert.That(c.Call("EXISTS", "many:0", "many:2999"), Is.EqualTo(":0"));
    }

    [Test]
    public void Errors_AreWordedAsRedis()
    {
        using RespConnection c = Connect();
        Assert.That(c.Call("NOSUCH", "a", "b"), Is.EqualTo("-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "));
        Assert.That(c.Call("GET"), Is.EqualTo("-ERR wrong number of arguments for 'get' command"));
        Assert.That(c.Call("SET", "k"), Is.EqualTo("-ERR wrong number of arguments for 'set' command"));
        Assert.That(c.Call("MSET", "a", "1", "b"), Is.EqualTo("-ERR wrong number of arguments for 'mset' command"));
        Assert.That(c.Call("SET", "k", "v", "BOGUS"), Is.EqualTo("-ERR syntax error"));
        Assert.That(c.Call("SET", "k", "v", "NX", "XX"), Is.EqualTo("-ERR syntax error"));
        Assert.That(c.Call("SET", "k", "v", "EX", "10"), Does.StartWith("-ERR SET with EX, PX, EXAT or PXAT is not supported"));
        Assert.That(c.Call("SET", "k", "v", "KEEPTTL"), Is.EqualTo("+OK"));
        Assert.That(c.Call("INCR", "k"), Is.EqualTo("-ERR value is not an integer or out of range"));
        Assert.That(c.Call("INCRBY", "n", "x"), Is.EqualTo("-ERR value is not an integer or out of range"));
        Assert.That(c.Call("SELECT", "0"), Is.EqualTo("+OK"));
        Assert.That(c.Call("SELECT", "1"), Is.EqualTo("-ERR DB index is out of range"));
        Assert.That(c.Call("SELECT", "x"), Is.EqualTo("-ERR value is not an integer or out of range"));
        Assert.That(c.Call("HELLO", "3"), Is.EqualTo("-NOPROTO unsupported protocol version"));
        Assert.That(c.Call("HELLO", "x"), Is.EqualTo("-ERR Protocol version is not an integer or out of range"));
        Assert.That(c.Call("CLIENT", "NOPE"), Is.EqualTo("-ERR unknown subcommand 'NOPE'. Try CLIENT HELP."));
        Assert.That(c.Call("PING"), Is.EqualTo("+PONG")); // errors do not close the connection
    }

    [Test]
    public void ConnectionCommands_Answer()
    {
        using RespConnection c = Connect();
        Assert.That(c.Call("PING", "hi"), Is.EqualTo("$hi"));
        Assert.That(c.Call("ECHO", "hello"), Is.EqualTo("$hello"));
        string hello = c.Call("HELLO", "2", "SETNAME", "tester");
        Assert.That(hello, Does.StartWith("*[$server, $redis, $version, $6.2.0, $proto, :2, $id, :"));
        Assert.That(hello, Does.EndWith("$mode, $standalone, $role, $master, $modules, *[]]"));
        Assert.That(c.Call("CLIENT", "GETNAME"), Is.EqualTo("$tester"));
        Assert.That(c.Call("CLIENT", "SETNAME", "other"), Is.EqualTo("+OK"));
        Assert.That(c.Call("CLIENT", "GETNAME"), Is.EqualTo("$other"));
        Assert.That(c.Call("CLIENT", "SETNAME", "has space"), Is.EqualTo("-ERR Client names cannot contain spaces, newlines or special characters."));
        Assert.That(c.Call("CLIENT", "SETINFO", "LIB-NAME", "raw"), Is.EqualTo("+OK"));
        Assert.That(c.Call("CLIENT", "ID"), Does.Match("^:[0-9]+$"));
        Assert.That(c.Call("CONFIG", "GET", "save"), Is.EqualTo("*[$save, $]"));
        Assert.That(c.Call("CONFIG", "GET", "databases"), Is.EqualTo("*[$databases, $1]"));
        Assert.That(c.Call("COMMAND", "COUNT"), Does.Match("^:[0-9]+$"));
        Assert.That(c.Call("COMMAND", "INFO", "get"), Is.EqualTo("*[*[$get, :2, *[+readonly, +fast], :1, :1, :1, *[+@read, +@string, +@fast]]]"));
        Assert.That(c.Call("COMMAND", "DOCS", "get"), Does.StartWith("*[$get, *[$summary, "));
        string info = c.Call("INFO", "keyspace");
        Assert.That(info, Does.StartWith("$# Keyspace"));
        Assert.That(c.Call("QUIT"), Is.EqualTo("+OK"));
        Assert.That(c.IsClosedByServer(), Is.True);
    }

    [TestCase("*1\r\n$abc\r\n", "invalid bulk length")]
    [TestCase("*1\r\n$-5\r\n", "invalid bulk length")]
    [TestCase("*1\r\n$16777217\r\n", "invalid bulk length")]
    [TestCase("*1048577\r\n", "invalid multibulk length")]
    [TestCase("*x\r\n", "invalid multibulk length")]
    [TestCase("*1\r\nxyz\r\n", "expected '$', got 'x'")]
    [TestCase("SET \"unbalanced\r\n", "unbalanced quotes in request")]
    public void ProtocolError_GetsErrorReply_ThenClose(string input, string message)
    {
        using RespConnection c = Connect();
        c.Send(input);
        Assert.That(c.ReadReply(), Is.EqualTo("-ERR Protocol error: " + message));
        Assert.That(c.IsClosedByServer(), Is.True);
    }

    [Test]
    public void TooLongInlineLine_IsRefused_AndOthersAreServedMeanwhile()
    {
        using RespConnection bad = Connect();
        using RespConnection slow = Connect();
        using RespConnection good = Connect();
        slow.Send("*2\r\n$3\r\nGET\r\n$10\r\nhalf"); // stays incomplete: must not hold anyone else up
        bad.Send(new string('a', 70 * 1024));
        Assert.That(bad.ReadReply(), Is.EqualTo("-ERR Protocol error: too big inline request"));
        Assert.That(bad.IsClosedByServer(), Is.True);
        Assert.That(good.Call("PING"), Is.EqualTo("+PONG"));
        slow.Send("-of-a-key\r\n");
        Assert.That(slow.ReadReply(), Is.EqualTo("$nil"));
    }

    [Test]
    public void LargeValue_SentInSmallPieces_IsStoredWhole()
    {
        using RespConnection c = Connect();
        byte[] value = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(value);
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)('a' + (value[i] % 26));
        }

        byte[] request = RespConnection.Encode(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes("large:pieces"), value);
        for (int offset = 0; offset < request.Length; offset += 64 * 1024)
        {
            c.Send(request.AsSpan(offset, Math.Min(64 * 1024, request.Length - offset)).ToArray());
        }

        Assert.That(c.ReadReply(), Is.EqualTo("+OK"));
        Assert.That(c.Call("STRLEN", "large:pieces"), Is.EqualTo($":{value.Length}"));
        Assert.That(c.Call("GET", "large:pieces"), Is.EqualTo("$" + Encoding.ASCII.GetString(value)));
    }

    [Test]
    public async Task GarbageClients_DoNotDisturbTheServer()
    {
        var random = new Random(12345);
        string[] seeds = ["*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n", "*1\r\n$4\r\nINFO\r\n"];
        var tasks = new List<Task>();
        for (int i = 0; i < 200; i++)
        {
            byte[] frame = Encoding.ASCII.GetBytes(seeds[random.Next(seeds.Length)] + seeds[random.Next(seeds.Length)]);
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
            }

            tasks.Add(Task.Run(() =>
            {
                using RespConnection c = Connect();
                c.Send(frame);
            }));
        }

        await Task.WhenAll(tasks);
        using RespConnection good = Connect();
        Assert.That(good.Call("SET", "after-garbage", "ok"), Is.EqualTo("+OK"));
        Assert.That(good.Call("GET", "after-garbage"), Is.EqualTo("$ok"));
    }
}
