using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace UringScheduler.Tsavorite.Tests;

/// <summary>A directory for one test's files, on the build's disk (a real file system that accepts O_DIRECT), removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(TestContext.CurrentContext.WorkDirectory, "tsavorite-test-data", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Sector-aligned native memory, as Tsavorite hands its devices.</summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    public AlignedBuffer(int length, int alignment = 4096)
    {
        Length = length;
        Pointer = (IntPtr)NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
        Span.Clear();
    }

    public IntPtr Pointer { get; }

    public int Length { get; }

    public Span<byte> Span => new((void*)Pointer, Length);

    public void Dispose() => NativeMemory.AlignedFree((void*)Pointer);
}

internal static class TestRuntime
{
    public static UringRuntime Create(int workers = 2) =>
        new(new UringRuntimeOptions { WorkerCount = workers, Backend = UringBackend.IoUring, RingEntries = 128 });

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
