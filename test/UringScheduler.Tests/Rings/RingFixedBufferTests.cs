using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingFixedBufferTests
{
    private const int PageSize = 4096;

    [Test]
    public void RegisteredAlignedBuffer_WriteFixedThenReadFixed_RoundTrips()
    {
        using SafeFileHandle file = RingTestHelpers.CreateTempFile();
        int fd = RingTestHelpers.Fd(file);
        byte* memory = (byte*)NativeMemory.AlignedAlloc(2 * PageSize, PageSize);
        try
        {
            var whole = new Span<byte>(memory, 2 * PageSize);
            whole.Clear();
            byte[] data = RingTestHelpers.Pattern(PageSize, seed: 23);
            data.CopyTo(whole);

            using var ring = Ring.Create(8);
            ReadOnlySpan<IoVec> iov = [new IoVec { Base = memory, Length = 2 * PageSize }];
            Assert.That(ring.RegisterBuffers(iov), Is.Zero);

            // WRITE_FIXED from the first page, then READ_FIXED into the second: both inside registered buffer 0.
            RingPrep.WriteFixed(RingTestHelpers.GetSqe(ring), fd, memory, PageSize, PageSize, bufferIndex: 0, userData: 1);
            Assert.That(RingTestHelpers.WaitForCompletions(ring, 1)[0].Res, Is.EqualTo(PageSize));
            Assert.That(RingTestHelpers.ReadBack(file, PageSize, PageSize), Is.EqualTo(data), "written where asked");

            RingPrep.ReadFixed(RingTestHelpers.GetSqe(ring), fd, memory + PageSize, PageSize, PageSize, bufferIndex: 0, userData: 2);
            Assert.That(RingTestHelpers.WaitForCompletions(ring, 1)[0].Res, Is.EqualTo(PageSize));
            Assert.That(whole.Slice(PageSize).SequenceEqual(data), "read back into the second page");

            // An address outside the registered range is refused by the kernel.
            byte* outside = stackalloc byte[16];
            RingPrep.ReadFixed(RingTestHelpers.GetSqe(ring), fd, outside, 16, 0, bufferIndex: 0, userData: 3);
            Assert.That(RingTestHelpers.WaitForCompletions(ring, 1)[0].Res, Is.EqualTo(-Errno.EFAULT));

            Assert.That(ring.UnregisterBuffers(), Is.Zero);
        }
        finally
        {
            // The ring (and its registration) is gone by now: the using above ended before this block runs.
            NativeMemory.AlignedFree(memory);
        }
    }
}
