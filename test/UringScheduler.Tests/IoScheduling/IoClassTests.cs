using Microsoft.Win32.SafeHandles;
using UringScheduler.Files;
using UringScheduler.IoScheduling;

namespace UringScheduler.Tests.IoScheduling;

/// <summary>
/// Classes with shares: with one unit of capacity every request is served in the order the worker's fair queue picks,
/// so the order the reads complete in is the order of the scheduler's choices.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public sealed class IoClassTests(UringBackend backend)
{
    private const int BlockSize = 4096;

    [Test]
    public async Task Backlogged_ForegroundGetsTenTimesTheBackgroundsTurns()
    {
        List<string> order = await CompletionOrderAsync(configure: null);

        // 30 background reads were issued first, then 30 foreground ones. In arrival order (FIFO) every background read
        // would come first; with 1000 against 100 shares about one background read is served per ten foreground ones.
        int lastForeground = order.LastIndexOf("fg");
        int backgroundBefore = order.Take(lastForeground).Count(c => c == "bg");
        Assert.That(backgroundBefore, Is.InRange(2, 6), string.Join(",", order));
        Assert.That(order.Count(c => c == "bg"), Is.EqualTo(30), "a class alone on the device is served to the end");
    }

    [Test]
    public async Task ClassShares_OverrideTheSharesOfABuiltInClass()
    {
        List<string> order = await CompletionOrderAsync(options => options.IoScheduler.ClassShares["Background"] = 1000);

        // Equal shares: the two classes alternate, so by the last foreground read nearly all background reads are done.
        int lastForeground = order.LastIndexOf("fg");
        int backgroundBefore = order.Take(lastForeground).Count(c => c == "bg");
        Assert.That(backgroundBefore, Is.InRange(28, 30), string.Join(",", order));
    }

    [Test]
    public void IoClass_RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => _ = new UringIoClass("", 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new UringIoClass("x", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new UringIoClass("x", 10_001));
        Assert.That(UringIoClass.Foreground.Shares, Is.EqualTo(1000));
        Assert.That(UringIoClass.Background.Shares, Is.EqualTo(100));
    }

    [Test]
    public void Options_RejectBadCapacityAndShares()
    {
        var options = new UringRuntimeOptions();
        options.IoScheduler.DeviceCapacity = -1;
        Assert.That(() => options.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("DeviceCapacity"));

        options = new UringRuntimeOptions();
        options.IoScheduler.ClassShares["background"] = 0;
        Assert.That(() => options.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("background"));
    }

    [Test]
    public void RuntimeOptions_AreCopied_SoLaterChangesDoNotReachARunningRuntime()
    {
        var options = new UringRuntimeOptions { WorkerCount = 1, Backend = backend };
        options.IoScheduler.ClassShares["background"] = 500;
        using var runtime = new UringRuntime(options);
        options.IoScheduler.ClassShares["background"] = 5;
        options.IoScheduler.Enabled = false;
        Assert.That(runtime.Workers[0].IoScheduler, Is.Not.Null);
    }

    // 1 worker, capacity 1, no page-cache probes: 30 background reads then 30 foreground reads issued at once.
    private async Task<List<string>> CompletionOrderAsync(Action<UringRuntimeOptions>? configure)
    {
        string path = TestFiles.CreateRandom(64 * BlockSize, out _);
        try
        {
            var options = new UringRuntimeOptions { WorkerCount = 1, Backend = backend, RingEntries = 64 };
            options.IoScheduler.DeviceCapacity = 1;
            options.IoScheduler.TryPageCacheFirst = false;
            configure?.Invoke(options);
            await using var runtime = new UringRuntime(options);
            using SafeFileHandle handle = File.OpenHandle(path);
            FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64));

            return await runtime.Workers[0].RunAsync(async () =>
            {
                var order = new List<string>();
                var reads = new List<Task>();
                for (int i = 0; i < 30; i++)
                {
                    reads.Add(ReadAndRecord(handle, i, UringIoClass.Background, "bg", order));
                }

                for (int i = 0; i < 30; i++)
                {
                    reads.Add(ReadAndRecord(handle, 32 + i, UringIoClass.Foreground, "fg", order));
                }

                await Task.WhenAll(reads);
                return order;
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task ReadAndRecord(SafeFileHandle handle, int block, UringIoClass ioClass, string name, List<string> order)
    {
        Assert.That(await UringRandomAccess.ReadAsync(handle, new byte[BlockSize], (long)block * BlockSize, ioClass), Is.EqualTo(BlockSize));
        order.Add(name);
    }
}
