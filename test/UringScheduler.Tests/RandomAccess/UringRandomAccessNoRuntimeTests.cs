using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

/// <summary>Calls from a thread that is no worker while no runtime is alive.</summary>
public class UringRandomAccessNoRuntimeTests
{
    [Test]
    public async Task ForeignCall_WithoutRuntime_ThrowsInvalidOperationExceptionSayingHowToStartOne()
    {
        // Tests run one at a time and every test disposes its runtimes: none may be alive here.
        Assert.That(UringRuntime.Ambient, Is.Null, "a runtime from an earlier test is still alive");
        using var scratch = new Scratch();
        SafeFileHandle handle = scratch.OpenFile([1, 2, 3], FileAccess.ReadWrite);

        InvalidOperationException? e = Assert.Throws<InvalidOperationException>(() => UringRandomAccess.ReadAsync(handle, new byte[1], 0));
        Assert.That(e!.Message, Does.Contain("new UringRuntime").And.Contain("AddUringScheduler"));
        Assert.Throws<InvalidOperationException>(() => UringRandomAccess.ReadAsync(handle, new Memory<byte>[] { new byte[1] }, 0));
        Assert.Throws<InvalidOperationException>(() => UringRandomAccess.WriteAsync(handle, new byte[1], 0));
        Assert.Throws<InvalidOperationException>(() => UringRandomAccess.WriteAsync(handle, new ReadOnlyMemory<byte>[] { new byte[1] }, 0));
        Assert.Throws<InvalidOperationException>(() => UringRandomAccess.FlushToDiskAsync(handle));

        // Argument errors still come first, as they would with a runtime.
        Assert.That(Assert.Throws<ArgumentNullException>(() => UringRandomAccess.ReadAsync(null!, new byte[1], 0))!.ParamName, Is.EqualTo("handle"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => UringRandomAccess.ReadAsync(handle, new byte[1], -1))!.ParamName, Is.EqualTo("fileOffset"));

        // A runtime created and disposed does not count as alive.
        UringRuntime runtime = TestRuntime.Create(UringBackend.Fallback, workers: 1);
        Assert.That(await UringRandomAccess.ReadAsync(handle, new byte[3], 0), Is.EqualTo(3));
        await runtime.DisposeAsync();
        Assert.Throws<InvalidOperationException>(() => UringRandomAccess.ReadAsync(handle, new byte[1], 0));
    }
}
