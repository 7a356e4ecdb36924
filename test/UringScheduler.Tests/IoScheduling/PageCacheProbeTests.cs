using Microsoft.Win32.SafeHandles;
using UringScheduler.Files;
using UringScheduler.IoScheduling;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.IoScheduling;

/// <summary>
/// Buffered reads tried on the page cache first (<c>RWF_NOWAIT</c>): a cached read is served by the probe; a miss
/// (the kernel's <c>EAGAIN</c>) goes back to the kernel without the flag and still returns the data; a file system that
/// refuses the flag (<c>EOPNOTSUPP</c>) is remembered, and its reads stop probing. Misses and refusals are made by the
/// ring's fault seam, which rewrites the completion as the kernel would have written it.
/// </summary>
public sealed class PageCacheProbeTests
{
    private const int BlockSize = 4096;

    [Test]
    public async Task CachedReads_AreServedByTheProbe()
    {
        await using var probe = ProbedFile.Create(blocks: 32, rewriteTo: 0);
        File.ReadAllBytes(probe.Path); // in the page cache

        await probe.ReadAllAsync();

        if (probe.Profile.NoWaitUnsupported)
        {
            // This file system does not take RWF_NOWAIT: the first probe learnt it, and the rest went without.
            Assert.That(probe.Faults.WithNoWait, Is.EqualTo(1));
            Assert.That(probe.Faults.WithoutNoWait, Is.EqualTo(32));
        }
        else
        {
            Assert.That(probe.Scheduler.ProbeHits, Is.EqualTo(32));
            Assert.That(probe.Scheduler.ProbeMisses, Is.Zero);
            Assert.That(probe.Faults.WithNoWait, Is.EqualTo(32));
            Assert.That(probe.Faults.WithoutNoWait, Is.Zero);
        }
    }

    [Test]
    public async Task Misses_GoBackToTheKernelWithoutTheFlag_AndReturnTheData()
    {
        await using var probe = ProbedFile.Create(blocks: 32, rewriteTo: -Errno.EAGAIN);

        await probe.ReadAllAsync();

        Assert.Multiple(() =>
        {
            Assert.That(probe.Faults.Rewritten, Is.EqualTo(32));
            Assert.That(probe.Scheduler.ProbeMisses, Is.EqualTo(32));
            Assert.That(probe.Scheduler.ProbeHits, Is.Zero);
            Assert.That(probe.Faults.WithoutNoWait, Is.EqualTo(32), "each miss went back once, without RWF_NOWAIT");
            Assert.That(probe.Scheduler.Counters(UringIoClass.Foreground.Id).InFlight, Is.Zero);
        });
    }

    [Test]
    public async Task PartlyCachedProbe_IsReadAgainWhole()
    {
        // The kernel stops a RWF_NOWAIT read at the first page it would wait for and returns what it copied.
        await using var probe = ProbedFile.Create(blocks: 32, rewriteTo: BlockSize / 2);

        await probe.ReadAllAsync();

        Assert.That(probe.Faults.Rewritten, Is.EqualTo(32));
        Assert.That(probe.Faults.WithoutNoWait, Is.EqualTo(32), "each short probe was read again, whole, without RWF_NOWAIT");
    }

    [Test]
    public async Task ProbeAtTheEndOfTheFile_ReturnsWhatTheFileHas()
    {
        await using var probe = ProbedFile.Create(blocks: 1, rewriteTo: 0, extraBytes: 100);
        File.ReadAllBytes(probe.Path);

        (int tail, int past) = await probe.Runtime.Workers[0].RunAsync(async () =>
        {
            byte[] buffer = new byte[BlockSize];
            int crossing = await UringRandomAccess.ReadAsync(probe.Handle, buffer, BlockSize);
            Assert.That(buffer.AsSpan(0, 100).SequenceEqual(probe.Content.AsSpan(BlockSize, 100)), Is.True);
            return (crossing, await UringRandomAccess.ReadAsync(probe.Handle, buffer, 2 * BlockSize));
        });

        Assert.That(tail, Is.EqualTo(100), "a read across the end returns the bytes before it");
        Assert.That(past, Is.Zero);
    }

    [Test]
    public async Task MostlyMissingCache_ProbesOnlyASample_UntilTheCacheServesAgain()
    {
        await using var probe = ProbedFile.Create(blocks: 32, rewriteTo: -Errno.EAGAIN);
        File.ReadAllBytes(probe.Path);

        // Every probe misses: after a window of 32, reads stop probing but for one in 16.
        for (int pass = 0; pass < 2; pass++)
        {
            await probe.ReadAllAsync();
        }

        Assert.That(probe.Faults.WithNoWait, Is.EqualTo(32 + 2), "32 probes, then 2 samples in the next 32 reads");

        // The cache serves again: the sampled probes hit, and after a window of them every read probes again.
        probe.Faults.RewriteTo = 0;
        for (int pass = 0; pass < 17; pass++)
        {
            await probe.ReadAllAsync();
        }

        int before = probe.Faults.WithNoWait;
        await probe.ReadAllAsync();
        Assert.That(probe.Faults.WithNoWait - before, Is.EqualTo(32), "probing again");
    }

