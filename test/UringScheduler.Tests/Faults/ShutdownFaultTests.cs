namespace UringScheduler.Tests.Faults;

/// <summary>
/// The runtime is disposed while every operation's completion is held back as not yet reaped: the shutdown's own
/// cancels race the completions, and each operation must still end exactly once, with its result when the kernel had
/// finished it, cancelled when the cancel found it first, and nothing released before its final completion.
/// </summary>
public class ShutdownFaultTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    [TestCase(FaultKind.CompletionWinsCancel, OpKind.Read)]
    [TestCase(FaultKind.CompletionWinsCancel, OpKind.WriteV)]
    [TestCase(FaultKind.CompletionWinsCancel, OpKind.Receive)]
    [TestCase(FaultKind.CancelWins, OpKind.Read)]
    [TestCase(FaultKind.CancelWins, OpKind.Write)]
    [TestCase(FaultKind.CancelWins, OpKind.Delay)]
    public async Task DisposeWhileCompletionsAreHeld_EndsEachOperationOnce(FaultKind fault, OpKind kind)
    {
        await using FaultScenario scenario = FaultScenario.Create(kind);
        var plan = new FaultPlan(fault, scenario.Opcodes);
        var runtime = new UringRuntime(new UringRuntimeOptions
        {
            WorkerCount = 1,
            Backend = UringBackend.IoUring,
            RingEntries = 8,
            RegisteredBufferCount = FaultScenario.Count,
            RegisteredBufferSize = FaultScenario.BlockSize,
            RingFaults = _ => plan,
        });

        UringWorker worker = runtime.Workers[0];
        (long Result, Exception? Error)[] outcomes;
        long completed;
        try
        {
            await scenario.SetupAsync(runtime, plan);
            long before = worker.OperationsCompleted;
            Task<(long, Exception?)[]> run = worker.RunAsync(() =>
                Task.WhenAll(Enumerable.Range(0, FaultScenario.Count).Select(i => Capture(scenario.RunAsync(i, CancellationToken.None)))));

            DateTime deadline = DateTime.UtcNow + s_bound;
            while (plan.HeldCount < FaultScenario.Count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }

            Assert.That(plan.HeldCount, Is.EqualTo(FaultScenario.Count), "every completion held back");
            Task disposing = runtime.DisposeAsync().AsTask();
            outcomes = await run.WaitAsync(s_bound);
            await disposing.WaitAsync(s_bound);
            completed = worker.OperationsCompleted - before;
        }
        finally
        {
            await runtime.DisposeAsync().AsTask().WaitAsync(s_bound);
        }

        await scenario.CloseAsync();
        Assert.Multiple(() =>
        {
            Assert.That(completed, Is.EqualTo(FaultScenario.Count), "each operation completed exactly once");
            for (int i = 0; i < outcomes.Length; i++)
            {
                (long result, Exception? error) = outcomes[i];
                if (fault == FaultKind.CancelWins)
                {
                    Assert.That(error, Is.InstanceOf<ObjectDisposedException>(), $"operation {i}: what the disposal cut short ends with ObjectDisposedException");
                    scenario.VerifyNothingDone(i);
                }
                else
                {
                    Assert.That(error, Is.Null, $"operation {i}: the kernel had finished it, the result stands");
                    if (error is null)
                    {
                        scenario.VerifySuccess(i, Outcome.Full, result);
                    }
                }
            }

            Assert.That(plan.Violations, Is.Empty);
            Assert.That(plan.InKernel, Is.Empty);
            Assert.That(scenario.PinsHeld, Is.Zero);
        });
    }

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
}
