using System.Diagnostics;
using UringScheduler.IoScheduling;

namespace UringScheduler.Tests.IoScheduling;

/// <summary>The shared capacity counter: batches, the probe reserve, and the limit that follows a latency goal.</summary>
public sealed class DeviceBudgetTests
{
    private static readonly BlockDevice s_device = BlockDevice.CreateSynthetic("budget-test", 64);

    [Test]
    public void Take_StaysWithinTheLimit_InBatches()
    {
        var budget = new DeviceBudget(s_device, capacity: 64, workerCount: 2, wake: _ => { });
        Assert.That(budget.Batch, Is.EqualTo(8));
        int taken = 0;
        int got;
        while ((got = budget.TryTake(budget.Limit)) > 0)
        {
            Assert.That(got, Is.InRange(1, budget.Batch));
            taken += got;
        }

        Assert.That(taken, Is.EqualTo(64));
        Assert.That(budget.TryTake(budget.ProbeLimit), Is.InRange(1, 8), "probes have a reserve above the limit");
        Assert.That(budget.ProbeLimit, Is.EqualTo(64 + 16));
    }

    [Test]
    public void Return_WakesTheWaitingWorkers_ButNotTheOneReturning()
    {
        var woken = new List<int>();
        var budget = new DeviceBudget(s_device, capacity: 4, workerCount: 3, wake: woken.Add);
        budget.AddWaiter(0);
        budget.AddWaiter(2);
        Assert.That(budget.HasWaiters, Is.True);
        int units = budget.TryTake(budget.Limit);
        budget.Return(units, workerId: 2);
        Assert.That(woken, Is.EqualTo(new[] { 0 }));
        budget.RemoveWaiter(2);
        Assert.That(budget.HasWaiters, Is.False);
    }

    [Test]
    public void LatencyGoal_ShrinksTheLimitWhileReadsAreSlow_AndGrowsItBack()
    {
        long goal = Stopwatch.Frequency / 1000; // 1 ms
        var budget = new DeviceBudget(s_device, capacity: 64, workerCount: 1, wake: _ => { }, latencyGoalTicks: goal);

        budget.ReportReadLatency(goal * 3);
        Assert.That(budget.Limit, Is.EqualTo(56), "an eighth down while over the goal");
        for (int i = 0; i < 100; i++)
        {
            budget.ReportReadLatency(goal * 3);
        }

        Assert.That(budget.Limit, Is.EqualTo(2), "never below 2");
        budget.ReportReadLatency(goal * 7 / 8);
        Assert.That(budget.Limit, Is.EqualTo(2), "between three quarters of the goal and the goal: unchanged");
        budget.ReportReadLatency(goal / 2);
        Assert.That(budget.Limit, Is.EqualTo(3), "one up while under three quarters of it");
        for (int i = 0; i < 100; i++)
        {
            budget.ReportReadLatency(goal / 2);
        }

        Assert.That(budget.Limit, Is.EqualTo(64), "never above the capacity");
    }

    [Test]
    public void NoLatencyGoal_KeepsTheLimitAtTheCapacity()
    {
        var budget = new DeviceBudget(s_device, capacity: 64, workerCount: 1, wake: _ => { });
        budget.ReportReadLatency(long.MaxValue / 2);
        Assert.That(budget.Limit, Is.EqualTo(64));
        Assert.That(budget.TracksLatency, Is.False);
    }
}
