using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public class RingSetupErrorsTests
{
    [Test]
    public void Enosys_NamesTheKernelVersion()
    {
        UringUnavailableException e = RingSetupErrors.ForSetupFailure(Errno.ENOSYS, 0, "4.19.0-test");
        Assert.That(e.Errno, Is.EqualTo(Errno.ENOSYS));
        Assert.That(e.Message, Does.Contain("4.19.0-test"));
        Assert.That(e.Message, Does.Contain("5.6"), "says which kernel is needed");
        Assert.That(e.Message, Does.Contain("seccomp"), "a seccomp filter can answer ENOSYS too");
    }

    [Test]
    public void Eperm_NamesSeccompAndTheSysctl()
    {
        UringUnavailableException e = RingSetupErrors.ForSetupFailure(Errno.EPERM, 0, "6.18.0");
        Assert.That(e.Errno, Is.EqualTo(Errno.EPERM));
        Assert.That(e.Message, Does.Contain("seccomp"));
        Assert.That(e.Message, Does.Contain("EPERM"));
        if (File.Exists("/proc/sys/kernel/io_uring_disabled"))
        {
            // The sysctl exists from Linux 6.6; where it does, the message reports its value.
            Assert.That(e.Message, Does.Contain("kernel.io_uring_disabled"));
        }
    }

    [Test]
    public void Enomem_NamesTheMemlockLimit()
    {
        UringUnavailableException e = RingSetupErrors.ForSetupFailure(Errno.ENOMEM, 0, "5.10.0");
        Assert.That(e.Errno, Is.EqualTo(Errno.ENOMEM));
        Assert.That(e.Message, Does.Contain("RLIMIT_MEMLOCK"));
        Assert.That(e.Message, Does.Contain("ulimit -l"));
    }

    [Test]
    public void Einval_NamesTheRejectedFlags()
    {
        uint flags = Ring.FlagsFor(RingSetupRung.DeferTaskRun);
        UringUnavailableException e = RingSetupErrors.ForSetupFailure(Errno.EINVAL, flags, "5.4.0");
        Assert.That(e.Errno, Is.EqualTo(Errno.EINVAL));
        Assert.That(e.Message, Does.Contain("DEFER_TASKRUN"));
        Assert.That(e.Message, Does.Contain("SINGLE_ISSUER"));
        Assert.That(e.Message, Does.Contain("5.4.0"));
    }

    [Test]
    public void OtherErrno_IsDescribed()
    {
        UringUnavailableException e = RingSetupErrors.ForSetupFailure(Errno.EMFILE, 0, "6.1.0");
        Assert.That(e.Errno, Is.EqualTo(Errno.EMFILE));
        Assert.That(e.Message, Does.Contain("ulimit -n"));
        Assert.That(e.HResult, Is.EqualTo(Errno.EMFILE));
    }

    [TestCase(0u)]
    [TestCase(3u)]
    [TestCase(65536u)]
    public void InvalidEntries_Throw(uint entries)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Ring.Create(entries).Dispose())!;
        Assert.That(e.ParamName, Is.EqualTo("entries"));
    }

    [Test]
    public void FormatSetupFlags_NamesEveryBit_AndUnknownOnesInHex()
    {
        Assert.That(RingFeatures.FormatSetupFlags(0), Is.EqualTo("none"));
        Assert.That(
            RingFeatures.FormatSetupFlags(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | (1u << 30)),
            Is.EqualTo("SINGLE_ISSUER|DEFER_TASKRUN|0x40000000"));
    }
}
