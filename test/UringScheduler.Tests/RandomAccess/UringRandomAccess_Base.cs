using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

/// <summary>
/// The cases every method shares (after dotnet/runtime's RandomAccess_Base): argument validation, its order, and
/// tokens cancelled up front. Each case runs against System.IO.RandomAccess and against UringRandomAccess, on a
/// worker and from the test thread, and the outcomes must be identical.
/// </summary>
public abstract class UringRandomAccess_Base(UringBackend backend)
{
    private UringRuntime _runtime = null!;

    protected UringBackend Backend => backend;

    protected UringRuntime Runtime => _runtime;

    protected Scratch Scratch { get; private set; } = null!;

    protected DifferentialRunner Differential { get; private set; } = null!;

    /// <summary>Calls the method under test with one buffer's worth of arguments.</summary>
    protected abstract Task<Outcome> MethodUnderTest(IRandomAccessApi api, SafeFileHandle handle, byte[] bytes, long fileOffset, CancellationToken cancellationToken = default);

    /// <summary>The access a handle needs for the method to succeed.</summary>
    protected virtual FileAccess RequiredAccess => FileAccess.ReadWrite;

    [SetUp]
    public void SetUp()
    {
        // The foreign-thread variant must reach this test's runtime: no other may be alive (tests run one at a time).
        Assert.That(UringRuntime.Ambient, Is.Null, "a runtime from an earlier test is still alive");
        _runtime = TestRuntime.Create(backend);
        Assert.That(UringRuntime.Ambient, Is.SameAs(_runtime));
        Scratch = new Scratch();
        Differential = new DifferentialRunner(_runtime);
    }

    [TearDown]
    public async Task TearDown()
    {
        // Bounded: a lost completion must fail the test, not hang the run.
        await _runtime.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Scratch.Dispose();
    }

    protected Task<Dictionary<Variant, Outcome>> AssertSameAsync(Func<IRandomAccessApi, Task<Outcome>> scenario, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(scenario))] string? description = null) =>
        Differential.AssertSameAsync(scenario, description);

    protected SafeFileHandle ValidHandle() => Scratch.OpenFile(new byte[16], RequiredAccess);

    protected SafeFileHandle ClosedHandle()
    {
        SafeFileHandle handle = File.OpenHandle(Scratch.CreateFile(new byte[16]), FileMode.Open, RequiredAccess);
        handle.Dispose();
        return handle;
    }

    protected static SafeFileHandle InvalidHandle() => new(-1, ownsHandle: false);

    protected static CancellationToken CanceledToken() => new(canceled: true);

    [Test]
    public async Task NullHandle_ThrowsArgumentNullException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, null!, new byte[1], 0));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ArgumentNullException>().With.Property("ParamName").EqualTo("handle"));
        Assert.That(outcomes[Variant.Dotnet].Kind, Is.EqualTo(OutcomeKind.Threw));
    }

    [Test]
    public async Task InvalidHandle_ThrowsArgumentException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, InvalidHandle(), new byte[1], 0));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ArgumentException>().With.Property("ParamName").EqualTo("handle"));
    }

    [Test]
    public async Task ClosedHandle_ThrowsObjectDisposedException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, ClosedHandle(), new byte[1], 0));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task DisposedHandleStillReferenced_SameAsDotnet()
    {
        // Dispose of a handle another operation still holds (DangerousAddRef) leaves IsClosed false until that
        // reference goes, and DangerousAddRef only refuses closed handles: .NET goes ahead with the operation on the
        // still-open descriptor, and so must we.
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(async api =>
        {
            SafeFileHandle handle = ValidHandle();
            bool added = false;
            handle.DangerousAddRef(ref added);
            handle.Dispose();
            try
            {
                return await MethodUnderTest(api, handle, new byte[1], 0);
            }
            finally
            {
                handle.DangerousRelease();
            }
        });
        Assert.That(outcomes[Variant.Dotnet].Kind, Is.EqualTo(OutcomeKind.Value));
    }

    [Test]
    public async Task PreCanceledToken_TaskIsCanceledAtOnce()
    {
        CancellationToken token = CanceledToken();
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, ValidHandle(), new byte[1], 0, token));
        Assert.That(outcomes[Variant.Dotnet].CanceledAtOnce, Is.True);
        Assert.That(outcomes[Variant.UringOnWorker].Exception, Is.InstanceOf<OperationCanceledException>());
        Assert.That(((OperationCanceledException)outcomes[Variant.UringOnWorker].Exception!).CancellationToken, Is.EqualTo(token));
    }

    [Test]
    public async Task PreCanceledToken_ArgumentErrorsWin()
    {
        CancellationToken token = CanceledToken();
        await AssertSameAsync(api => MethodUnderTest(api, null!, new byte[1], 0, token));
        await AssertSameAsync(api => MethodUnderTest(api, InvalidHandle(), new byte[1], 0, token));
        await AssertSameAsync(api => MethodUnderTest(api, ClosedHandle(), new byte[1], 0, token));
    }

    [Test]
    public async Task PreCanceledToken_EmptyBuffer_IsCanceled() =>
        await AssertSameAsync(api => MethodUnderTest(api, ValidHandle(), [], 0, CanceledToken()));
}

/// <summary>The shared cases of the methods that take an offset.</summary>
public abstract class UringRandomAccess_OffsetBase(UringBackend backend) : UringRandomAccess_Base(backend)
{
    [Test]
    public async Task NegativeOffset_ThrowsArgumentOutOfRangeException()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, ValidHandle(), new byte[1], -1));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("fileOffset"));
    }

    [Test]
    public async Task ValidationOrder_NullHandleBeforeNegativeOffset()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, null!, new byte[1], -1));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ArgumentNullException>().With.Property("ParamName").EqualTo("handle"));
    }

    [Test]
    public async Task ValidationOrder_InvalidHandleBeforeNegativeOffset()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, InvalidHandle(), new byte[1], -1));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ArgumentException>().With.Property("ParamName").EqualTo("handle"));
    }

    [Test]
    public async Task ValidationOrder_ClosedHandleBeforeNegativeOffset()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, ClosedHandle(), new byte[1], -1));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task PreCanceledToken_NegativeOffsetWins()
    {
        Dictionary<Variant, Outcome> outcomes = await AssertSameAsync(api => MethodUnderTest(api, ValidHandle(), new byte[1], -1, CanceledToken()));
        Assert.That(outcomes[Variant.Dotnet].Exception, Is.TypeOf<ArgumentOutOfRangeException>());
    }
}
