using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using UringScheduler.Diagnostics;

namespace UringScheduler.Tests.Runtime;

/// <summary>
/// <see cref="UringRuntimeOptions.MaxSubmitBatch"/>: a turn's SQEs go to the kernel over several enters of at most that
/// many, and nothing is lost or reordered on the way.
/// </summary>
public class SubmitBatchLimitTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(5)]
    public async Task BatchesNeverExceedTheLimit_AndEveryOperationCompletes(int limit)
    {
        await using var runtime = new UringRuntime(new UringRuntimeOptions
        {
            WorkerCount = 1,
            Backend = UringBackend.IoUring,
            MaxSubmitBatch = limit,
        });
        UringWorker worker = runtime.Workers[0];

        // The batch histogram is recorded on the worker's own thread, so the listener can tell its batches apart
        // from those of any other runtime alive in the process.
        var batches = new ConcurrentQueue<int>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == UringMetrics.MeterName && instrument.Name == UringMetrics.SubmitBatchSizeName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            if (UringWorker.Current == worker)
            {
                batches.Enqueue(value);
            }
        });
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (UringWorker.Current == worker)
            {
                batches.Enqueue((int)value);
            }
        });
        listener.Start();

        string path = Path.GetTempFileName();
        try
        {
            byte[] content = new byte[256 * 1024];
            Random.Shared.NextBytes(content);
            await File.WriteAllBytesAsync(path, content);
            using var handle = File.OpenHandle(path);

            const int Loops = 32, PerLoop = 100;
            long entersBefore = worker.EnterCalls;
            int completed = 0, wrong = 0;
            await worker.RunAsync(async () =>
            {
                await Task.WhenAll(Enumerable.Range(0, Loops).Select(async i =>
                {
                    byte[] buffer = new byte[4096];
                    for (int n = 0; n < PerLoop; n++)
                    {
                        if (n % 2 == 0)
                        {
                            await worker.NopAsync();
                        }
                        else
                        {
                            int offset = ((i * 13) + n) % 64 * 4096;
                            int read = await UringRandomAccess.ReadAsync(handle, buffer, offset);
                            if (read != 4096 || !buffer.AsSpan().SequenceEqual(content.AsSpan(offset, 4096)))
                            {
                                wrong++;
                            }
                        }

                        completed++;
                    }
                }));
            });

            long enters = worker.EnterCalls - entersBefore;
            int[] sizes = batches.ToArray();
            TestContext.Out.WriteLine($"limit {limit}: {sizes.Length} batches, largest {sizes.DefaultIfEmpty().Max()}, {enters} enters for {Loops * PerLoop} operations");
            Assert.That(completed, Is.EqualTo(Loops * PerLoop));
            Assert.That(wrong, Is.Zero);
            Assert.That(worker.OperationsInFlight, Is.Zero);
            Assert.That(sizes.Sum(), Is.GreaterThanOrEqualTo(Loops * PerLoop));
            if (limit == 0)
            {
                // Without a limit the 32 loops' operations go in together: the test would not notice a limit otherwise.
                Assert.That(sizes.Max(), Is.GreaterThan(5));
            }
            else
            {
                Assert.That(sizes.Max(), Is.LessThanOrEqualTo(limit));
                Assert.That(enters, Is.GreaterThanOrEqualTo(Loops * PerLoop / limit));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void NegativeLimit_IsRejectedByName()
    {
        var options = new UringRuntimeOptions { MaxSubmitBatch = -1 };
        Assert.That(options.Validate, Throws.InstanceOf<ArgumentOutOfRangeException>()
            .With.Property(nameof(ArgumentOutOfRangeException.ParamName)).EqualTo(nameof(UringRuntimeOptions.MaxSubmitBatch)));
    }
}
