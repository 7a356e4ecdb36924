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
        string path = TestFiles.CreateRandom(32 * BlockSize, out byte[] content);
        try
        {
            var faults = new ProbeFaults(rewriteTo: 0);
            await using UringRuntime runtime = Create(faults);
            using SafeFileHandle handle = File.OpenHandle(path);
            FileProfile profile = FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64));
            File.ReadAllBytes(path); // in the page cache

            await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));

            WorkerIoScheduler scheduler = runtime.Workers[0].IoScheduler!;
            if (profile.NoWaitUnsupported)
            {
                // This file system does not take RWF_NOWAIT: the first probe learnt it, and the rest went without.
                Assert.That(faults.WithNoWait, Is.EqualTo(1));
                Assert.That(faults.WithoutNoWait, Is.EqualTo(32));
            }
            else
            {
                Assert.That(scheduler.ProbeHits, Is.EqualTo(32));
                Assert.That(scheduler.ProbeMisses, Is.Zero);
                Assert.That(faults.WithNoWait, Is.EqualTo(32));
                Assert.That(faults.WithoutNoWait, Is.Zero);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Misses_GoBackToTheKernelWithoutTheFlag_AndReturnTheData()
    {
        string path = TestFiles.CreateRandom(32 * BlockSize, out byte[] content);
        try
        {
            var faults = new ProbeFaults(rewriteTo: -Errno.EAGAIN);
            await using UringRuntime runtime = Create(faults);
            using SafeFileHandle handle = File.OpenHandle(path);
            FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64));

            await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));

            WorkerIoScheduler scheduler = runtime.Workers[0].IoScheduler!;
            Assert.Multiple(() =>
            {
                Assert.That(faults.Rewritten, Is.EqualTo(32));
                Assert.That(scheduler.ProbeMisses, Is.EqualTo(32));
                Assert.That(scheduler.ProbeHits, Is.Zero);
                Assert.That(faults.WithoutNoWait, Is.EqualTo(32), "each miss went back once, without RWF_NOWAIT");
                Assert.That(scheduler.Counters(UringIoClass.Foreground.Id).InFlight, Is.Zero);
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task PartlyCachedProbe_IsReadAgainWhole()
    {
        string path = TestFiles.CreateRandom(32 * BlockSize, out byte[] content);
        try
        {
            // The kernel stops a RWF_NOWAIT read at the first page it would wait for and returns what it copied.
            var faults = new ProbeFaults(rewriteTo: BlockSize / 2);
            await using UringRuntime runtime = Create(faults);
            using SafeFileHandle handle = File.OpenHandle(path);
            FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64));

            await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));

            Assert.That(faults.Rewritten, Is.EqualTo(32));
            Assert.That(faults.WithoutNoWait, Is.EqualTo(32), "each short probe was read again, whole, without RWF_NOWAIT");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task ProbeAtTheEndOfTheFile_ReturnsWhatTheFileHas()
    {
        string path = TestFiles.CreateRandom(BlockSize + 100, out byte[] content);
        try
        {
            var faults = new ProbeFaults(rewriteTo: 0);
            await using UringRuntime runtime = Create(faults);
            using SafeFileHandle handle = File.OpenHandle(path);
            FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64));
            File.ReadAllBytes(path);

            (int tail, int past) = await runtime.Workers[0].RunAsync(async () =>
            {
                byte[] buffer = new byte[BlockSize];
                int crossing = await UringRandomAccess.ReadAsync(handle, buffer, BlockSize);
                Assert.That(buffer.AsSpan(0, 100).SequenceEqual(content.AsSpan(BlockSize, 100)), Is.True);
                return (crossing, await UringRandomAccess.ReadAsync(handle, buffer, 2 * BlockSize));
            });

            Assert.That(tail, Is.EqualTo(100), "a read across the end returns the bytes before it");
            Assert.That(past, Is.Zero);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task MostlyMissingCache_ProbesOnlyASample_UntilTheCacheServesAgain()
    {
        string path = TestFiles.CreateRandom(32 * BlockSize, out byte[] content);
        try
        {
            var faults = new ProbeFaults(rewriteTo: -Errno.EAGAIN);
            await using UringRuntime runtime = Create(faults);
            using SafeFileHandle handle = File.OpenHandle(path);
            FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64));
            File.ReadAllBytes(path);

            // Every probe misses: after a window of 32, reads stop probing but for one in 16.
            for (int pass = 0; pass < 2; pass++)
            {
                await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));
            }

            Assert.That(faults.WithNoWait, Is.EqualTo(32 + 2), "32 probes, then 2 samples in the next 32 reads");

            // The cache serves again: the sampled probes hit, and after a window of them every read probes again.
            faults.RewriteTo = 0;
            for (int pass = 0; pass < 17; pass++)
            {
                await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));
            }

            int before = faults.WithNoWait;
            await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));
            Assert.That(faults.WithNoWait - before, Is.EqualTo(32), "probing again");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task RefusedFlag_IsRemembered_AndLaterReadsDoNotProbe()
    {
        string path = TestFiles.CreateRandom(32 * BlockSize, out byte[] content);
        try
        {
            var faults = new ProbeFaults(rewriteTo: -Errno.EOPNOTSUPP);
            await using UringRuntime runtime = Create(faults);
            using SafeFileHandle handle = File.OpenHandle(path);
            FileProfile profile = FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64));

            await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));

            Assert.That(profile.NoWaitUnsupported, Is.True);
            Assert.That(faults.WithNoWait, Is.EqualTo(1), "only the first read probed");
            Assert.That(faults.WithoutNoWait, Is.EqualTo(32));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task DirectFiles_AreNotProbed()
    {
        string path = TestFiles.CreateRandom(16 * BlockSize, out byte[] content);
        try
        {
            var faults = new ProbeFaults(rewriteTo: 0);
            await using UringRuntime runtime = Create(faults);
            using SafeFileHandle handle = File.OpenHandle(path);

            // An O_DIRECT profile (alignment 1, so any buffer passes the checks): every read reaches the device anyway.
            FileProfile.Attribute(handle, BlockDevice.CreateSynthetic("test", 64), new DirectIoAlignment(1, 1, "test"));

            await runtime.Workers[0].RunAsync(() => ReadAllAsync(handle, content));

            Assert.That(faults.WithNoWait, Is.Zero);
            Assert.That(faults.WithoutNoWait, Is.EqualTo(16));
            Assert.That(runtime.Workers[0].IoScheduler!.Counters(UringIoClass.Foreground.Id).Completed, Is.EqualTo(16));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static UringRuntime Create(ProbeFaults faults)
    {
        var options = new UringRuntimeOptions { WorkerCount = 1, Backend = UringBackend.IoUring, RingEntries = 64, RingFaults = _ => faults };
        return new UringRuntime(options);
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
