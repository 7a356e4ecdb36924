using Tsavorite.core;

namespace UringScheduler.Tsavorite.Tests;

/// <summary>One device completion as the test sees it: the callback's arguments and the thread it ran on.</summary>
internal readonly record struct Completion(uint ErrorCode, uint Bytes, Exception? Error, UringWorker? Worker);

/// <summary>Issues device reads and writes and turns their callbacks into tasks.</summary>
internal static class DeviceIo
{
    private static readonly DeviceIOCompletionCallback s_callback = static (errorCode, bytes, context, error) =>
        ((TaskCompletionSource<Completion>)context).SetResult(new Completion(errorCode, bytes, error, UringWorker.Current));

    public static Task<Completion> WriteAsync(IDevice device, IntPtr source, ulong address, uint length)
    {
        var done = new TaskCompletionSource<Completion>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.WriteAsync(source, address, length, s_callback, done);
        return done.Task;
    }

    public static Task<Completion> ReadAsync(IDevice device, ulong address, IntPtr destination, uint length)
    {
        var done = new TaskCompletionSource<Completion>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.ReadAsync(address, destination, length, s_callback, done);
        return done.Task;
    }

    public static async Task<Completion> Ok(this Task<Completion> pending)
    {
        Completion c = await pending.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(c.ErrorCode, Is.Zero, () => $"device error: {c.Error}");
        return c;
    }

    public static void Fill(Span<byte> span, ulong address)
    {
        // A pattern that names its own address, so a block written or read at the wrong place is seen.
        for (int i = 0; i < span.Length; i += 8)
        {
            BitConverter.TryWriteBytes(span[i..], (address + (ulong)i) * 0x9E3779B97F4A7C15UL);
        }
    }
}
