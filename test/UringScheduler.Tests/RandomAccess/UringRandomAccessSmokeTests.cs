using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringRandomAccessSmokeTests(UringBackend backend)
{
    [Test]
    public async Task WriteThenRead_OnWorkerAndFromForeignThread()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        string path = Path.GetTempFileName();
        try
        {
            byte[] data = new byte[100_000];
            Random.Shared.NextBytes(data);
            using (SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
            {
                await runtime.Workers[0].RunAsync(async () =>
                {
                    await UringRandomAccess.WriteAsync(handle, data, 0);
                    byte[] back = new byte[data.Length + 10];
                    int n = await UringRandomAccess.ReadAsync(handle, back, 0);
                    Assert.That(n, Is.EqualTo(data.Length));
                    Assert.That(back.AsSpan(0, n).SequenceEqual(data), Is.True);
                    Assert.That(UringWorker.Current, Is.SameAs(runtime.Workers[0]));
                });

                byte[] foreign = new byte[1000];
                int m = await UringRandomAccess.ReadAsync(handle, foreign, 500);
                Assert.That(m, Is.EqualTo(1000));
                Assert.That(foreign.AsSpan().SequenceEqual(data.AsSpan(500, 1000)), Is.True);
                Assert.That(await UringRandomAccess.ReadAsync(handle, foreign, 1_000_000), Is.Zero);
                await UringRandomAccess.FlushToDiskAsync(handle);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
