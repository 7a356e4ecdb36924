using System.Diagnostics;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;
using UringScheduler.Bench.Methods;

namespace UringScheduler.Bench.Running;

/// <summary>
/// Runs one case on the calling thread: sets the method up, starts its loops, samples the process counters at the
/// edges of the measured phase, and reports progress about once a second meanwhile.
/// </summary>
internal sealed class CaseRunner
{
    /// <summary>How long loops get to notice the end and finish their last operation before the case is declared stuck.</summary>
    private static readonly TimeSpan s_joinTimeout = TimeSpan.FromSeconds(30);

    private readonly DataSet _dataSet;
    private readonly BenchOptions _options;

    public CaseRunner(DataSet dataSet, BenchOptions options)
    {
        _dataSet = dataSet;
        _options = options;
    }

    /// <summary>
    /// Runs <paramref name="spec"/>.
    /// A case that cannot run (runtime unavailable, loops failing) comes back as a failed result, not an exception;
    /// a <see cref="UsageException"/> (such as O_DIRECT refused) still propagates, since every case would hit it.
    /// </summary>
    /// <param name="spec">The case.</param>
    /// <param name="progress">Gets (seconds elapsed, seconds total, recent op/s) about once a second.</param>
    /// <param name="enter">Called once the case is set up, right before its loops start (a memory-limited regime enters its cgroup here).</param>
    /// <param name="leave">Called once the loops have stopped or failed, before the case is torn down, if <paramref name="enter"/> was called.</param>
    public CaseResult Run(CaseSpec spec, Action<double, double, double>? progress = null, Action? enter = null, Action? leave = null)
    {
        int workers = MethodRegistry.UsesRuntime(spec.Method) ? _options.Workers : 0;
        CaseContext context = new(_dataSet, spec.Concurrency, workers, _options.Direct, _options.Verify, _options.FastPath, _options.SubmitBatch, _options.IoScheduler)
        {
            IoLatencyGoal = _options.IoLatencyGoal,
            DeviceCapacity = _options.DeviceCapacity,
        };
        IBenchMethod method;
        try
        {
            method = MethodRegistry.Create(spec.Method, context);
        }
        catch (Exception e) when (e is not UsageException)
        {
            return CaseResult.FailedCase(spec.Name, spec.Method, spec.Concurrency, $"setup failed: {Describe(e)}");
        }

        bool entered = false;
        try
        {
            MeasurementClock clock = new(_options.Warmup, _options.Duration);
            LoopRecorder[] recorders = new LoopRecorder[spec.Concurrency];
            for (int i = 0; i < recorders.Length; i++)
            {
                recorders[i] = new LoopRecorder(clock);
            }

            entered = enter is not null;
            enter?.Invoke();
            method.Start(clock, recorders);
            clock.Begin();
            method.Release();
            // Join(0) rethrows a loop's failure, so a case whose loops all die at once ends at once instead of
            // sitting out its duration.
            Monitor monitor = new(clock, recorders, progress, () => method.Join(TimeSpan.Zero));
            monitor.WaitUntil(clock.MeasureStart);
            ProcessCounters before = ProcessCounters.Capture();
            monitor.WaitUntil(clock.MeasureEnd);
            ProcessCounters after = ProcessCounters.Capture();

            if (!method.Join(s_joinTimeout))
            {
                return CaseResult.FailedCase(spec.Name, spec.Method, spec.Concurrency, $"loops did not stop within {s_joinTimeout.TotalSeconds} s after the end");
            }

            return CaseMeasurement.Summarize(spec.Name, spec.Method, spec.Concurrency, method.Workers, clock, recorders, before, after) with
            {
                Backend = method.Backend,
                BackgroundMegabytesPerSecond = method.BackgroundMegabytesPerSecond,
                IoScheduler = method.IoScheduler,
            };
        }
        catch (Exception e) when (e is not UsageException)
        {
            return CaseResult.FailedCase(spec.Name, spec.Method, spec.Concurrency, Describe(e));
        }
        finally
        {
            if (entered)
            {
                leave?.Invoke();
            }

            try
            {
                method.Dispose();
            }
            catch (Exception e) when (e is not UsageException)
            {
                // Reported, not thrown: the figures are already taken and the next case should still run.
                Console.Error.WriteLine($"uring-bench: warning: {spec.Name}: cleanup failed: {Describe(e)}");
            }
        }
    }

    private static string Describe(Exception e)
    {
        Exception inner = e is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0] : e;
        return $"{inner.GetType().Name}: {inner.Message}";
    }

    /// <summary>Sleeps in short steps on the runner thread, reporting progress; never touches the ThreadPool.</summary>
    private sealed class Monitor
    {
        private readonly MeasurementClock _clock;
        private readonly LoopRecorder[] _recorders;
        private readonly Action<double, double, double>? _progress;
        private readonly Func<bool> _finished;
        private long _lastOps;
        private long _lastTimestamp;

        public Monitor(MeasurementClock clock, LoopRecorder[] recorders, Action<double, double, double>? progress, Func<bool> finished)
        {
            _finished = finished;
            _clock = clock;
            _recorders = recorders;
            _progress = progress;
            _lastTimestamp = Stopwatch.GetTimestamp();
        }

        public void WaitUntil(long timestamp)
        {
            while (true)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= timestamp)
                {
                    return;
                }

                // One report a second: the display is rendered on this thread, and rarer renders disturb the loops less.
                TimeSpan step = Stopwatch.GetElapsedTime(now, Math.Min(timestamp, now + Stopwatch.Frequency));
                Thread.Sleep(step);
                Report();
                if (_finished())
                {
                    return;
                }
            }
        }

        private void Report()
        {
            if (_progress is null)
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            long ops = 0;
            foreach (LoopRecorder recorder in _recorders)
            {
                ops += recorder.Ops;
            }

            double interval = (now - _lastTimestamp) / (double)Stopwatch.Frequency;
            double rate = interval > 0 ? (ops - _lastOps) / interval : 0;
            _lastOps = ops;
            _lastTimestamp = now;
            double elapsed = (now - _clock.Start) / (double)Stopwatch.Frequency;
            double total = (_clock.MeasureEnd - _clock.Start) / (double)Stopwatch.Frequency;
            _progress(Math.Min(elapsed, total), total, rate);
        }
    }
}
