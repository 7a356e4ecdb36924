using UringScheduler.Rings;

namespace UringScheduler.Tests.Rings;

public class RingIoWorkerLimitsTests
{
    [Test]
    public void SetIoWorkerLimits_ReturnsPreviousLimits()
    {
        using var ring = Ring.Create(8);

        // io-wq belongs to the thread, not the ring: restore what was there so later tests on this thread are unaffected.
        uint bounded = 3;
        uint unbounded = 5;
        Assert.That(ring.SetIoWorkerLimits(ref bounded, ref unbounded), Is.Zero);
        uint previousBounded = bounded;
        uint previousUnbounded = unbounded;
        try
        {
            Assert.That(previousBounded, Is.GreaterThan(0u));
            Assert.That(previousUnbounded, Is.GreaterThan(0u));

            // Zero leaves a limit unchanged and only reports it: the values just set come back.
            uint queryBounded = 0;
            uint queryUnbounded = 0;
            Assert.That(ring.SetIoWorkerLimits(ref queryBounded, ref queryUnbounded), Is.Zero);
            Assert.That(queryBounded, Is.EqualTo(3u));
            Assert.That(queryUnbounded, Is.EqualTo(5u));
        }
        finally
        {
            Assert.That(ring.SetIoWorkerLimits(ref previousBounded, ref previousUnbounded), Is.Zero);
        }
    }
}
