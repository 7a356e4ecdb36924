using System.Diagnostics.Metrics;
using UringKv.Storage;

namespace UringKv.Tests;

/// <summary>Group commit and the three durability modes, observed through the shards' counters and the meter.</summary>
[TestFixture]
[NonParallelizable]
public sealed class DurabilityTests
{
    [Test]
    public async Task Always_AcknowledgesAfterFsync_AndGroupsConcurrentWrites()
    {
        using var folder = new TempFolder();
        await using TestServer server = await TestServer.StartAsync(folder.Path, workers: 2, durability: Durability.Always);

        // One write at a time: when its OK arrives, an fdatasync has covered it.
        using (var c = new RespConnection(server.EndPoint))
        {
            for (int i = 0; i < 50; i++)
            {
                Assert.That(c.Call("SET", $"one:{i}", "v"), Is.EqualTo("+OK"));
                Assert.That(SyncedRecords(server), Is.GreaterThanOrEqualTo(i + 1));
            }
        }

        // Many connections with pipelines: their writes share batches.
        long fsyncsBefore = Fsyncs(server);
        long recordsBefore = Records(server);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            using var c = new RespConnection(server.EndPoint);
            for (int round = 0; round < 10; round++)
            {
                var request = new MemoryStream();
                for (int i = 0; i < 50; i++)
                {
                    request.Write(RespConnection.Encode("SET", $"group:{w}:{round}:{i}", "value"));
                }

                c.Send(request.ToArray());
                for (int i = 0; i < 50; i++)
                {
                    Assert.That(c.ReadReply(), Is.EqualTo("+OK"));
                }
            }
        })));

        long records = Records(server) - recordsBefore;
        long fsyncs = Fsyncs(server) - fsyncsBefore;
        TestContext.Out.WriteLine($"{records} writes, {fsyncs} fsyncs");
        Assert.That(records, Is.EqualTo(4000));
        Assert.That(fsyncs, Is.GreaterThan(0).And.LessThan(records / 4));
    }

    [Test]
    public async Task No_NeverFsyncsWhileRunning()
    {
        using var folder = new TempFolder();
        await using TestServer server = await TestServer.StartAsync(folder.Path, workers: 2, durability: Durability.No);
        using var c = new RespConnection(server.EndPoint);
        for (int i = 0; i < 100; i++)
        {
            Assert.That(c.Call("SET", $"k{i}", "v"), Is.EqualTo("+OK"));
        }

        await Task.Delay(1500);
        Assert.That(Fsyncs(server), Is.EqualTo(0));
        Assert.That(Records(server), Is.EqualTo(100));
    }

    [Test]
    public async Task EverySecond_FsyncsInTheBackground()
    {
        using var folder = new TempFolder();
        await using TestServer server = await TestServer.StartAsync(folder.Path, workers: 2, durability: Durability.EverySecond);
        using var c = new RespConnection(server.EndPoint);
        for (int i = 0; i < 100; i++)
        {
            Assert.That(c.Call("SET", $"k{i}", "v"), Is.EqualTo("+OK"));
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Fsyncs(server) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.That(Fsyncs(server), Is.GreaterThan(0));
        Assert.That(c.Call("INFO", "persistence"), Does.Contain("appendfsync:everysec"));
    }

    [Test]
    public async Task Meter_ReportsPerShardCounters()
    {
        using var folder = new TempFolder();
        await using TestServer server = await TestServer.StartAsync(folder.Path, workers: 2);
        using (var c = new RespConnection(server.EndPoint))
        {
            for (int i = 0; i < 20; i++)
            {
                Assert.That(c.Call("SET", $"m{i}", "v"), Is.EqualTo("+OK"));
            }
        }

        var seen = new Dictionary<(string Name, int Shard), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "UringKv")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            int shard = -1;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "uringkv.shard")
                {
                    shard = (int)tag.Value!;
                }
            }

            lock (seen)
            {
                seen[(instrument.Name, shard)] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        foreach (string name in new[] { "uringkv.operations", "uringkv.forwarded", "uringkv.fsyncs", "uringkv.fsync.records", "uringkv.log.bytes", "uringkv.compactions", "uringkv.keys" })
        {
            Assert.That(seen.Keys.Where(k => k.Name == name).Select(k => k.Shard), Is.SupersetOf(new[] { 0, 1 }), name);
        }

        // Only this test's server is alive: the meter's totals are its shards' counters.
        Assert.That(seen[("uringkv.keys", 0)] + seen[("uringkv.keys", 1)], Is.EqualTo(20));
        Assert.That(seen[("uringkv.fsync.records", 0)] + seen[("uringkv.fsync.records", 1)], Is.EqualTo(20));
    }

    private static long Sum(TestServer server, Func<ShardStatistics, long> read) => server.Server.Shards.Open.Sum(s => read(s.Statistics));

    private static long Fsyncs(TestServer server) => Sum(server, s => Volatile.Read(ref s.Fsyncs));

    private static long Records(TestServer server) => Sum(server, s => Volatile.Read(ref s.Records));

    private static long SyncedRecords(TestServer server) => Sum(server, s => Volatile.Read(ref s.SyncedRecords));
}
