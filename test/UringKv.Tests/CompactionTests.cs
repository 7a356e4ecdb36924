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
        long bound;
        await using (TestServer server = await TestServer.StartAsync(folder.Path, workers: 2, segmentSize: SegmentSize, compactionInterval: TimeSpan.FromMilliseconds(100)))
        {
            // The load runs until several compactions have run under it and 3 MB were written (2 s to 20 s).
            using var stop = new CancellationTokenSource();
            Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => Overwrite(server, w, expected, stop.Token))).ToArray();
            var started = DateTime.UtcNow;
            while ((Compactions(server) < 4 || DateTime.UtcNow - started < TimeSpan.FromSeconds(2) || Written(server) < 3_000_000)
                && DateTime.UtcNow - started < TimeSpan.FromSeconds(20) && !writers.Any(w => w.IsFaulted))
            {
                await Task.Delay(50);
            }

            await stop.CancelAsync();
            await Task.WhenAll(writers);

            // One more pass with everything sealed, so the last segments are compacted too.
            long compactions = Compactions(server);
            for (int shard = 0; shard < 2; shard++)
            {
                // A background compaction may still be running, and a pass started meanwhile does nothing: wait for it.
                await server.OnShardAsync(shard, async s =>
                {
                    for (int i = 0; i < 200 && s.IsCompacting; i++)
                    {
                        await Task.Delay(50);
                    }

                    return await s.CompactAsync();
                });
            }

            written = Written(server);
            long onDisk = server.Server.Shards.Open.Sum(s => s.Statistics.DiskBytes);
            TestContext.Out.WriteLine($"{Compactions(server)} compactions, {written} log bytes written, {onDisk} on disk, {LiveBytes(expected)} live");
            Assert.That(compactions, Is.GreaterThan(0), "no compaction ran during the load");

            // What is left: the live records, closed segments that are less than half dead, the active segments.
            bound = 2 * LiveBytes(expected) + 4 * SegmentSize;
            Assert.That(onDisk, Is.LessThan(bound));
            Verify(server, expected);
        }

        await using (TestServer server = await TestServer.StartAsync(folder.Path, workers: 2, segmentSize: SegmentSize))
        {
            Verify(server, expected);
            long keys = expected.Count(kv => kv.Value is not null);
            using var c = new RespConnection(server.EndPoint);
            Assert.That(c.Call("DBSIZE"), Is.EqualTo($":{keys}"));
            long files = Directory.GetFiles(folder.Path, "*.log", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Assert.That(files, Is.LessThan(bound));
            Assert.That(written, Is.GreaterThan(bound), "the load was too small to show anything");
        }
    }

    private const long SegmentSize = 128 * 1024;

    private static long Written(TestServer server) => server.Server.Shards.Open.Sum(s => s.Statistics.LogBytes);

    private static long LiveBytes(ConcurrentDictionary<string, string?> expected) =>
        expected.Where(kv => kv.Value is not null).Sum(kv => (long)LogRecord.SizeOf(kv.Key.Length, kv.Value!.Length));

    private static long Compactions(TestServer server) => server.Server.Shards.Open.Sum(s => s.Statistics.Compactions);

    // Writer w owns keys "c:w:0".."c:w:99": it overwrites them in pipelined rounds, deletes some, and checks reads.
    private static void Overwrite(TestServer server, int writer, ConcurrentDictionary<string, string?> expected, CancellationToken stop)
    {
        var random = new Random(100 + writer);
        using var c = new RespConnection(server.EndPoint);
        for (int round = 0; round < 20_000 && !stop.IsCancellationRequested; round++)
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
