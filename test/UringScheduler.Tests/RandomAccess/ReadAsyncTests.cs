using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringRandomAccess_ReadAsync(UringBackend backend) : UringRandomAccess_OffsetBase(backend)
{
    private const int FileSize = 4_001;

    protected override FileAccess RequiredAccess => FileAccess.Read;

    protected override Task<Outcome> MethodUnderTest(IRandomAccessApi api, SafeFileHandle handle, byte[] bytes, long fileOffset, CancellationToken cancellationToken = default) =>
        Outcome.Of(() => api.ReadAsync(handle, bytes, fileOffset, cancellationToken), cancellationToken);

    private static byte[] Content => Scratch.RandomBytes(FileSize, seed: 1);

    [Test]
    public async Task EmptyBuffer_ReturnsZero()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => Outcome.Of(() => api.ReadAsync(Scratch.OpenFile(Content, FileAccess.Read), Memory<byte>.Empty, 0)));
        Assert.That(outcomes[Variant.Dotnet].Value, Is.Zero);
    }

    [Test]
    public async Task EmptyBuffer_OnWriteOnlyHandle_SameAsDotnet()
    {
        // .NET issues the pread even for an empty buffer, and the kernel rejects a read on a write-only descriptor.
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => Outcome.Of(() => api.ReadAsync(Scratch.OpenFile(Content, FileAccess.Write), Memory<byte>.Empty, 0)));
        TestContext.Out.WriteLine($".NET: {outcomes[Variant.Dotnet]}");
    }

    [Test]
    public async Task AtAndPastEndOfFile_ReturnsZero()
    {
        await AssertSameAsync(api => Outcome.Of(() => api.ReadAsync(Scratch.OpenFile(Content, FileAccess.Read), new byte[10], FileSize)));
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => Outcome.Of(() => api.ReadAsync(Scratch.OpenFile(Content, FileAccess.Read), new byte[10], long.MaxValue / 2)));
        Assert.That(outcomes[Variant.Dotnet].Value, Is.Zero);
    }

    [Test]
    public async Task ShortTailRead_ReturnsWhatIsLeft()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(async api =>
        {
            byte[] buffer = new byte[100];
            Outcome outcome = await Outcome.Of(() => api.ReadAsync(Scratch.OpenFile(Content, FileAccess.Read), buffer, FileSize - 51));
            return outcome.With(buffer);
        });
        Assert.That(outcomes[Variant.Dotnet].Value, Is.EqualTo(51));
    }

    [Test]
    public async Task ChunkedWholeFileRead_ReadsEverything()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(async api =>
        {
            SafeFileHandle handle = Scratch.OpenFile(Content, FileAccess.Read);
            byte[] actual = new byte[FileSize + 1];
            int total = 0, current, calls = 0;
            do
            {
                Memory<byte> chunk = actual.AsMemory(total, Math.Min(actual.Length - total, FileSize / 4));
                current = await api.ReadAsync(handle, chunk, total);
                total += current;
                calls++;
            }
            while (current != 0);

            return new Outcome { Kind = OutcomeKind.Value, Value = total, Content = actual, Note = $"calls={calls}", ResumedOn = UringWorker.Current };
        });
        Assert.That(outcomes[Variant.Dotnet].Value, Is.EqualTo(FileSize));
        Assert.That(outcomes[Variant.UringOnWorker].Content.AsSpan(0, FileSize).SequenceEqual(Content), Is.True);
    }

    [Test]
    public async Task WriteOnlyHandle_ThrowsUnauthorizedAccessException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => Outcome.Of(() => api.ReadAsync(Scratch.OpenFile(Content, FileAccess.Write), new byte[1], 0)));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<UnauthorizedAccessException>());
    }

    [Test]
    public async Task DirectoryHandle_IOExceptionWithErrno()
    {
        // EISDIR: not one of the errnos .NET maps to a special type, so an IOException whose HResult is the errno.
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => Outcome.Of(() => api.ReadAsync(OpenDirectory(), new byte[16], 0)));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<IOException>().With.Property("HResult").EqualTo((int)Mono.Unix.Native.Errno.EISDIR));
        Assert.That(outcomes[Variant.UringOnWorker].Exception!.Message, Does.Contain("Is a directory"));
        Assert.That(outcomes[Variant.UringForeignThread].Exception!.Message, Does.Contain("Is a directory"));
    }

    [Test]
    public async Task RandomReads_MatchByteForByte()
    {
        const int Size = 1 << 20, Reads = 300;
        byte[] content = Scratch.RandomBytes(Size, seed: 7);
        string path = Scratch.CreateFile(content);
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(async api =>
        {
            SafeFileHandle handle = Scratch.Open(path, FileMode.Open, FileAccess.Read);
            var random = new Random(11);
            using var all = new MemoryStream();
            long total = 0;
            for (int i = 0; i < Reads; i++)
            {
                // Offsets reach past the end, lengths include 0 and multi-page spans.
                long offset = random.NextInt64(Size + 8192);
                int length = random.Next(5) == 0 ? random.Next(8) : random.Next(1, 200_000);
                byte[] buffer = new byte[length];
                int n = await api.ReadAsync(handle, buffer, offset);
                all.Write(BitConverter.GetBytes(n));
                all.Write(buffer, 0, n);
                total += n;
            }

            return new Outcome { Kind = OutcomeKind.Value, Value = total, Content = all.ToArray(), ResumedOn = UringWorker.Current };
        });
        Assert.That(outcomes[Variant.Dotnet].Value, Is.GreaterThan(0));
    }

    private SafeFileHandle OpenDirectory()
    {
        string directory = Path.GetDirectoryName(Scratch.NewPath())!;
        int fd = Mono.Unix.Native.Syscall.open(directory, Mono.Unix.Native.OpenFlags.O_RDONLY | Mono.Unix.Native.OpenFlags.O_DIRECTORY);
        Assert.That(fd, Is.GreaterThanOrEqualTo(0), "open(O_DIRECTORY) failed");
        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
