namespace UringKv.Tests;

/// <summary>
/// The value cache: written values stay in memory up to the shard's budget, and GET answers them without a log read;
/// past the budget, values are read back from the log. Its byte count follows overwrites, deletes and restarts.
/// </summary>
[TestFixture]
public sealed class ValueCacheTests
{
    private const int ValueSize = 100;

    private static string Key(int i) => $"key:{i:D4}";

    private static string Value(int i, char fill = 'v') => $"{i:D4}-" + new string(fill, ValueSize - 5);

    [Test]
    public async Task WithinTheBudget_ValuesAreServedFromMemory_AlsoAfterARestart()
    {
        using var folder = new TempFolder();
        const int count = 50;
        await using (var harness = new StoreHarness(folder.Path, valueCacheBytes: 1024 * 1024))
        {
            await harness.OpenAsync();
            for (int i = 0; i < count; i++)
            {
                await harness.SetAsync(Key(i), Value(i));
            }

            for (int i = 0; i < count; i++)
            {
                Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i)));
            }

            Assert.That(harness.Store!.Statistics.DiskReads, Is.Zero);
            Assert.That(harness.Store.Statistics.ValueBytes, Is.EqualTo(count * ValueSize));
        }

        await using (var harness = new StoreHarness(folder.Path, valueCacheBytes: 1024 * 1024))
        {
            await harness.OpenAsync();
            Assert.That(harness.Store!.Statistics.ValueBytes, Is.EqualTo(count * ValueSize), "recovery fills the cache");
            Assert.That(await harness.GetAsync(Key(7)), Is.EqualTo(Value(7)));
            Assert.That(harness.Store.Statistics.DiskReads, Is.Zero);
        }
    }

    [Test]
    public async Task PastTheBudget_ValuesAreReadFromTheLog()
    {
        using var folder = new TempFolder();
        const int count = 100;
        const long budget = 20 * ValueSize;
        await using var harness = new StoreHarness(folder.Path, valueCacheBytes: budget);
        await harness.OpenAsync();
        for (int i = 0; i < count; i++)
        {
            await harness.SetAsync(Key(i), Value(i));
        }

        Assert.That(harness.Store!.Statistics.ValueBytes, Is.LessThanOrEqualTo(budget).And.GreaterThan(0));
        for (int i = 0; i < count; i++)
        {
            Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i)));
        }

        Assert.That(harness.Store.Statistics.DiskReads, Is.EqualTo(count - (harness.Store.Statistics.ValueBytes / ValueSize)));
    }

    [Test]
    public async Task WithoutACache_OnlySmallValuesStayInMemory()
    {
        using var folder = new TempFolder();
        await using var harness = new StoreHarness(folder.Path, valueCacheBytes: 0);
        await harness.OpenAsync();
        await harness.SetAsync("small", "12345");
        await harness.SetAsync("large", Value(1));
        Assert.That(harness.Store!.Statistics.ValueBytes, Is.EqualTo(5));
        Assert.That(await harness.GetAsync("large"), Is.EqualTo(Value(1)));
        Assert.That(await harness.GetAsync("small"), Is.EqualTo("12345"));
        Assert.That(harness.Store.Statistics.DiskReads, Is.EqualTo(1));
    }

    [Test]
    public async Task OverwritesDeletesAndFlushes_GiveTheirBytesBack()
    {
        using var folder = new TempFolder();
        await using var harness = new StoreHarness(folder.Path, valueCacheBytes: 1024 * 1024);
        await harness.OpenAsync();
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < 10; i++)
            {
                await harness.SetAsync(Key(i), Value(i, (char)('a' + round)));
            }
        }

        Assert.That(harness.Store!.Statistics.ValueBytes, Is.EqualTo(10 * ValueSize));
        Assert.That(await harness.GetAsync(Key(3)), Is.EqualTo(Value(3, 'e')));
        Assert.That(await harness.DeleteAsync(Key(3)), Is.EqualTo(1));
        Assert.That(harness.Store.Statistics.ValueBytes, Is.EqualTo(9 * ValueSize));
        await harness.RunAsync(async () => (await harness.Store!.FlushAll()).Kind);
        Assert.That(harness.Store.Statistics.ValueBytes, Is.Zero);
        await harness.SetAsync(Key(1), Value(1));
        Assert.That(harness.Store.Statistics.ValueBytes, Is.EqualTo(ValueSize));
    }
}
