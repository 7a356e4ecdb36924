using System.Diagnostics;
using UringScheduler.Soak.Mixes;

namespace UringScheduler.Soak;

/// <summary>
/// One soak: the data set, the runtime, every loop on every worker (and a few off the runtime), a warm-up, a sample,
/// the load for the rest of the duration, a second sample, the stop, and the verdict.
/// </summary>
internal sealed class SoakRun(SoakOptions options, TextWriter output)
{
    /// <summary>Descriptors may grow by this many after the warm-up (a leak per operation or per connection grows by thousands).</summary>
    public const int DescriptorTolerance = 16;

    /// <summary>Resident memory may grow by max(this, <see cref="RssToleranceFraction"/> of the start) after the warm-up.</summary>
    public const double RssToleranceMiB = 64;

    public const double RssToleranceFraction = 0.25;

    private static readonly TimeSpan s_stopLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_progressEvery = TimeSpan.FromSeconds(5);

    private readonly List<(SoakLoop Loop, string Where)> _loops = [];
    private readonly List<Task> _loopTasks = [];
    private readonly List<string> _failures = [];
    private Dictionary<int, string>? _startDescriptors;

    public async Task<SoakResult> RunAsync(CancellationToken interrupt)
    {
        var findings = new Findings(output, TimeProvider.System);
        var gate = new PauseGate();
        var result = new SoakResult { Backend = options.Backend.ToString(), Seed = options.Seed, Workers = options.Workers };
        output.WriteLine($"uring-soak: {options.DurationSeconds:0.#} s on {options.Workers} workers, backend {options.Backend}, seed {options.Seed}" +
            (options.Mixes.Count < SoakOptions.AllMixes.Length ? $", mixes {string.Join(',', SoakOptions.AllMixes.Where(options.Mixes.Contains))}" : ""));
        DataSet data = DataSet.Create();
        try
        {
            UringRuntime runtime;
            try
            {
                runtime = new UringRuntime(new UringRuntimeOptions
                {
                    WorkerCount = options.Workers,
                    Backend = options.Backend,
                    RegisteredBufferCount = BufferCount(options.Workers),
                    RegisteredBufferSize = 16384,
                });
            }
            catch (UringUnavailableException e)
            {
                result.StartError = e.Message;
                return result;
            }

            try
            {
                await RunOnRuntimeAsync(runtime, data, findings, gate, result, interrupt);
            }
            finally
            {
                Task dispose = runtime.DisposeAsync().AsTask();
                if (await Task.WhenAny(dispose, Task.Delay(s_stopLimit)) != dispose)
                {
                    _failures.Add($"the runtime did not dispose within {s_stopLimit.TotalSeconds} s");
                }
            }
        }
        finally
        {
            data.Dispose();
            data.Delete();
        }

        result.Operations = findings.Operations;
        result.Mismatches = findings.Mismatches;
        result.UnexpectedErrors = findings.Unexpected;
        result.Tallies = findings.Tallies.ToList();
        result.Outcomes = findings.Outcomes.ToList();
        result.Failures.AddRange(_failures);
        return result;
    }

