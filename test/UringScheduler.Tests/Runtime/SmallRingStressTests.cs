namespace UringScheduler.Tests.Runtime;

/// <summary>
/// A ring far smaller than the work in flight: the SQ fills (operations wait in the worker's backlog) and the CQ
/// overflows into the kernel's list (NODROP). Every operation must still complete exactly once.
/// </summary>
public class SmallRingStressTests
{
    [Test]
    public async Task TwoEntryRing_WithHundredsInFlight_LosesNothing()
    {
        await using var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 1, RingEntries = 2, Backend = UringBackend.IoUring });
        UringWorker worker = runtime.Workers[0];
        string path = Path.GetTempFileName();
        try
        {
            byte[] content = new byte[64 * 1024];
            Random.Shared.NextBytes(content);
            await File.WriteAllBytesAsync(path, content);
            using var handle = File.OpenHandle(path);

            int completed = 0, wrong = 0;
            await worker.RunAsync(async () =>
            {
                var loops = Enumerable.Range(0, 300).Select(async i =>
                {
                    byte[] buffer = new byte[512];
                    for (int n = 0; n < 50; n++)
                    {
                        if (n % 2 == 0)
                        {
                            await worker.NopAsync();
                        }
                        else
                        {
                            int offset = ((i * 7) + n) % 128 * 512;
                            int read = await UringRandomAccess.ReadAsync(handle, buffer, offset);
                            if (read != 512 || !buffer.AsSpan().SequenceEqual(content.AsSpan(offset, 512)))
                            {
                                wrong++;
                            }
                        }

                        completed++;
                    }
                }).ToList();
                await Task.WhenAll(loops);
            });

            Assert.That(completed, Is.EqualTo(300 * 50));
            Assert.That(wrong, Is.Zero);
            Assert.That(worker.OperationsInFlight, Is.Zero);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
