using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Tsavorite.core;
using UringScheduler;
using UringScheduler.Tsavorite;

/// <summary>
/// The device alone, without Garnet: T threads each read a random 4 KiB block and wait for its callback (as a
/// Garnet session waits for a pending GET), against UringDevice and Tsavorite's RandomAccess and FileStream devices.
/// </summary>
internal static unsafe class DeviceBench
{
    private const int Block = 4096;

    public static int Run(string[] devices, string directory, long fileSize, int threads, TimeSpan duration, int workers, bool pin)
    {
        Directory.CreateDirectory(directory);
        Console.WriteLine($"device bench: {threads} threads, 4 KiB random reads over {fileSize >> 20} MiB, {duration.TotalSeconds:F0} s per device, workers {workers}{(pin ? " pinned" : " not pinned")}, loadavg {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| device | reads/s | p50 us | p99 us | p99.9 us | TP items/read | CPU us/read | loadavg |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (string name in devices)
        {
            string path = Path.Combine(directory, name, "data");
            UringRuntime? runtime = name == "uring" ? new UringRuntime(new UringRuntimeOptions { WorkerCount = workers, PinWorkersToCpus = pin }) : null;
            IDevice device = name switch
            {
                "uring" => new UringDevice(path, runtime!),
                "randomaccess" => Devices.CreateLogDevice(path, DeviceType.RandomAccess),
                "filestream" => Devices.CreateLogDevice(path, DeviceType.FileStream),
                _ => throw new ArgumentException($"unknown device '{name}'"),
            };
            try
            {
                Fill(device, fileSize);
                PageCacheEvict(path + ".0");
                Measure(name, device, fileSize, threads, duration);
            }
            finally
            {
                device.Dispose();
                runtime?.Dispose();
                Directory.Delete(Path.Combine(directory, name), recursive: true);
            }
        }

        return 0;
    }

    private static void Fill(IDevice device, long fileSize)
    {
        const int Chunk = 1 << 20;
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(Chunk, 4096);
        new Span<byte>(buffer, Chunk).Fill(0x5A);
        using var done = new SemaphoreSlim(0);
        int errors = 0;
        for (long offset = 0; offset < fileSize; offset += Chunk)
        {
            device.WriteAsync((IntPtr)buffer, (ulong)offset, Chunk, (e, _, _, _) =>
            {
                if (e != 0)
                {
                    Interlocked.Increment(ref errors);
                }

                done.Release();
            }, null);
            done.Wait();
        }

        NativeMemory.AlignedFree(buffer);
        if (errors != 0)
        {
            throw new IOException($"{errors} writes failed while filling the device");
        }
    }

    private static void Measure(string name, IDevice device, long fileSize, int threads, TimeSpan duration)
    {
        long blocks = fileSize / Block;
        var latencies = new List<long>[threads];
        long stopAt = 0;
        using var start = new ManualResetEventSlim();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            latencies[id] = new List<long>(1 << 16);
            workers[t] = new Thread(() =>
            {
                byte* buffer = (byte*)NativeMemory.AlignedAlloc(Block, 4096);
                using var done = new SemaphoreSlim(0);
                var random = new Random(id);
                DeviceIOCompletionCallback callback = (e, n, ctx, _) =>
                {
                    if (e != 0 || n != Block)
                    {
                        Console.Error.WriteLine($"read failed: error {e}, {n} bytes");
                    }

                    ((SemaphoreSlim)ctx).Release();
                };
                start.Wait();
                while (Stopwatch.GetTimestamp() < Volatile.Read(ref stopAt))
                {
                    long t0 = Stopwatch.GetTimestamp();
                    device.ReadAsync((ulong)(random.NextInt64(blocks) * Block), (IntPtr)buffer, Block, callback, done);
                    done.Wait();
                    latencies[id].Add(Stopwatch.GetTimestamp() - t0);
                }

                NativeMemory.AlignedFree(buffer);
            }) { IsBackground = true };
            workers[t].Start();
        }

        string load = File.ReadAllText("/proc/loadavg").Trim();
        long items0 = ThreadPool.CompletedWorkItemCount;
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long t0 = Stopwatch.GetTimestamp();
        Volatile.Write(ref stopAt, t0 + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        start.Set();
        foreach (Thread w in workers)
        {
            w.Join();
        }

        double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        long items = ThreadPool.CompletedWorkItemCount - items0;
        long[] all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Us(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine(FormattableString.Invariant(
            $"| {name} | {all.Length / seconds:N0} | {Us(0.5):F0} | {Us(0.99):F0} | {Us(0.999):F0} | {items / (double)Math.Max(1, all.Length):F3} | {cpu.TotalMicroseconds / Math.Max(1, all.Length):F1} | {load} |"));
    }

    private static void PageCacheEvict(string path) => PageCache.Evict(Path.GetDirectoryName(path)!);
}
