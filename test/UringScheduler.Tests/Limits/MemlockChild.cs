using Microsoft.Extensions.Logging;

namespace UringScheduler.Tests.Limits;

/// <summary>
/// Run in a child process whose RLIMIT_MEMLOCK was lowered (and, as root, without CAP_IPC_LOCK): starts an io_uring
/// runtime with a registered buffer pool bigger than the limit, reads a file into a pool buffer, and prints what
/// happened as KEY=VALUE lines for <see cref="MemlockLimitTests"/>.
/// </summary>
internal static class MemlockChild
{
    public const string Scenario = "memlock-child";

    public static int Run(string[] args)
    {
        string path = args[0];
        Console.WriteLine($"limit={File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max locked memory", StringComparison.Ordinal))}");
        Console.WriteLine($"capeff={File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapEff:", StringComparison.Ordinal))[7..].Trim()}");
        var logs = new CollectingLoggerProvider();
        try
        {
            using ILoggerFactory factory = logs.CreateFactory();
            using var runtime = new UringRuntime(
                new UringRuntimeOptions { WorkerCount = 1, Backend = UringBackend.IoUring, RingEntries = 64, RegisteredBufferCount = 16, RegisteredBufferSize = 65536 },
                factory);
            Console.WriteLine($"backend={runtime.ActiveBackend}");
            Console.WriteLine($"error={runtime.Buffers!.RegistrationError?.GetType().Name}");
            Console.WriteLine($"message={runtime.Buffers.RegistrationError?.Message}");
            Console.WriteLine($"warnings={logs.Entries.Count(e => e.EventId.Name == "BufferRegistrationFailed" && e.Level == LogLevel.Warning)}");

            byte[] expected = File.ReadAllBytes(path);
            UringWorker worker = runtime.Workers[0];
            bool same = worker.RunAsync(async () =>
            {
                using var handle = File.OpenHandle(path);
                using UringBuffer buffer = runtime.Buffers.Rent();
                int read = await UringRandomAccess.ReadAsync(handle, buffer.Memory[..expected.Length], 0);
                return read == expected.Length && buffer.Memory.Span[..read].SequenceEqual(expected);
            }).GetAwaiter().GetResult();
            Console.WriteLine($"read={(same ? "ok" : "mismatch")}");
            Console.WriteLine($"fixed={worker.FixedBufferOperations}");
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine($"failed={e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }
}
