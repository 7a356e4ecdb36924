using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Native;

namespace UringScheduler.Tests.Faults;

/// <summary>The kinds of operation the fault matrix runs.</summary>
public enum OpKind
{
    Read,
    Write,
    ReadV,
    WriteV,
    ReadFixed,
    WriteFixed,
    Fsync,
    Delay,
    OpenAt,
    Receive,
    Send,
}

/// <summary>What an operation must end with under a fault.</summary>
internal enum Outcome
{
    /// <summary>Success with the whole transfer (or the operation's plain result).</summary>
    Full,

    /// <summary>Success with a short count: 0 &lt; n &lt; asked, the bytes that count covers correct.</summary>
    Short,

    /// <summary>Success with 0 bytes.</summary>
    Zero,

    /// <summary><see cref="OperationCanceledException"/>, and nothing transferred.</summary>
    Canceled,

    /// <summary><see cref="SocketException"/> with <see cref="SocketError.OperationAborted"/>, and nothing transferred.</summary>
    Aborted,
}

/// <summary>
/// One kind of operation for the fault matrix: the files or sockets it needs, <see cref="Count"/> concurrent operations
/// issued on a worker, and the check of each one's outcome against what the fault must produce.
/// </summary>
internal abstract class FaultScenario : IAsyncDisposable
{
    public const int Count = 16;
    public const int BlockSize = 4096;

    protected readonly List<GuardedMemory> Guards = [];

    /// <summary>The opcodes this kind's requests go out with (what transfer and cancel faults aim at).</summary>
    public abstract IoUringOp[] Opcodes { get; }

    /// <summary>Whether transfer faults (short, zero) apply to this kind.</summary>
    public virtual bool Transfers => false;

    /// <summary>Whether the operations go out with the fixed-buffer opcodes.</summary>
    public virtual bool UsesFixedBuffers => false;

    /// <summary>Pins still held by the scenario's guarded buffers.</summary>
    public int PinsHeld => Guards.Sum(g => g.Pins);

    public static FaultScenario Create(OpKind kind) => kind switch
    {
        OpKind.Read => new ReadScenario(fixedBuffers: false),
        OpKind.ReadFixed => new ReadScenario(fixedBuffers: true),
        OpKind.Write => new WriteScenario(fixedBuffers: false),
        OpKind.WriteFixed => new WriteScenario(fixedBuffers: true),
        OpKind.ReadV => new ReadVectorScenario(),
        OpKind.WriteV => new WriteVectorScenario(),
        OpKind.Fsync => new FsyncScenario(),
        OpKind.Delay => new DelayScenario(),
        OpKind.OpenAt => new OpenAtScenario(),
        OpKind.Receive => new ReceiveScenario(),
        OpKind.Send => new SendScenario(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>What operation <paramref name="kind"/> must end with under <paramref name="fault"/>.</summary>
    public static Outcome Expected(FaultKind fault, OpKind kind)
    {
        bool reads = kind is OpKind.Read or OpKind.ReadFixed or OpKind.ReadV or OpKind.Receive;
        bool socket = kind is OpKind.Receive or OpKind.Send;
        return fault switch
        {
            FaultKind.ShortTransfer when reads => Outcome.Short,
            FaultKind.ZeroTransfer when reads => Outcome.Zero,
            FaultKind.CanceledByKernel => socket ? Outcome.Aborted : Outcome.Canceled,
            FaultKind.CancelWins => Outcome.Canceled,
            _ => Outcome.Full,
        };
    }

    /// <summary>Creates files or sockets (off the worker, except what must be made on it).</summary>
    public abstract Task SetupAsync(UringRuntime runtime, FaultPlan plan);

    /// <summary>Runs operation <paramref name="i"/> on the worker; returns its result (bytes, or 0).</summary>
    public abstract ValueTask<long> RunAsync(int i, CancellationToken cancellationToken);

    /// <summary>Checks operation <paramref name="i"/>'s successful result, after the runtime is gone.</summary>
    public abstract void VerifySuccess(int i, Outcome expected, long result);

    /// <summary>Checks that operation <paramref name="i"/>, which failed, left nothing behind.</summary>
    public virtual void VerifyNothingDone(int i)
    {
    }

    /// <summary>Closes the scenario's sockets and handles, while the runtime is still up.</summary>
    public virtual ValueTask CloseAsync() => ValueTask.CompletedTask;

    /// <summary>Frees the guarded buffers, once the runtime is gone.</summary>
    public virtual ValueTask DisposeAsync()
    {
        foreach (GuardedMemory guard in Guards)
        {
            ((IDisposable)guard).Dispose();
        }

        return ValueTask.CompletedTask;
    }

    protected GuardedMemory NewGuard(FaultPlan plan, int length)
    {
        var guard = new GuardedMemory(plan, length);
        Guards.Add(guard);
        return guard;
    }

    protected static byte FileByte(long position) => (byte)((position * 7) + 3);

    protected static byte NewByte(long position) => (byte)~((position * 13) + 1);

    protected static void AssertRead(Outcome expected, long result, ReadOnlySpan<byte> data, long fileOffset, string what)
    {
        switch (expected)
        {
            case Outcome.Full:
                Assert.That(result, Is.EqualTo(BlockSize), what);
                break;
            case Outcome.Short:
                Assert.That(result, Is.InRange(1, BlockSize - 1), $"{what}: a short count, as the kernel gave it");
                break;
            case Outcome.Zero:
                Assert.That(result, Is.Zero, what);
                break;
            default:
                Assert.Fail($"{what}: unexpected outcome {expected}");
                break;
        }

        for (int k = 0; k < result; k++)
        {
            if (data[k] != FileByte(fileOffset + k))
            {
                Assert.Fail($"{what}: byte {k} is {data[k]}, the file has {FileByte(fileOffset + k)}");
                return;
            }
        }
    }

    /// <summary>A file of <see cref="Count"/> blocks of the <see cref="FileByte"/> pattern, deleted at dispose.</summary>
    protected sealed class PatternFile : IDisposable
    {
        public PatternFile()
        {
            Path = TestFiles.NewPath("uring-fault");
            byte[] content = new byte[Count * BlockSize];
            for (int p = 0; p < content.Length; p++)
            {
                content[p] = FileByte(p);
            }

            File.WriteAllBytes(Path, content);
            Handle = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite);
        }

        public string Path { get; }

        public SafeFileHandle Handle { get; }

        public byte[] Content() => File.ReadAllBytes(Path);

        public void Dispose()
        {
            Handle.Dispose();
            File.Delete(Path);
        }
    }

    /// <summary><see cref="Count"/> connected TCP pairs on loopback: a <see cref="UringSocket"/> and a plain peer.</summary>
    protected sealed class SocketPairs : IAsyncDisposable
    {
        public UringSocket[] Uring { get; } = new UringSocket[Count];

        public Socket[] Peers { get; } = new Socket[Count];

        public async Task OpenAsync(UringRuntime runtime)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(Count);
            for (int i = 0; i < Count; i++)
            {
                Peers[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await Peers[i].ConnectAsync(listener.LocalEndPoint!);
                Socket accepted = await listener.AcceptAsync();
                Uring[i] = await runtime.Workers[0].RunAsync(() => Task.FromResult(UringSocket.FromSocket(accepted)));
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (UringSocket? socket in Uring)
            {
                if (socket is not null)
                {
                    await socket.DisposeAsync();
                }
            }

            foreach (Socket? peer in Peers)
            {
                peer?.Dispose();
            }
        }
    }
}
