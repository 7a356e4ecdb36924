namespace UringScheduler.Soak.Mixes;

/// <summary>
/// RunAsync across workers: work sent to a chosen worker (or round robin by the runtime) must run there, do a checked
/// read there, and hand its result (or its exception, of its own type) back to the caller, who resumes on its own worker.
/// </summary>
internal sealed class HopLoop(SoakContext context, UringWorker worker) : SoakLoop(context, worker)
{
    public override async Task StepAsync()
    {
        UringRuntime runtime = Context.Runtime;
        int choice = Random.Next(3);
        if (choice == 2)
        {
            Kind = "hop.exception";
            UringWorker target = runtime.Workers[Random.Next(runtime.Workers.Count)];
            int token = Random.Next();
            try
            {
                await target.RunAsync(async () =>
                {
                    await Task.Yield();
                    throw new SoakProbeException(token);
                });
                Mismatch($"work on {target} that throws completed");
            }
            catch (SoakProbeException e) when (e.Token == token)
            {
            }

            Count();
        }
        else
        {
            UringWorker? target = choice == 0 ? runtime.Workers[Random.Next(runtime.Workers.Count)] : null;
            Kind = choice == 0 ? "hop.worker" : "hop.runtime";
            int file = NextFile();
            long offset = Random.NextInt64(DataSet.FileSize / 4096) * 4096;
            Func<Task<int>> work = async () =>
            {
                UringWorker? here = UringWorker.Current;
                if (here is null || (target is not null && !ReferenceEquals(here, target)))
                {
                    Mismatch($"work sent to {target?.ToString() ?? "the runtime"} runs on {here?.ToString() ?? "no worker"}");
                }

                byte[] buffer = new byte[4096];
                int n = await Data.Registered[file].ReadAsync(buffer, offset);
                if (!ReferenceEquals(UringWorker.Current, here))
                {
                    Mismatch($"work on {here} resumed on {UringWorker.Current?.ToString() ?? "no worker"} after a read");
                }

                CheckRead($"file {file} @{offset} on {here}", n, 4096, buffer.AsSpan(0, Math.Clamp(n, 0, 4096)), DataSet.KeyOf(file), offset);
                await Task.Yield();
                return here?.Id ?? -1;
            };
            int ranOn = target is null ? await runtime.RunAsync(work) : await target.RunAsync(work);
            Count(2);
            if (target is not null && ranOn != target.Id)
            {
                Mismatch($"work for worker {target.Id} reports worker {ranOn}");
            }
        }

        CheckThread(Kind);
    }
}

/// <summary>The exception a probe throws on purpose; it must come back to the caller as it is.</summary>
internal sealed class SoakProbeException(int token) : Exception($"probe {token}")
{
    public int Token { get; } = token;
}