    private async Task RunOnRuntimeAsync(UringRuntime runtime, DataSet data, Findings findings, PauseGate gate, SoakResult result, CancellationToken interrupt)
    {
        result.Backend = runtime.ActiveBackend.ToString();
        data.Open();
        result.DirectIo = data.DirectUnavailable is null;
        output.WriteLine($"backend {runtime.ActiveBackend}, {runtime.Workers.Count} workers, {runtime.Buffers?.Count} registered buffers of {runtime.Buffers?.BufferSize} B, " +
            $"data in {data.Directory}, O_DIRECT {(data.DirectUnavailable is null ? $"on ({data.Direct![0].Alignment})" : $"off: {data.DirectUnavailable}")}");
        output.WriteLine($"tolerances after the warm-up of {options.WarmUp.TotalSeconds:0.#} s: fds +{DescriptorTolerance}, rss +max({RssToleranceMiB} MiB, {RssToleranceFraction:P0}), operations in flight +0");

        var context = new SoakContext(runtime, data, findings, gate, options.Seed);
        var server = new EchoServer(context);
        server.Start();
        StartLoops(context);

        var clock = Stopwatch.StartNew();
        TimeSpan duration = TimeSpan.FromSeconds(options.DurationSeconds);
        TimeSpan nextProgress = s_progressEvery;
        bool sampledStart = false;
        while (clock.Elapsed < duration && !interrupt.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), interrupt);
            }
            catch (OperationCanceledException)
            {
                result.Interrupted = true;
                output.WriteLine("interrupted: stopping");
                break;
            }

            if (!sampledStart && clock.Elapsed >= options.WarmUp)
            {
                result.Start = await SampleAsync(context, "start");
                sampledStart = true;
            }

            if (clock.Elapsed >= nextProgress)
            {
                nextProgress += s_progressEvery;
                Progress(clock.Elapsed, findings);
            }
        }

        result.Start ??= await SampleAsync(context, "start");
        result.End = await SampleAsync(context, "end", resume: false);
        result.Seconds = clock.Elapsed.TotalSeconds;

        context.Stop();
        gate.Resume();
        Task loops = Task.WhenAll(_loopTasks);
        if (await Task.WhenAny(loops, Task.Delay(s_stopLimit)) != loops)
        {
            _failures.Add($"loops did not end within {s_stopLimit.TotalSeconds} s of the stop: {Stuck()}");
        }

        await server.StopAsync(s_stopLimit);
        await CheckQuietAsync(context, result);
        Progress(clock.Elapsed, findings);
    }

    private void StartLoops(SoakContext context)
    {
        IReadOnlySet<string> mixes = options.Mixes;
        foreach (UringWorker worker in context.Runtime.Workers)
        {
            for (int i = 0; i < 3 && mixes.Contains("read"); i++)
            {
                AddWorkerLoop(context, worker, () => new ReadLoop(context, worker));
            }

            for (int i = 0; i < 2; i++)
            {
                AddWorkerLoopIf("write", context, worker, () => new WriteLoop(context, worker));
                AddWorkerLoopIf("cancel", context, worker, () => new CancelLoop(context, worker));
                AddWorkerLoopIf("echo", context, worker, () => new EchoClientLoop(context, worker, unix: false));
            }

            AddWorkerLoopIf("vectored", context, worker, () => new VectoredLoop(context, worker));
            AddWorkerLoopIf("timeout", context, worker, () => new TimeoutLoop(context, worker));
            AddWorkerLoopIf("delay", context, worker, () => new DelayLoop(context, worker));
            AddWorkerLoopIf("churn", context, worker, () => new ChurnLoop(context, worker));
            AddWorkerLoopIf("hop", context, worker, () => new HopLoop(context, worker));
            AddWorkerLoopIf("echo", context, worker, () => new EchoClientLoop(context, worker, unix: true));
        }

        // Off the runtime: ThreadPool loops and one dedicated thread that blocks on each call.
        if (mixes.Contains("foreign"))
        {
            AddForeignLoop(context, new ReadLoop(context, worker: null));
            AddForeignLoop(context, new WriteLoop(context, worker: null));
            AddForeignLoop(context, new ForeignLoop(context));
            AddForeignLoop(context, new EchoClientLoop(context, worker: null, unix: false));
            AddForeignLoop(context, new EchoClientLoop(context, worker: null, unix: true));
            AddThreadLoop(context, new ReadLoop(context, worker: null));
        }
    }

    private void AddWorkerLoopIf(string mix, SoakContext context, UringWorker worker, Func<SoakLoop> create)
    {
        if (options.Mixes.Contains(mix))
        {
            AddWorkerLoop(context, worker, create);
        }
    }

    private void AddWorkerLoop(SoakContext context, UringWorker worker, Func<SoakLoop> create)
    {
        context.Gate.LoopStarted();
        _loopTasks.Add(worker.RunAsync(async () =>
        {
            SoakLoop loop = create();
            lock (_loops)
            {
                _loops.Add((loop, worker.ToString()));
            }

            await RunLoopAsync(context, loop);
        }));
    }

    private void AddForeignLoop(SoakContext context, SoakLoop loop)
    {
        context.Gate.LoopStarted();
        lock (_loops)
        {
            _loops.Add((loop, "thread pool"));
        }

        _loopTasks.Add(Task.Run(() => RunLoopAsync(context, loop)));
    }

    private void AddThreadLoop(SoakContext context, SoakLoop loop)
    {
        context.Gate.LoopStarted();
        lock (_loops)
        {
            _loops.Add((loop, "dedicated thread"));
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                loop.StartAsync().AsTask().GetAwaiter().GetResult();
                while (!context.Stopping)
                {
                    context.Gate.Wait();
                    if (context.Stopping)
                    {
                        break;
                    }

                    StepAsync(context, loop).GetAwaiter().GetResult();
                }

                loop.StopAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                context.Findings.UnexpectedError("loop", e, "dedicated thread");
            }
            finally
            {
                context.Gate.LoopEnded();
                done.SetResult();
            }
        })
        {
            IsBackground = true,
            Name = "soak foreign caller",
        };
        thread.Start();
        _loopTasks.Add(done.Task);
    }

    private async Task RunLoopAsync(SoakContext context, SoakLoop loop)
    {
        try
        {
            await loop.StartAsync();
            while (!context.Stopping)
            {
                await context.Gate.WaitAsync();
                if (context.Stopping)
                {
                    break;
                }

                await StepAsync(context, loop);
            }

            await loop.StopAsync();
        }
        catch (Exception e)
        {
            context.Findings.UnexpectedError("loop", e, loop.GetType().Name);
        }
        finally
        {
            context.Gate.LoopEnded();
        }
    }

    private static async Task StepAsync(SoakContext context, SoakLoop loop)
    {
        loop.StepStarted = Stopwatch.GetTimestamp();
        try
        {
            await loop.StepAsync();
        }
        catch (Exception e)
        {
            context.Findings.UnexpectedError(loop.Kind.Length > 0 ? loop.Kind : loop.GetType().Name, e);
        }
        finally
        {
            loop.StepStarted = 0;
        }
    }

    private string Stuck()
    {
        lock (_loops)
        {
            var stuck = _loops.Where(l => l.Loop.StepStarted != 0)
                .Select(l => $"{l.Loop.GetType().Name} on {l.Where} in {l.Loop.Kind} for {Stopwatch.GetElapsedTime(l.Loop.StepStarted).TotalSeconds:F1} s")
                .ToList();
            return stuck.Count == 0 ? "none in a step" : string.Join("; ", stuck);
        }
    }

    /// <summary>Pauses every loop between steps, lets the server side close its connections, collects, and samples.</summary>
    private async Task<ProcessSample> SampleAsync(SoakContext context, string which, bool resume = true)
    {
        if (!await context.Gate.PauseAsync(s_stopLimit))
        {
            _failures.Add($"not every loop paused within {s_stopLimit.TotalSeconds} s for the {which} sample (an operation that never completes?): {Stuck()}");
        }

        var settle = Stopwatch.StartNew();
        while (context.ActiveServerConnections > 0 && settle.Elapsed < s_stopLimit)
        {
            await Task.Delay(10);
        }

        if (context.ActiveServerConnections > 0)
        {
            _failures.Add($"{context.ActiveServerConnections} echo connections still open on the server {s_stopLimit.TotalSeconds} s after every client closed ({which} sample)");
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        ProcessSample sample = ProcessSample.Take();
        Dictionary<int, string> descriptors = ProcessSample.ListDescriptors();
        if (_startDescriptors is null)
        {
            _startDescriptors = descriptors;
        }
        else
        {
            // Name what changed, so that a growth can be traced to its kind (socket, pipe, file, eventfd...).
            string opened = string.Join(", ", descriptors.Where(d => !_startDescriptors.TryGetValue(d.Key, out string? target) || target != d.Value).Select(d => $"{d.Key} {d.Value}"));
            string closed = string.Join(", ", _startDescriptors.Where(d => !descriptors.TryGetValue(d.Key, out string? target) || target != d.Value).Select(d => $"{d.Key} {d.Value}"));
            output.WriteLine($"descriptors since the start sample: opened [{opened}], closed [{closed}]");
        }

        output.WriteLine($"sample ({which}): fds {sample.Descriptors}, rss {sample.RssMiB:F1} MiB (GC heap {sample.ManagedMiB:F1} MiB live, {sample.CommittedMiB:F1} MiB committed), {sample.Threads} threads ({sample.FallbackIoThreads} fallback I/O threads), operations in flight {sample.InFlight} (pending accepts)");
        if (resume)
        {
            context.Gate.Resume();
        }

        return sample;
    }

    /// <summary>After the stop: every pool buffer back, nothing in flight.</summary>
    private async Task CheckQuietAsync(SoakContext context, SoakResult result)
    {
        var wait = Stopwatch.StartNew();
        long inFlight;
        while ((inFlight = ProcessSample.ReadInFlight()) > 0 && wait.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }

        result.InFlightAfterStop = inFlight;
        if (inFlight != 0)
        {
            _failures.Add($"{inFlight} operations still in flight after every loop and listener stopped");
        }

        UringBufferPool pool = context.Buffers;
        result.BufferOverflowRentals = pool.OverflowRentals;
        if (pool.Available != pool.Count)
        {
            _failures.Add($"{pool.Count - pool.Available} of {pool.Count} pool buffers not returned after every loop stopped");
        }
    }

    private void Progress(TimeSpan elapsed, Findings findings)
    {
        output.WriteLine($"[{elapsed.TotalSeconds,5:F0} s] {findings.Operations:N0} operations, {findings.Mismatches} mismatches, {findings.Unexpected} unexpected errors, " +
            $"fds {ProcessSample.CountDescriptors()}, rss {ProcessSample.ReadRssMiB():F0} MiB");
    }

    /// <summary>Registered buffers: 1 to 64 of 16 KiB per ring, within half the locked-memory limit (charged once per ring); rentals beyond them get plain aligned buffers.</summary>
    private static int BufferCount(int workers)
    {
        long limit = long.MaxValue;
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max locked memory", StringComparison.Ordinal))
            {
                string soft = line["Max locked memory".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                if (long.TryParse(soft, System.Globalization.CultureInfo.InvariantCulture, out long bytes))
                {
                    limit = bytes;
                }
            }
        }

        long perRing = limit == long.MaxValue ? long.MaxValue : limit / 2 / workers;
        return (int)Math.Clamp(perRing / 16384, 1, 64);
    }
}
