using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

/// <summary>
/// A request whose buffer cannot be pinned fails before anything is submitted, and keeps nothing it had taken: the
/// handle's descriptor closes when the handle is disposed.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UnpinnableBufferTests(UringBackend backend)
{
    private sealed class UnpinnableMemory : MemoryManager<byte>
    {
        private readonly byte[] _array = new byte[64];

        public override Span<byte> GetSpan() => _array;

        public override MemoryHandle Pin(int elementIndex = 0) => throw new ObjectDisposedException(nameof(UnpinnableMemory));

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    [Test]
    public async Task PinThatThrows_FailsTheCall_AndTheHandleStillCloses()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        string path = TestFiles.CreateRandom(4096, out _);
        try
        {
            SafeFileHandle handle = File.OpenHandle(path);
            int fd = (int)handle.DangerousGetHandle();
            using var unpinnable = new UnpinnableMemory();

            await runtime.Workers[0].RunAsync(() =>
            {
                Assert.Throws<ObjectDisposedException>(() => UringRandomAccess.ReadAsync(handle, unpinnable.Memory, 0));
                return Task.CompletedTask;
            });

            // No reference is left behind on the handle: disposing it closes the descriptor now.
            handle.Dispose();
            Assert.That(File.Exists($"/proc/self/fd/{fd}") && new FileInfo($"/proc/self/fd/{fd}").LinkTarget == path, Is.False,
                "the descriptor stayed open: the failed request kept its reference on the handle");
            Assert.That(handle.IsClosed, Is.True);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
