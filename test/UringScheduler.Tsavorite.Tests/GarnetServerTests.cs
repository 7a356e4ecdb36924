using StackExchange.Redis;

namespace UringScheduler.Tsavorite.Tests;

/// <summary>An embedded Garnet server with <see cref="UringNamedDeviceFactoryCreator"/> for its log, checkpoints and append-only file.</summary>
public sealed class GarnetServerTests
{
    private const int Keys = 1500;
    private const int ValueSize = 1024; // 1.5 MB of values against a 256 KiB log memory: most records are on the device

    private static string ValueOf(int i) => string.Create(ValueSize, i, static (span, i) =>
    {
        span.Fill((char)('a' + i % 26));
        i.TryFormat(span, out _);
    });

    private static async Task WriteKeysAsync(IDatabase db)
    {
        var batch = new List<Task>();
        for (int i = 0; i < Keys; i++)
        {
            batch.Add(db.StringSetAsync($"key:{i}", ValueOf(i)));
            if (batch.Count == 100)
            {
                await Task.WhenAll(batch);
                batch.Clear();
            }
        }

        await Task.WhenAll(batch);
    }

    private static async Task ExpectKeysAsync(IDatabase db)
    {
        for (int i = 0; i < Keys; i += 100)
        {
            var reads = Enumerable.Range(i, Math.Min(100, Keys - i)).Select(k => db.StringGetAsync($"key:{k}")).ToArray();
            RedisValue[] values = await Task.WhenAll(reads);
            for (int k = 0; k < values.Length; k++)
            {
                Assert.That(values[k].HasValue, Is.True, $"key:{i + k} is missing");
                Assert.That((string?)values[k], Is.EqualTo(ValueOf(i + k)), $"key:{i + k}");
            }
        }
    }

    [Test]
    public async Task ServesFromTheDevice_AndRecoversFromACheckpointAfterRestart()
    {
        using var dir = new TempDirectory();
        await using UringRuntime runtime = TestRuntime.Create();
        using (var host = new GarnetHost(dir.Path, runtime, recover: false, aof: false))
        {
            await WriteKeysAsync(host.Database);

            // Reads of the early keys go to the device: the log memory holds a fraction of the data.
            await ExpectKeysAsync(host.Database);
            (long reads, long writes) = host.Creator.CompletedOperations();
            TestContext.Out.WriteLine($"device reads {reads}, writes {writes} before SAVE");
            Assert.That(writes, Is.GreaterThan(0), "the log spilled to the device");
            Assert.That(reads, Is.GreaterThan(0), "some GETs were served from the device");

            Assert.That((string?)await host.Database.ExecuteAsync("SAVE"), Is.EqualTo("OK"));
        }

        Assert.That(Directory.EnumerateFiles(Path.Combine(dir.Path, "log"), "hlog*", SearchOption.AllDirectories), Is.Not.Empty);

        using (var host = new GarnetHost(dir.Path, runtime, recover: true, aof: false))
        {
            await ExpectKeysAsync(host.Database);
        }
    }

    [Test]
    public async Task ReplaysTheAppendOnlyFile_AfterARestartWithoutCheckpoint()
    {
        using var dir = new TempDirectory();
        await using UringRuntime runtime = TestRuntime.Create();
        using (var host = new GarnetHost(dir.Path, runtime, recover: false, aof: true))
        {
            await WriteKeysAsync(host.Database);
            await host.Database.StringSetAsync("last", "written");
        }

        Assert.That(Directory.EnumerateFiles(dir.Path, "aof*", SearchOption.AllDirectories), Is.Not.Empty, "the AOF was written through the device factory");
        Assert.That(Directory.EnumerateDirectories(Path.Combine(dir.Path, "checkpoint"), "*", SearchOption.AllDirectories).SelectMany(d => Directory.EnumerateFiles(d)).Where(f => f.Contains("cpr", StringComparison.OrdinalIgnoreCase)), Is.Empty, "no checkpoint was taken");

        using (var host = new GarnetHost(dir.Path, runtime, recover: true, aof: true))
        {
            await ExpectKeysAsync(host.Database);
            Assert.That((string?)await host.Database.StringGetAsync("last"), Is.EqualTo("written"));
        }
    }
}
