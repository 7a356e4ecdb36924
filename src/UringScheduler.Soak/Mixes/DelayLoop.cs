namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Ring-native delays and no-ops: a delay of 0-3 ms on this worker's ring or on another worker's, which must not end
/// early (measured on the same monotonic clock; 0.1 ms of slack for rounding) and must resume on this worker; and ring no-ops.
/// </summary>
internal sealed class DelayLoop(SoakContext context, UringWorker worker) : SoakLoop(context, worker)
{
    private static readonly TimeSpan s_slack = TimeSpan.FromMicroseconds(100);

    public override async Task StepAsync()
    {
        int choice = Random.Next(4);
        if (choice == 3)
        {
            Kind = "delay.nop";
            await Worker!.NopAsync();
            Count();
        }
        else
        {
            UringWorker ring = choice == 2 ? Context.Runtime.Workers[Random.Next(Context.Runtime.Workers.Count)] : Worker!;
            Kind = choice == 2 ? "delay.on-any-worker" : "delay.own-worker";
            TimeSpan delay = TimeSpan.FromMicroseconds(Random.Next(0, 3000));
            long start = Now();
            await ring.DelayAsync(delay);
            TimeSpan elapsed = Since(start);
            Count();
            if (elapsed + s_slack < delay)
            {
                Mismatch($"a {delay.TotalMilliseconds:F3} ms delay on {ring} ended after {elapsed.TotalMilliseconds:F3} ms");
            }
        }

        CheckThread(Kind);
    }
}
