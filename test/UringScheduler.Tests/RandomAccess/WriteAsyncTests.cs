using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringRandomAccess_WriteAsync(UringBackend backend) : UringRandomAccess_OffsetBase(backend)
{
    protected override FileAccess RequiredAccess => FileAccess.Write;

    protected override Task<Outcome> MethodUnderTest(IRandomAccessApi api, SafeFileHandle handle, byte[] bytes, long fileOffset, CancellationToken cancellationToken = default) =>
        Outcome.Of(() => api.WriteAsync(handle, bytes, fileOffset, cancellationToken), cancellationToken);

    /// <summary>Runs a write against a fresh file holding <paramref name="initial"/> and records the file afterwards.</summary>
    private async Task<Outcome> WriteAndCapture(IRandomAccessApi api, byte[] initial, FileAccess access, Func<SafeFileHandle, ValueTask> write)
    {
        string path = Scratch.CreateFile(initial);
        SafeFileHandle handle = Scratch.Open(path, FileMode.Open, access);
        Outcome outcome = await Outcome.Of(() => write(handle));
        handle.Dispose();
        return outcome.With(File.ReadAllBytes(path));
    }

    [Test]
    public async Task ReadOnlyHandle_ThrowsUnauthorizedAccessException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => WriteAndCapture(api, new byte[8], FileAccess.Read, h => api.WriteAsync(h, new byte[] { 1 }, 0)));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<UnauthorizedAccessException>());
    }

    [Test]
    public async Task EmptyWrite_SucceedsEvenOnReadOnlyHandle()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => WriteAndCapture(api, new byte[8], FileAccess.Read, h => api.WriteAsync(h, ReadOnlyMemory<byte>.Empty, 0)));
        Assert.That(outcomes[Variant.Dotnet].Kind, Is.EqualTo(OutcomeKind.Value));

        // Ours does not even go to the kernel.
        Assert.That(outcomes[Variant.UringOnWorker].CompletedAtOnce, Is.True);
        Assert.That(outcomes[Variant.UringForeignThread].CompletedAtOnce, Is.True);
    }

    [Test]
    public async Task WritePastEnd_GrowsFile_GapIsZeros()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => WriteAndCapture(api, [1, 2, 3], FileAccess.Write, h => api.WriteAsync(h, new byte[] { 9, 9, 9, 9 }, 10_000)));
        byte[] content = outcomes[Variant.UringOnWorker].Content!;
        Assert.That(content.Length, Is.EqualTo(10_004));
        Assert.That(content.AsSpan(3, 10_000 - 3).IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
    }

    [Test]
    public async Task OverwriteInTheMiddle()
    {
        byte[] initial = Scratch.RandomBytes(5000, seed: 4);
        await AssertSameAsync(api => WriteAndCapture(api, initial, FileAccess.ReadWrite, h => api.WriteAsync(h, Scratch.RandomBytes(777, seed: 5), 1234)));
    }

    [Test]
    public async Task MultiMiBWrite_ContentIntact()
    {
        byte[] data = Scratch.RandomBytes(8 << 20, seed: 6);
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => WriteAndCapture(api, [], FileAccess.Write, h => api.WriteAsync(h, data, 4096)));
        Assert.That(outcomes[Variant.UringOnWorker].Content.AsSpan(4096).SequenceEqual(data), Is.True);
    }

    [Test]
    public async Task ChunkedWrites_ThenWholeFile()
    {
        byte[] data = Scratch.RandomBytes(4_001, seed: 8);
        await AssertSameAsync(api => WriteAndCapture(api, [], FileAccess.Write, async h =>
        {
            for (int offset = 0; offset < data.Length; offset += 1000)
            {
                await api.WriteAsync(h, data.AsMemory(offset, Math.Min(1000, data.Length - offset)), offset);
            }
        }));
    }
}