    [Test]
    public async Task RefusedFlag_IsRemembered_AndLaterReadsDoNotProbe()
    {
        await using var probe = ProbedFile.Create(blocks: 32, rewriteTo: -Errno.EOPNOTSUPP);

        await probe.ReadAllAsync();

        Assert.That(probe.Profile.NoWaitUnsupported, Is.True);
        Assert.That(probe.Faults.WithNoWait, Is.EqualTo(1), "only the first read probed");
        Assert.That(probe.Faults.WithoutNoWait, Is.EqualTo(32));
    }

    [Test]
    public async Task DirectFiles_AreNotProbed()
    {
        // An O_DIRECT profile (alignment 1, so any buffer passes the checks): every read reaches the device anyway.
        await using var probe = ProbedFile.Create(blocks: 16, rewriteTo: 0, direct: new DirectIoAlignment(1, 1, "test"));

        await probe.ReadAllAsync();

        Assert.That(probe.Faults.WithNoWait, Is.Zero);
        Assert.That(probe.Faults.WithoutNoWait, Is.EqualTo(16));
        Assert.That(probe.Scheduler.Counters(UringIoClass.Foreground.Id).Completed, Is.EqualTo(16));
    }

    /// <summary>A file of random blocks on a made-up device, and a one-worker runtime whose ring rewrites the probes' results.</summary>
    private sealed class ProbedFile : IAsyncDisposable
    {
        private ProbedFile(string path, byte[] content, ProbeFaults faults, UringRuntime runtime, SafeFileHandle handle, FileProfile profile)
        {
            Path = path;
            Content = content;
            Faults = faults;
            Runtime = runtime;
            Handle = handle;
            Profile = profile;
        }

        public string Path { get; }

        public byte[] Content { get; }

        public ProbeFaults Faults { get; }

        public UringRuntime Runtime { get; }

        public SafeFileHandle Handle { get; }

        public FileProfile Profile { get; }

        public WorkerIoScheduler Scheduler => Runtime.Workers[0].IoScheduler!;

        public static ProbedFile Create(int blocks, int rewriteTo, int extraBytes = 0, DirectIoAlignment? direct = null)
        {
            string path = TestFiles.CreateRandom(blocks * BlockSize + extraBytes, out byte[] content);
            var faults = new ProbeFaults(rewriteTo);
            var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 1, Backend = UringBackend.IoUring, RingEntries = 64, RingFaults = _ => faults });
            SafeFileHandle handle = File.OpenHandle(path);
            FileProfile profile = FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64), direct);
            return new ProbedFile(path, content, faults, runtime, handle, profile);
        }

        /// <summary>Reads every whole block once, in order, on the worker, checking each block's bytes.</summary>
        public Task ReadAllAsync() => Runtime.Workers[0].RunAsync(() => PageCacheProbeTests.ReadAllAsync(Handle, Content));

        public async ValueTask DisposeAsync()
        {
            await Runtime.DisposeAsync();
            Handle.Dispose();
            File.Delete(Path);
        }
    }

    private static async Task ReadAllAsync(SafeFileHandle handle, byte[] content)
    {
        for (int block = 0; block < content.Length / BlockSize; block++)
        {
            byte[] buffer = new byte[BlockSize];
            Assert.That(await UringRandomAccess.ReadAsync(handle, buffer, (long)block * BlockSize), Is.EqualTo(BlockSize));
            Assert.That(buffer.AsSpan().SequenceEqual(content.AsSpan(block * BlockSize, BlockSize)), Is.True, $"block {block}");
        }
    }

    /// <summary>Counts READ submissions with and without RWF_NOWAIT, and rewrites the result of each probe to <c>rewriteTo</c> (0: leaves it; a positive count: a short read).</summary>
    private sealed unsafe class ProbeFaults(int rewriteTo) : IRingFaults
    {
        private readonly HashSet<ulong> _probes = [];

        /// <summary>What a probe's result is rewritten to from now on (0: left as the kernel gave it).</summary>
        public int RewriteTo { get; set; } = rewriteTo;

        public int WithNoWait { get; private set; }

        public int WithoutNoWait { get; private set; }

        public int Rewritten { get; private set; }

        public uint CqEntries => 0;

        public int DueCount => 0;

        public void OnPublish(Sqe* sqe)
        {
            // The worker's own wake-up read of its eventfd is not a file read.
            if ((IoUringOp)sqe->Opcode is not IoUringOp.Read || (sqe->UserData & Operations.OperationSlab.InternalBit) != 0)
            {
                return;
            }

            if ((sqe->OpFlags & Interop.Libc.RWF_NOWAIT) != 0)
            {
                WithNoWait++;
                _probes.Add(sqe->UserData);
            }
            else
            {
                WithoutNoWait++;
                _probes.Remove(sqe->UserData);
            }
        }

        public int OnEnter(ref uint toSubmit, ref uint minComplete, uint flags) => 0;

        public bool WithholdDrain(uint cqReady, bool overflowPending) => false;

        public bool OnCompletion(ref Cqe cqe)
        {
            if (RewriteTo != 0 && _probes.Remove(cqe.UserData))
            {
                cqe.Res = RewriteTo;
                Rewritten++;
            }

            return true;
        }

        public bool TryTakeDue(out Cqe cqe)
        {
            cqe = default;
            return false;
        }

        public int OnRegister(uint opcode) => 0;
    }
}
