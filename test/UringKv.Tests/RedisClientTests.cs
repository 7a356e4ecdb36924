using StackExchange.Redis;

namespace UringKv.Tests;

/// <summary>StackExchange.Redis, with its default options, against an in-process server with two shards.</summary>
[TestFixture]
[NonParallelizable]
public sealed class RedisClientTests
{
    private TempFolder _folder = null!;
    private TestServer _server = null!;
    private ConnectionMultiplexer _redis = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _folder = new TempFolder();
        _server = await TestServer.StartAsync(_folder.Path, workers: 2);
        _redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_server.Port},allowAdmin=true");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    [Test]
    public async Task GetSet_RoundTrips()
    {
        IDatabase db = _redis.GetDatabase();
        Assert.That(await db.StringSetAsync("greeting", "hello"), Is.True);
        Assert.That((string?)await db.StringGetAsync("greeting"), Is.EqualTo("hello"));
        Assert.That((string?)await db.StringGetAsync("missing-key"), Is.Null);
        Assert.That(await db.StringLengthAsync("greeting"), Is.EqualTo(5));

        byte[] large = new byte[200_000];
        new Random(1).NextBytes(large);
        Assert.That(await db.StringSetAsync("large", large), Is.True);
        Assert.That((byte[]?)await db.StringGetAsync("large"), Is.EqualTo(large));

        Assert.That(await db.StringSetAsync("greeting", "again", when: When.NotExists), Is.False);
        Assert.That(await db.StringSetAsync("fresh-nx", "1", when: When.NotExists), Is.True);
        Assert.That(await db.StringSetAsync("absent-xx", "1", when: When.Exists), Is.False);
        Assert.That(await db.KeyExistsAsync("absent-xx"), Is.False);
    }

    [Test]
    public void SetWithExpiry_IsRefusedClearly()
    {
        IDatabase db = _redis.GetDatabase();
        var error = Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync("ttl", "v", TimeSpan.FromSeconds(5)));
        Assert.That(error!.Message, Does.Contain("not supported"));
    }

    [Test]
    public async Task Pipelining_KeepsRequestOrder()
    {
        IDatabase db = _redis.GetDatabase();
        var tasks = new List<Task>();
        const int count = 2000;
        for (int i = 0; i < count; i++)
        {
            tasks.Add(db.StringSetAsync($"pipe:{i % 50}", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var reads = new List<Task<RedisValue>>();
        for (int k = 0; k < 50; k++)
        {
            reads.Add(db.StringGetAsync($"pipe:{k}"));
        }

        await Task.WhenAll(tasks);
        RedisValue[] values = await Task.WhenAll(reads);
        for (int k = 0; k < 50; k++)
        {
            // The last SET of each key in the pipeline wins: i = count - 50 + k.
            Assert.That((string?)values[k], Is.EqualTo((count - 50 + k).ToString(System.Globalization.CultureInfo.InvariantCulture)), $"pipe:{k}");
        }
    }

    [Test]
    public async Task ManyConnections_WriteAndReadConcurrently()
    {
        var clients = new List<ConnectionMultiplexer>();
        try
        {
            for (int c = 0; c < 8; c++)
            {
                clients.Add(await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_server.Port}"));
            }

            await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
            {
                IDatabase db = client.GetDatabase();
                for (int i = 0; i < 200; i++)
                {
                    string key = $"conc:{c}:{i}";
                    await db.StringSetAsync(key, $"{c}-{i}");
                    Assert.That((string?)await db.StringGetAsync(key), Is.EqualTo($"{c}-{i}"));
                    await db.StringIncrementAsync("conc:counter");
                }
            })));

            Assert.That((long)await clients[0].GetDatabase().StringGetAsync("conc:counter"), Is.EqualTo(8 * 200));
        }
        finally
        {
            foreach (ConnectionMultiplexer client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task MultiKeyCommands_SpanShards()
    {
        IDatabase db = _redis.GetDatabase();
        var pairs = Enumerable.Range(0, 40).Select(i => new KeyValuePair<RedisKey, RedisValue>($"multi:{i}", $"value-{i}")).ToArray();
        Assert.That(await db.StringSetAsync(pairs), Is.True);

        RedisKey[] keys = [.. pairs.Select(p => p.Key), "multi:absent"];
        RedisValue[] values = await db.StringGetAsync(keys);
        Assert.That(values, Has.Length.EqualTo(41));
        for (int i = 0; i < 40; i++)
        {
            Assert.That((string?)values[i], Is.EqualTo($"value-{i}"));
        }

        Assert.That(values[40].IsNull, Is.True);

        // The keys really are on both shards.
        int[] perShard = new int[2];
        foreach (var pair in pairs)
        {
            perShard[_server.Server.Shards.ShardOf(System.Text.Encoding.UTF8.GetBytes((string)pair.Key!))]++;
        }

        Assert.That(perShard, Has.All.GreaterThan(0));

        Assert.That(await db.KeyExistsAsync(keys), Is.EqualTo(40));
        Assert.That(await db.KeyDeleteAsync(keys.Take(20).Append("multi:absent").ToArray()), Is.EqualTo(20));
        Assert.That(await db.KeyExistsAsync(keys), Is.EqualTo(20));
        values = await db.StringGetAsync(keys);
        Assert.That(values.Take(20).All(v => v.IsNull), Is.True);
        Assert.That(values.Skip(20).Take(20).Select(v => (string?)v), Is.EqualTo(Enumerable.Range(20, 20).Select(i => $"value-{i}")));
    }

    [Test]
    public async Task Increment_FollowsRedis()
    {
        IDatabase db = _redis.GetDatabase();
        Assert.That(await db.StringIncrementAsync("incr:a"), Is.EqualTo(1));
        Assert.That(await db.StringIncrementAsync("incr:a", 41), Is.EqualTo(42));
        Assert.That(await db.StringDecrementAsync("incr:a", 2), Is.EqualTo(40));
        Assert.That(await db.StringDecrementAsync("incr:a"), Is.EqualTo(39));
        Assert.That((string?)await db.StringGetAsync("incr:a"), Is.EqualTo("39"));

        await db.StringSetAsync("incr:text", "abc");
        var error = Assert.ThrowsAsync<RedisServerException>(() => db.StringIncrementAsync("incr:text"));
        Assert.That(error!.Message, Is.EqualTo("ERR value is not an integer or out of range"));

        await db.StringSetAsync("incr:max", long.MaxValue);
        error = Assert.ThrowsAsync<RedisServerException>(() => db.StringIncrementAsync("incr:max"));
        Assert.That(error!.Message, Is.EqualTo("ERR increment or decrement would overflow"));
    }

    [Test]
    public async Task ServerCommands_Answer()
    {
        IServer server = _redis.GetServer(_server.EndPoint);
        Assert.That(await server.PingAsync(), Is.GreaterThanOrEqualTo(TimeSpan.Zero));
        IGrouping<string, KeyValuePair<string, string>>[] info = await server.InfoAsync();
        Assert.That(info.Select(g => g.Key), Is.SupersetOf(new[] { "Server", "Clients", "Persistence", "Stats", "Keyspace" }));
        Assert.That(info.Single(g => g.Key == "Persistence").Single(kv => kv.Key == "appendfsync").Value, Is.EqualTo("always"));
        KeyValuePair<string, string>[] config = await server.ConfigGetAsync("appendonly");
        Assert.That(config, Is.EqualTo(new[] { new KeyValuePair<string, string>("appendonly", "yes") }));
        IDatabase db = _redis.GetDatabase();
        await db.StringSetAsync("dbsize:x", "1");
        Assert.That(await server.DatabaseSizeAsync(), Is.GreaterThanOrEqualTo(1));
    }
}
