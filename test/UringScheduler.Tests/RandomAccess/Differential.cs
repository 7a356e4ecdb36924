using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

/// <summary>The async surface shared by <see cref="System.IO.RandomAccess"/> and <see cref="UringRandomAccess"/>.</summary>
public interface IRandomAccessApi
{
    string Name { get; }

    ValueTask<int> ReadAsync(SafeFileHandle handle, Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default);

    ValueTask<long> ReadAsync(SafeFileHandle handle, IReadOnlyList<Memory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default);

    ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default);

    ValueTask WriteAsync(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default);

    ValueTask FlushToDiskAsync(SafeFileHandle handle, CancellationToken cancellationToken = default);
}

/// <summary>The reference: .NET's own <see cref="System.IO.RandomAccess"/>.</summary>
public sealed class DotnetRandomAccess : IRandomAccessApi
{
    public static readonly DotnetRandomAccess Instance = new();

    public string Name => "System.IO.RandomAccess";

    public ValueTask<int> ReadAsync(SafeFileHandle handle, Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        System.IO.RandomAccess.ReadAsync(handle, buffer, fileOffset, cancellationToken);

    public ValueTask<long> ReadAsync(SafeFileHandle handle, IReadOnlyList<Memory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default) =>
        System.IO.RandomAccess.ReadAsync(handle, buffers, fileOffset, cancellationToken);

    public ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        System.IO.RandomAccess.WriteAsync(handle, buffer, fileOffset, cancellationToken);

    public ValueTask WriteAsync(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default) =>
        System.IO.RandomAccess.WriteAsync(handle, buffers, fileOffset, cancellationToken);

    // .NET has no async flush: the reference is the synchronous FlushToDisk (its validation, order and errors), with
    // the convention every async RandomAccess method follows for a token that is already cancelled: arguments are
    // validated first, then the task is cancelled at once.
    public ValueTask FlushToDiskAsync(SafeFileHandle handle, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            ArgumentNullException.ThrowIfNull(handle);
            _ = System.IO.RandomAccess.GetLength(handle); // validates invalid/closed the same way, without flushing
            return ValueTask.FromCanceled(cancellationToken);
        }

        System.IO.RandomAccess.FlushToDisk(handle);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The implementation under test.</summary>
public sealed class UringRandomAccessApi : IRandomAccessApi
{
    public static readonly UringRandomAccessApi Instance = new();

    public string Name => "UringRandomAccess";

    public ValueTask<int> ReadAsync(SafeFileHandle handle, Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        UringRandomAccess.ReadAsync(handle, buffer, fileOffset, cancellationToken);

    public ValueTask<long> ReadAsync(SafeFileHandle handle, IReadOnlyList<Memory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default) =>
        UringRandomAccess.ReadAsync(handle, buffers, fileOffset, cancellationToken);

    public ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        UringRandomAccess.WriteAsync(handle, buffer, fileOffset, cancellationToken);

    public ValueTask WriteAsync(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default) =>
        UringRandomAccess.WriteAsync(handle, buffers, fileOffset, cancellationToken);

    public ValueTask FlushToDiskAsync(SafeFileHandle handle, CancellationToken cancellationToken = default) =>
        UringRandomAccess.FlushToDiskAsync(handle, cancellationToken);
}

public enum OutcomeKind
{
    /// <summary>The call returned a task that completed with a value.</summary>
    Value,

    /// <summary>The call itself threw (argument validation).</summary>
    Threw,

    /// <summary>The call returned a task that ended with an exception (or cancelled).</summary>
    Faulted,
}

/// <summary>What one call did, in a form two implementations can be compared on.</summary>
public sealed class Outcome
{
    public OutcomeKind Kind { get; init; }

    public long Value { get; init; }

    public Exception? Exception { get; init; }

    /// <summary>The returned task was already cancelled when the call returned.</summary>
    public bool CanceledAtOnce { get; init; }

    /// <summary>The returned task was already complete when the call returned (not compared: .NET always queues).</summary>
    public bool CompletedAtOnce { get; init; }

    /// <summary>The OperationCanceledException carried the caller's token.</summary>
    public bool CarriesToken { get; init; }

    /// <summary>The worker the continuation resumed on (not compared; checked for the on-worker variant).</summary>
    public UringWorker? ResumedOn { get; init; }

    /// <summary>The worker the whole scenario ended on (set by the runner for the on-worker variant).</summary>
    public UringWorker? FinishedOn { get; set; }

    /// <summary>Bytes the scenario observed afterwards (buffer or file contents), compared by hash.</summary>
    public byte[]? Content { get; set; }

    /// <summary>Anything else the scenario wants compared.</summary>
    public string? Note { get; set; }

    public Outcome With(byte[]? content = null, string? note = null)
    {
        Content = content ?? Content;
        Note = note ?? Note;
        return this;
    }

    /// <summary>Everything that must be identical between .NET and us, as one comparable string.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(Kind);
        if (Kind == OutcomeKind.Value)
        {
            sb.Append(" value=").Append(Value);
        }
        else
        {
            sb.Append(' ').Append(Exception!.GetType().FullName);
            if (Exception is ArgumentException argument)
            {
                sb.Append(" param=").Append(argument.ParamName ?? "<null>");
            }

            if (Exception is IOException && Exception.GetType() == typeof(IOException))
            {
                sb.Append(" hresult=").Append(Exception.HResult);
            }

            if (Exception is OperationCanceledException)
            {
                sb.Append(" token=").Append(CarriesToken);
            }

            sb.Append(" canceledAtOnce=").Append(CanceledAtOnce);
        }

        if (Content is not null)
        {
            sb.Append(" content=").Append(Content.Length).Append(':').Append(Convert.ToHexString(SHA256.HashData(Content)), 0, 16);
        }

        if (Note is not null)
        {
            sb.Append(" note=").Append(Note);
        }

        return sb.ToString();
    }

    public override string ToString() => Describe() + (Exception is null ? string.Empty : $" ({Exception.Message})");

    /// <summary>Starts an operation and records what it does. The call runs inside, so a synchronous throw is seen as one.</summary>
    public static Task<Outcome> Of(Func<ValueTask<int>> start, CancellationToken token = default) => Of(() => Widen(start()), token);

    public static Task<Outcome> Of(Func<ValueTask> start, CancellationToken token = default) => Of(() => Widen(start()), token);

    public static async Task<Outcome> Of(Func<ValueTask<long>> start, CancellationToken token = default)
    {
        ValueTask<long> pending;
        try
        {
            pending = start();
        }
        catch (Exception e)
        {
            return new Outcome { Kind = OutcomeKind.Threw, Exception = e, CarriesToken = IsToken(e, token) };
        }

        bool canceledAtOnce = pending.IsCanceled;
        bool completedAtOnce = pending.IsCompleted;
        try
        {
            long value = await pending;
            return new Outcome { Kind = OutcomeKind.Value, Value = value, CompletedAtOnce = completedAtOnce, ResumedOn = UringWorker.Current };
        }
        catch (Exception e)
        {
            return new Outcome
            {
                Kind = OutcomeKind.Faulted,
                Exception = e,
                CanceledAtOnce = canceledAtOnce,
                CompletedAtOnce = completedAtOnce,
                CarriesToken = IsToken(e, token),
                ResumedOn = UringWorker.Current,
            };
        }
    }

    private static bool IsToken(Exception e, CancellationToken token) =>
        e is OperationCanceledException oce && token.CanBeCanceled && oce.CancellationToken == token;

    // The call has already run when these are reached (it is the argument), so a synchronous throw stays synchronous;
    // an await of a cancelled task inside an async method yields a task that is cancelled at once, as the original was.
    private static ValueTask<long> Widen(ValueTask<int> pending) =>
        pending.IsCompletedSuccessfully ? new ValueTask<long>(pending.Result) : WidenCore(pending);

    private static async ValueTask<long> WidenCore(ValueTask<int> pending) => await pending;

    private static ValueTask<long> Widen(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return new ValueTask<long>(0L);
        }

        return WidenCore(pending);
    }

    private static async ValueTask<long> WidenCore(ValueTask pending)
    {
        await pending;
        return 0;
    }
}

/// <summary>Where a scenario ran against which implementation.</summary>
public enum Variant
{
    Dotnet,
    UringOnWorker,
    UringForeignThread,
}

/// <summary>
/// Runs one scenario against <see cref="System.IO.RandomAccess"/> on the test thread, then against
/// <see cref="UringRandomAccess"/> inside a worker and from the test thread, and asserts the outcomes are identical.
/// </summary>
public sealed class DifferentialRunner(UringRuntime runtime)
{
    public async Task<Dictionary<Variant, Outcome>> AssertSameAsync(
        Func<IRandomAccessApi, Task<Outcome>> scenario,
        [CallerArgumentExpression(nameof(scenario))] string? description = null)
    {
        UringWorker worker = runtime.Workers[0];
        var outcomes = new Dictionary<Variant, Outcome>
        {
            [Variant.Dotnet] = await scenario(DotnetRandomAccess.Instance),
            [Variant.UringOnWorker] = await worker.RunAsync(async () =>
            {
                Outcome outcome = await scenario(UringRandomAccessApi.Instance);
                outcome.FinishedOn = UringWorker.Current;
                return outcome;
            }),
            [Variant.UringForeignThread] = await scenario(UringRandomAccessApi.Instance),
        };

        string expected = outcomes[Variant.Dotnet].Describe();
        TestContext.Out.WriteLine($"{Variant.Dotnet}: {outcomes[Variant.Dotnet]}");
        foreach (Variant variant in new[] { Variant.UringOnWorker, Variant.UringForeignThread })
        {
            Outcome actual = outcomes[variant];
            TestContext.Out.WriteLine($"{variant}: {actual}");
            Assert.That(actual.Describe(), Is.EqualTo(expected), $"{variant} differs from System.IO.RandomAccess in: {description}");
        }

        // Resumed on the worker that issued it: the differential must not pass by leaving the worker.
        Outcome onWorker = outcomes[Variant.UringOnWorker];
        Assert.That(onWorker.FinishedOn, Is.SameAs(worker), "the on-worker scenario ended off its worker");
        if (onWorker.Kind != OutcomeKind.Threw && !onWorker.CompletedAtOnce)
        {
            Assert.That(onWorker.ResumedOn, Is.SameAs(worker), "the on-worker call resumed off its worker");
        }

        return outcomes;
    }
}

/// <summary>Files and pipes for one test, removed at the end.</summary>
public sealed class Scratch : IDisposable
{
    private readonly string _directory = TestFiles.NewPath("uring-ra");
    private readonly List<IDisposable> _owned = [];
    private int _next;

    public Scratch()
    {
        Directory.CreateDirectory(_directory);
    }

    public string NewPath() => Path.Combine(_directory, $"f{Interlocked.Increment(ref _next)}");

    public string CreateFile(byte[] content)
    {
        string path = NewPath();
        File.WriteAllBytes(path, content);
        return path;
    }

    public SafeFileHandle Open(string path, FileMode mode, FileAccess access)
    {
        SafeFileHandle handle = File.OpenHandle(path, mode, access, FileShare.ReadWrite | FileShare.Delete);
        _owned.Add(handle);
        return handle;
    }

    public SafeFileHandle OpenFile(byte[] content, FileAccess access) => Open(CreateFile(content), FileMode.Open, access);

    /// <summary>An anonymous pipe: (read end, write end), both owned by the scratch.</summary>
    public (SafeFileHandle Read, SafeFileHandle Write) Pipe(bool nonBlocking = false)
    {
        (SafeFileHandle read, SafeFileHandle write) = TestPipe.Handles(nonBlocking);
        _owned.Add(read);
        _owned.Add(write);
        return (read, write);
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
