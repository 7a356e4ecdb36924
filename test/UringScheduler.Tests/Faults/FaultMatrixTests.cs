using System.Net.Sockets;

namespace UringScheduler.Tests.Faults;

/// <summary>
/// Every fault kind against every operation kind, on the real kernel: <see cref="FaultScenario.Count"/> operations at
/// once on a one-worker runtime whose ring answers through a <see cref="FaultPlan"/>. Each operation must complete
/// exactly once (the worker's completion count moves by exactly that many) with the result or the exception the fault
/// calls for; every SQE must see exactly one final completion; no buffer may be unpinned while a request the kernel
/// owns names it, and every pin must be given back.
/// </summary>
public class FaultMatrixTests
{
    private const uint RingEntries = 8;
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    [Test]
    public async Task EachOperationCompletesExactlyOnce_WithTheRightOutcome(
        [Values] FaultKind fault,
        [Values] OpKind kind)
    {
        await using FaultScenario scenario = FaultScenario.Create(kind);
        var plan = new FaultPlan(fault, scenario.Opcodes, cqEntries: fault == FaultKind.CqOverflow ? RingEntries : 0u);
        Outcome expected = FaultScenario.Expected(fault, kind);
        bool cancels = fault is FaultKind.CancelWins or FaultKind.CompletionWinsCancel;

        var runtime = new UringRuntime(new UringRuntimeOptions
        {
            WorkerCount = 1,
            Backend = UringBackend.IoUring,
            RingEntries = (int)RingEntries,
            RegisteredBufferCount = FaultScenario.Count,
            RegisteredBufferSize = FaultScenario.BlockSize,
            RingFaults = _ => plan,
        });

        (long Result, Exception? Error)[] outcomes;
        long completed;
        long fixedBuffer;
        UringWorker worker = runtime.Workers[0];
        try
        {
            await scenario.SetupAsync(runtime, plan);
            using var cts = new CancellationTokenSource();
            CancellationToken token = cancels ? cts.Token : CancellationToken.None;
            long completedBefore = worker.OperationsCompleted;
            long fixedBefore = worker.FixedBufferOperations;
            Task<(long, Exception?)[]> run = worker.RunAsync(() =>
            {
                var all = new Task<(long, Exception?)>[FaultScenario.Count];
                for (int i = 0; i < all.Length; i++)
                {
                    all[i] = Capture(scenario.RunAsync(i, token));
                }

                return Task.WhenAll(all);
            });

            if (cancels)
            {
                // Every completion is held as if not yet reaped; only then does the caller cancel.
                await WaitUntil(() => plan.HeldCount == FaultScenario.Count, "every completion held back");
                Assert.That(run.IsCompleted, Is.False, "nothing completes while its completion is held back");
                cts.Cancel();
            }

            try
            {
                outcomes = await run.WaitAsync(s_bound);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"operations still in flight after {s_bound}: {worker.OperationsInFlight}; SQEs the kernel owns: {string.Join(", ", plan.InKernel.Select(p => $"{p.Key:x}x{p.Value}"))}; faults injected: {plan.Injected}");
                throw;
            }

            completed = worker.OperationsCompleted - completedBefore;
            fixedBuffer = worker.FixedBufferOperations - fixedBefore;
            await scenario.CloseAsync();
        }
        finally
        {
            await runtime.DisposeAsync().AsTask().WaitAsync(s_bound);
        }

        Assert.Multiple(() =>
        {
            Assert.That(completed, Is.EqualTo(FaultScenario.Count), "each operation completed exactly once");
            for (int i = 0; i < outcomes.Length; i++)
            {
                (long result, Exception? error) = outcomes[i];
                switch (expected)
                {
                    case Outcome.Canceled:
                        Assert.That(error, Is.InstanceOf<OperationCanceledException>(), $"operation {i}");
                        if (cancels && error is OperationCanceledException oce)
                        {
                            Assert.That(oce.CancellationToken.IsCancellationRequested, Is.True, $"operation {i} names the caller's token");
                        }

                        scenario.VerifyNothingDone(i);
                        break;
                    case Outcome.Aborted:
                        Assert.That(error, Is.InstanceOf<SocketException>().With.Property(nameof(SocketException.SocketErrorCode)).EqualTo(SocketError.OperationAborted), $"operation {i}");
                        scenario.VerifyNothingDone(i);
                        break;
                    default:
                        Assert.That(error, Is.Null, $"operation {i}");
                        if (error is null)
                        {
                            scenario.VerifySuccess(i, expected, result);
                        }

                        break;
                }
            }

            Assert.That(plan.Violations, Is.Empty, "the kernel's books");
            Assert.That(plan.InKernel, Is.Empty, "SQEs without their final completion after shutdown");
            Assert.That(scenario.PinsHeld, Is.Zero, "pins not given back");
            if (scenario.UsesFixedBuffers && expected is not Outcome.Canceled)
            {
                Assert.That(fixedBuffer, Is.EqualTo(FaultScenario.Count), "the registered buffers went out with the fixed opcodes");
            }

            if (FaultApplies(fault, scenario))
            {
                Assert.That(plan.Injected, Is.GreaterThan(0), "the fault was injected");
            }

            if (fault == FaultKind.CqOverflow)
            {
                Assert.That(plan.OverflowsSeen, Is.GreaterThan(0), "the kernel overflowed the CQ");
            }
        });
    }

    private static bool FaultApplies(FaultKind fault, FaultScenario scenario) => fault switch
    {
        FaultKind.None => false,
        FaultKind.ShortTransfer or FaultKind.ZeroTransfer => scenario.Transfers,
        _ => true,
    };

    private static async Task<(long, Exception?)> Capture(ValueTask<long> operation)
    {
        try
        {
            return (await operation, null);
        }
        catch (Exception e)
        {
            return (0, e);
        }
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + s_bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }
}
