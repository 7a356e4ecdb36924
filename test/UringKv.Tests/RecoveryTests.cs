using UringKv.Storage;

namespace UringKv.Tests;

/// <summary>Recovery by scanning the segments: the newest record wins; a torn or corrupt tail is cut, never served.</summary>
[TestFixture]
public sealed class RecoveryTests
{
    private static string Key(int i) => $"key:{i:D4}";

    private static string Value(int i) => $"value-{i}-" + new string((char)('a' + (i % 26)), 40 + (i % 7));

    private static int RecordSize(int i) => LogRecord.SizeOf(Key(i).Length, Value(i).Length);

    [Test]
    public async Task Restart_ServesOverwritesDeletesAndFlushes()
    {
        using var folder = new TempFolder();
        await using (var harness = new StoreHarness(folder.Path))
        {
            await harness.OpenAsync();
            for (int i = 0; i < 50; i++)
            {
                await harness.SetAsync(Key(i), Value(i));
            }

            await harness.SetAsync(Key(3), "overwritten");
            Assert.That(await harness.DeleteAsync(Key(4)), Is.EqualTo(1));
            Assert.That(await harness.DeleteAsync("never-there"), Is.EqualTo(0));
        }

        await using (var harness = new StoreHarness(folder.Path))
        {
            await harness.OpenAsync();
            Assert.That(harness.Store!.KeyCount, Is.EqualTo(49));
            Assert.That(await harness.GetAsync(Key(3)), Is.EqualTo("overwritten"));
            Assert.That(await harness.GetAsync(Key(4)), Is.Null);
            Assert.That(await harness.GetAsync(Key(49)), Is.EqualTo(Value(49)));
            await harness.RunAsync(async () => (await harness.Store!.FlushAll()).Kind);
            await harness.SetAsync("after-flush", "yes");
        }

        await using (var harness = new StoreHarness(folder.Path))
        {
            await harness.OpenAsync();
            Assert.That(harness.Store!.KeyCount, Is.EqualTo(1));
            Assert.That(await harness.GetAsync(Key(0)), Is.Null);
            Assert.That(await harness.GetAsync("after-flush"), Is.EqualTo("yes"));
        }
    }

    [Test]
    public async Task TruncatedTail_IsCut_AndEverythingBeforeIsServed()
    {
        using var folder = new TempFolder();
        const int count = 30;
        string segment = await WriteAsync(folder.Path, count);
        long full = new FileInfo(segment).Length;
        long lastStart = full - RecordSize(count - 1);
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(lastStart + 10); // a torn write: half of the last record's header
        }

        await using var harness = new StoreHarness(folder.Path);
        await harness.OpenAsync();
        Assert.That(harness.Store!.Statistics.TruncatedBytes, Is.EqualTo(10));
        Assert.That(new FileInfo(segment).Length, Is.EqualTo(lastStart));
        for (int i = 0; i < count - 1; i++)
        {
            Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i)));
        }

        Assert.That(await harness.GetAsync(Key(count - 1)), Is.Null);
        Assert.That(harness.Store.KeyCount, Is.EqualTo(count - 1));
    }

    [Test]
    public async Task CorruptRecord_DropsItAndEverythingAfter_AndTruncates()
    {
        using var folder = new TempFolder();
        const int count = 30;
        const int bad = 20;
        string segment = await WriteAsync(folder.Path, count);
        long badStart = Enumerable.Range(0, bad).Sum(i => (long)RecordSize(i));
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            // One flipped bit in the value of record 20: its checksum no longer matches.
            stream.Position = badStart + LogRecord.HeaderSize + Key(bad).Length + 3;
            int b = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(b ^ 0x10));
        }

        await using var harness = new StoreHarness(folder.Path);
        await harness.OpenAsync();
        Assert.That(new FileInfo(segment).Length, Is.EqualTo(badStart));
        for (int i = 0; i < bad; i++)
        {
            Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i)));
        }

        for (int i = bad; i < count; i++)
        {
            Assert.That(await harness.GetAsync(Key(i)), Is.Null, Key(i));
        }

        // New writes after the cut are kept across the next restart.
        await harness.SetAsync("after-cut", "kept");
        await harness.CloseAsync();
        await harness.OpenAsync();
        Assert.That(await harness.GetAsync("after-cut"), Is.EqualTo("kept"));
        Assert.That(await harness.GetAsync(Key(bad - 1)), Is.EqualTo(Value(bad - 1)));
    }

    [Test]
    public async Task GarbageAfterTheLastRecord_IsCut()
    {
        using var folder = new TempFolder();
        string segment = await WriteAsync(folder.Path, 5);
        long length = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write(new byte[4096]); // zeros, as a preallocated or half-written page leaves them
        }

        await using var harness = new StoreHarness(folder.Path);
        await harness.OpenAsync();
        Assert.That(new FileInfo(segment).Length, Is.EqualTo(length));
        Assert.That(harness.Store!.KeyCount, Is.EqualTo(5));
    }

    [Test]
    public async Task TheStore_RefusesCallsFromOtherThreads()
    {
        using var folder = new TempFolder();
        await using var harness = new StoreHarness(folder.Path);
        await harness.OpenAsync();
        var error = Assert.Throws<InvalidOperationException>(() => harness.Store!.Get("k"u8));
        Assert.That(error!.Message, Does.Contain("shard 0 belongs to worker 0"));
        Assert.That(await harness.GetAsync("k"), Is.Null); // on its worker it answers
    }

    [Test]
    public async Task DifferentShardCount_IsRefusedWithAClearMessage()
    {
        using var folder = new TempFolder();
        await using (TestServer server = await TestServer.StartAsync(folder.Path, workers: 2))
        {
        }

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(folder.Path, workers: 1));
        Assert.That(error!.Message, Does.Contain("was written with 2 shard(s)").And.Contain("--workers 2"));
    }

    private static async Task<string> WriteAsync(string directory, int count)
    {
        await using var harness = new StoreHarness(directory);
        await harness.OpenAsync();
        for (int i = 0; i < count; i++)
        {
            await harness.SetAsync(Key(i), Value(i));
        }

        await harness.CloseAsync();
        return harness.SegmentFiles().Single();
    }
}
