using UringScheduler.Rings;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


/// <summary>Shared plumbing for the ring tests: reaping with a deadline, temp files and pipes.</summary>
internal static unsafe class RingTestHelpers
{
    /// <summary>Long enough never to trip on a loaded CI machine, short enough that a hang fails the test quickly.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Submits whatever is prepared and reaps until exactly <paramref name="count"/> completions have arrived; fails the
    /// test if they do not arrive before the deadline or if more arrive than expected.
    /// </summary>
    public static List<Cqe> WaitForCompletions(Ring ring, int count, TimeSpan? deadline = null)
    {
        var result = new List<Cqe>(count);
        Span<Cqe> buffer = stackalloc Cqe[32];
        var sw = Stopwatch.StartNew();
        TimeSpan limit = deadline ?? DefaultDeadline;
        while (true)
        {
            int n = ring.Drain(buffer);
            for (int i = 0; i < n; i++)
            {
                result.Add(buffer[i]);
            }

            if (result.Count >= count)
            {
                break;
            }

            TimeSpan left = limit - sw.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"Only {result.Count} of {count} completions arrived within {limit}.");
            }

            int rc = ring.SubmitAndWait(1, (long)left.TotalNanoseconds);
            Assert.That(rc, Is.GreaterThanOrEqualTo(0), () => $"io_uring_enter failed: {Errno.Describe(-rc)}");
        }

        Assert.That(result, Has.Count.EqualTo(count), "more completions than operations submitted");
        return result;
    }

    /// <summary>The completion with <paramref name="userData"/>; fails the test if it is missing or duplicated.</summary>
    public static Cqe Single(List<Cqe> cqes, ulong userData)
    {
        List<Cqe> matches = cqes.FindAll(c => c.UserData == userData);
        Assert.That(matches, Has.Count.EqualTo(1), $"completions with user_data {userData}");
        return matches[0];
    }

    /// <summary>Gets an SQE, failing the test when the SQ is unexpectedly full.</summary>
    public static Sqe* GetSqe(Ring ring)
    {
        Sqe* sqe = ring.TryGetSqe();
        Assert.That(sqe != null, "the submission queue should have room");
        return sqe;
    }

    /// <summary>A read-write temporary file, deleted when the handle closes.</summary>
    public static SafeFileHandle CreateTempFile() => TestFiles.CreateDeleteOnClose();

    public static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    /// <summary>A deterministic, position-dependent pattern, so a misplaced byte shows.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)((i * 31) + (i >> 8) + seed);
        }

        return data;
    }

    /// <summary>Reads the file back with ordinary syscalls, independent of the ring.</summary>
    public static byte[] ReadBack(SafeFileHandle handle, long offset, int length)
    {
        byte[] data = new byte[length];
        int total = 0;
        while (total < length)
        {
            int n = RandomAccess.Read(handle, data.AsSpan(total), offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return data.AsSpan(0, total).ToArray();
    }
}
