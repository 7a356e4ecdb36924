using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringRandomAccess_FlushToDiskAsync(UringBackend backend) : UringRandomAccess_Base(backend)
{
    protected override FileAccess RequiredAccess => FileAccess.Write;

    protected override Task<Outcome> MethodUnderTest(IRandomAccessApi api, SafeFileHandle handle, byte[] bytes, long fileOffset, CancellationToken cancellationToken = default) =>
        Outcome.Of(() => api.FlushToDiskAsync(handle, cancellationToken), cancellationToken);

    [Test]
    public async Task WrittenFile_Flushes()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(async api =>
        {
            SafeFileHandle handle = Scratch.OpenFile([], FileAccess.Write);
            await api.WriteAsync(handle, new byte[] { 1, 2, 3 }, 0);
            return await Outcome.Of(() => api.FlushToDiskAsync(handle));
        });
        Assert.That(outcomes[Variant.Dotnet].Kind, Is.EqualTo(OutcomeKind.Value));
    }

    [Test]
    public async Task ReadOnlyHandle_SameAsDotnet() =>
        await AssertSameAsync(api => Outcome.Of(() => api.FlushToDiskAsync(Scratch.OpenFile([1], FileAccess.Read))));

    [Test]
    public async Task Pipe_SameAsDotnet()
    {
        await AssertSameAsync(api => Outcome.Of(() => api.FlushToDiskAsync(Scratch.Pipe().Read)));
        await AssertSameAsync(api => Outcome.Of(() => api.FlushToDiskAsync(Scratch.Pipe().Write)));
    }
}
