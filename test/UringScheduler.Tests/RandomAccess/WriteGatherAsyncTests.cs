using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringRandomAccess_WriteGatherAsync(UringBackend backend) : UringRandomAccess_OffsetBase(backend)
{
    protected override FileAccess RequiredAccess => FileAccess.Write;

    protected override Task<Outcome> MethodUnderTest(IRandomAccessApi api, SafeFileHandle handle, byte[] bytes, long fileOffset, CancellationToken cancellationToken = default) =>
        Outcome.Of(() => api.WriteAsync(handle, new ReadOnlyMemory<byte>[] { bytes }, fileOffset, cancellationToken), cancellationToken);

    private async Task<Outcome> GatherAndCapture(IRandomAccessApi api, byte[] initial, FileAccess access, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset)
    {
        string path = Scratch.CreateFile(initial);
        SafeFileHandle handle = Scratch.Open(path, FileMode.Open, access);
        Outcome outcome = await Outcome.Of(() => api.WriteAsync(handle, buffers, offset));
        handle.Dispose();
        return outcome.With(File.ReadAllBytes(path));
    }

    private static byte[] Expected(IEnumerable<ReadOnlyMemory<byte>> buffers) => buffers.SelectMany(b => b.ToArray()).ToArray();

    [Test]
    public async Task NullBuffers_ThrowsArgumentNullException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => Outcome.Of(() => api.WriteAsync(ValidHandle(), (IReadOnlyList<ReadOnlyMemory<byte>>)null!, 0)));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ArgumentNullException>().With.Property("ParamName").EqualTo("buffers"));
    }

    [Test]
    public async Task ValidationOrder_HandleAndOffsetBeforeNullBuffers()
    {
        await AssertSameAsync(api => Outcome.Of(() => api.WriteAsync(null!, (IReadOnlyList<ReadOnlyMemory<byte>>)null!, 0)));
        await AssertSameAsync(api => Outcome.Of(() => api.WriteAsync(ClosedHandle(), (IReadOnlyList<ReadOnlyMemory<byte>>)null!, 0)));
        await AssertSameAsync(api => Outcome.Of(() => api.WriteAsync(ValidHandle(), (IReadOnlyList<ReadOnlyMemory<byte>>)null!, -1)));
        await AssertSameAsync(api => Outcome.Of(() => api.WriteAsync(ValidHandle(), (IReadOnlyList<ReadOnlyMemory<byte>>)null!, 0, CanceledToken())));
    }

    [Test]
    public async Task EmptyList_SucceedsEvenOnReadOnlyHandle()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => GatherAndCapture(api, [5], FileAccess.Read, [], 0));
        Assert.That(outcomes[Variant.Dotnet].Kind, Is.EqualTo(OutcomeKind.Value));
        await AssertSameAsync(api => GatherAndCapture(api, [5], FileAccess.Read, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty], 0));
    }

    [Test]
    public async Task ReadOnlyHandle_ThrowsUnauthorizedAccessException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => GatherAndCapture(api, [5], FileAccess.Read, [new byte[] { 1, 2 }], 0));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<UnauthorizedAccessException>());
    }

    [Test]
    public async Task EmptyAndRepeatedSegments()
    {
        byte[] a = [1, 2, 3], b = Scratch.RandomBytes(5000, seed: 9);
        ReadOnlyMemory<byte>[] buffers = [a, ReadOnlyMemory<byte>.Empty, a, b, ReadOnlyMemory<byte>.Empty, b.AsMemory(10, 3), a];
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => GatherAndCapture(api, [7, 7], FileAccess.Write, buffers, 100));
        byte[] content = outcomes[Variant.UringOnWorker].Content!;
        Assert.That(content.AsSpan(100).SequenceEqual(Expected(buffers)), Is.True);
    }

    [Test]
    public async Task Gather1026Vectors_AllWritten()
    {
        // More than one kernel call can carry: ours loops over chunks of 1024.
        var random = new Random(10);
        ReadOnlyMemory<byte>[] buffers = Enumerable.Range(0, 1026)
            .Select(i => (ReadOnlyMemory<byte>)Scratch.RandomBytes(i % 7 == 0 ? 0 : random.Next(1, 300), seed: i))
            .ToArray();
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => GatherAndCapture(api, [], FileAccess.Write, buffers, 3));
        Assert.That(outcomes[Variant.UringOnWorker].Content.AsSpan(3).SequenceEqual(Expected(buffers)), Is.True);
    }

    [Test]
    public async Task MultiMiBGather_ContentIntact()
    {
        ReadOnlyMemory<byte>[] buffers = Enumerable.Range(0, 8).Select(i => (ReadOnlyMemory<byte>)Scratch.RandomBytes((1 << 20) + i, seed: 100 + i)).ToArray();
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => GatherAndCapture(api, [], FileAccess.Write, buffers, 0));
        Assert.That(outcomes[Variant.UringOnWorker].Content.AsSpan().SequenceEqual(Expected(buffers)), Is.True);
    }
}
