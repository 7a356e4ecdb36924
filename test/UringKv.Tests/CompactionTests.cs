using System.Collections.Concurrent;
using UringKv.Storage;

namespace UringKv.Tests;

/// <summary>Compaction running in the background while clients overwrite and delete keys.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CompactionTests
{
    [Test]
    public async Task CompactionUnderLoad_KeepsEveryLiveValue_AcrossRestart()
    {
        using var folder = new TempFolder();
        var expected = new ConcurrentDictionary<string, string?>();
        long written;
        await using (TestServer server = await TestServer.StartAsync(folder.Path, workers: 2, segmentSize: 128 * 1024, compactionInterval: TimeSpan.FromMilliseconds(100)))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(4);
            Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => Overwrite(server, w, expected, deadline))).ToArray();
            await Task.WhenAll(writers);

            // One more pass with everything sealed, so the last segments are compacted too.
            long compactions = Compactions(server);
            for (int shard = 0; shard < 2; shard++)
            {
                await server.OnShardAsync(shard, s => s.CompactAsync());
            }

            written = server.Server.Shards.Open.Sum(s => s.Statistics.LogBytes);
            long onDisk = server.Server.Shards.Open.Sum(s => s.Statistics.DiskBytes);
            TestContext.Out.WriteLine($"{Compactions(server)} compactions, {written} log bytes written, {onDisk} on disk");
            Assert.That(compactions, Is.GreaterThan(0), "no compaction ran during the load");
            Assert.That(onDisk, Is.LessThan(written / 2));
            Verify(server, expected);
        }

        await using (TestServer server = await TestServer.StartAsync(folder.Path, workers: 2, segmentSize: 128 * 1024))
        {
            Verify(server, expected);
            long keys = expected.Count(kv => kv.Value is not null);
            using var c = new RespConnection(server.EndPoint);
            Assert.That(c.Call("DBSIZE"), Is.EqualTo($":{keys}"));
            long files = Directory.GetFiles(folder.Path, "*.log", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Assert.That(files, Is.LessThan(written / 2));
        }
    }

    private static long Compactions(TestServer server) => server.Server.Shards.Open.Sum(s => s.Statistics.Compactions);

    // Writer w owns keys "c:w:0".."c:w:99": it overwrites them in pipelined rounds, deletes some, and checks reads.
    private static void Overwrite(TestServer server, int writer, ConcurrentDictionary<string, string?> expected, DateTime deadline)
    {
        var random = new Random(100 + writer);
        using var c = new RespConnection(server.EndPoint);
        for (int round = 0; round < 2000 && DateTime.UtcNow < deadline; round++)
        {
            var request = new MemoryStream();
            var replies = new List<string>();
            for (int i = 0; i < 40; i++)
            {
                string key = $"c:{writer}:{random.Next(100)}";
                if (random.Next(10) == 0)
                {
                    request.Write(RespConnection.Encode("DEL", key));
                    replies.Add(":");
                    expected[key] = null;
                }
                else
                {
                    string value = $"{key}:{round}:" + new string((char)('a' + random.Next(26)), random.Next(100, 1500));
                    request.Write(RespConnection.Encode("SET", key, value));
                    replies.Add("+OK");
                    expected[key] = value;
                }
            }

            string probe = $"c:{writer}:{random.Next(100)}";
            request.Write(RespConnection.Encode("GET", probe));
            c.Send(request.ToArray());
            foreach (string reply in replies)
            {
                Assert.That(c.ReadReply(), Does.StartWith(reply));
            }

            string? want = expected.GetValueOrDefault(probe);
            Assert.That(c.ReadReply(), Is.EqualTo(want is null ? "$nil" : "$" + want), probe);
        }
    }

    private static void Verify(TestServer server, ConcurrentDictionary<string, string?> expected)
    {
        using var c = new RespConnection(server.EndPoint);
        foreach ((string key, string? value) in expected)
        {
            Assert.That(c.Call("GET", key), Is.EqualTo(value is null ? "$nil" : "$" + value), key);
        }
    }
}
