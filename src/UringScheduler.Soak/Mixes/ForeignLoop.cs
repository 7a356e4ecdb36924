namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Calls from threads that are no worker's: ring delays and RunAsync on a chosen worker (the work must run there,
/// the caller resume off the runtime), beside the foreign reads and writes of <see cref="ReadLoop"/> and
/// <see cref="WriteLoop"/> run with no worker.
/// </summary>
internal sealed class ForeignLoop(SoakContext context) : SoakLoop(context, worker: null)
{
    private static readonly TimeSpan s_slack = TimeSpan.FromMicroseconds(100);

    public override async Task StepAsync()
    {
        UringWorker target = Context.Runtime.Workers[Random.Next(Context.Runtime.Workers.Count)];
        if (Random.Next(2) == 0)
        {
            Kind = "foreign.delay";
            TimeSpan delay = TimeSpan.FromMicroseconds(Random.Next(0, 3000));
            long start = Now();
            await target.DelayAsync(delay);
            TimeSpan elapsed = Since(start);
            Count();
            if (elapsed + s_slack < delay)
            {
                Mismatch($"a {delay.TotalMilliseconds:F3} ms delay on {target} ended after {elapsed.TotalMilliseconds:F3} ms");
            }
        }
        else
        {
            Kind = "foreign.run-on-worker";
            int file = NextFile();
            long offset = Random.NextInt64(DataSet.FileSize / 4096) * 4096;
            int ranOn = await target.RunAsync(async () =>
            {
                byte[] buffer = new byte[4096];
                int n = await UringRandomAccess.ReadAsync(Data.DataHandles[file], buffer, offset);
                CheckRead($"file {file} @{offset} on {target}", n, 4096, buffer.AsSpan(0, Math.Clamp(n, 0, 4096)), DataSet.KeyOf(file), offset);
                return UringWorker.Current?.Id ?? -1;
            });
            Count(2);
            if (ranOn != target.Id)
            {
                Mismatch($"work for worker {target.Id} ran on {ranOn}");
            }
        }

        CheckThread(Kind);
    }
}
