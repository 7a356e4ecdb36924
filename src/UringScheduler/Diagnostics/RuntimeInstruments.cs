using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using UringScheduler.IoScheduling;
using static UringScheduler.Diagnostics.UringMetrics;

namespace UringScheduler.Diagnostics;

/// <summary>
/// The observable instruments of the <c>UringScheduler</c> meter: read from counters the workers keep anyway, for the
/// runtimes alive when a listener collects, so they cost the hot path nothing.
/// </summary>
internal static class RuntimeInstruments
{
    private static readonly ConditionalWeakTable<UringRuntime, object> s_runtimeIds = [];
    private static int s_nextRuntimeId;

    static RuntimeInstruments()
    {
        UringMetrics.Meter.CreateObservableCounter(OperationsCompletedName, () => Observe(static w => w.OperationsCompleted), "{operation}",
            "Operations completed by the worker");
        UringMetrics.Meter.CreateObservableUpDownCounter(OperationsInFlightName, () => Observe(static w => w.OperationsInFlight), "{operation}",
            "Operations submitted to the worker and not yet completed");
        UringMetrics.Meter.CreateObservableCounter(SubmitCallsName, () => Observe(static w => w.EnterCalls), "{call}",
            "io_uring_enter calls made by the worker");
        UringMetrics.Meter.CreateObservableCounter(WakeupsName, () => Observe(static w => w.WakeWrites), "{wakeup}",
            "Wake-ups of a sleeping worker written by other threads");
        UringMetrics.Meter.CreateObservableCounter(LoopStallsName, () => Observe(static w => w.Stalls), "{stall}",
            "Worker loop turns that took longer than the stall threshold");
        UringMetrics.Meter.CreateObservableCounter(LoopTurnsName, () => Observe(static w => w.LoopTurns), "{turn}",
            "Worker loop turns run");
        UringMetrics.Meter.CreateObservableCounter(ConnectionsAcceptedName, () => Observe(static w => w.ConnectionsAccepted), "{connection}",
            "Connections accepted by the worker's ring");
        UringMetrics.Meter.CreateObservableCounter(BytesReceivedName, () => Observe(static w => w.SocketBytesReceived), "By",
            "Bytes received by socket requests on the worker");
        UringMetrics.Meter.CreateObservableCounter(BytesSentName, () => Observe(static w => w.SocketBytesSent), "By",
            "Bytes sent by socket requests on the worker");
        UringMetrics.Meter.CreateObservableCounter(ReceiveBufferExhaustionsName, () => Observe(static w => w.ReceiveBufferExhaustions), "{exhaustion}",
            "Times a leased receive on the worker found every receive buffer lent out");
        UringMetrics.Meter.CreateObservableUpDownCounter(IoQueuedName, () => ObserveClasses(static (in IoClassCounters c) => c.Queued), "{operation}",
            "File operations waiting in the worker's queue for device capacity, by I/O class");
        UringMetrics.Meter.CreateObservableUpDownCounter(IoInFlightName, () => ObserveClasses(static (in IoClassCounters c) => c.InFlight), "{operation}",
            "File operations of the worker on a device, by I/O class");
        UringMetrics.Meter.CreateObservableCounter(IoCompletedName, () => ObserveClasses(static (in IoClassCounters c) => c.Completed), "{operation}",
            "File operations to a device completed by the worker, by I/O class");
        UringMetrics.Meter.CreateObservableCounter(IoWaitedName, () => ObserveClasses(static (in IoClassCounters c) => c.Waited), "{operation}",
            "File operations that waited for device capacity, by I/O class");
        UringMetrics.Meter.CreateObservableCounter(IoQueueWaitName, ObserveWaitSeconds, "s",
            "Time file operations waited for device capacity, by I/O class");
        UringMetrics.Meter.CreateObservableCounter(IoPageCacheProbesName, ObserveProbes, "{operation}",
            "Buffered reads tried on the page cache first (RWF_NOWAIT), by result (hit: served from the cache; miss: went on to the device)");
    }

    private delegate long ClassCounterReader(in IoClassCounters counters);

    private static List<Measurement<long>> ObserveClasses(ClassCounterReader read)
    {
        var measurements = new List<Measurement<long>>();
        foreach ((object runtimeId, UringWorker worker, WorkerIoScheduler scheduler) in Schedulers())
        {
            for (int id = 0; id < UringIoClass.MaxClasses; id++)
            {
                ref IoClassCounters counters = ref scheduler.Counters(id);
                if ((counters.Completed | counters.Queued | counters.InFlight) != 0 && UringIoClass.FromId(id) is { } ioClass)
                {
                    measurements.Add(new Measurement<long>(read(in counters),
                        new KeyValuePair<string, object?>(RuntimeTag, runtimeId),
                        new KeyValuePair<string, object?>(WorkerTag, worker.Id),
                        new KeyValuePair<string, object?>(IoClassTag, ioClass.Name)));
                }
            }
        }

        return measurements;
    }

    private static List<Measurement<double>> ObserveWaitSeconds()
    {
        var measurements = new List<Measurement<double>>();
        foreach ((object runtimeId, UringWorker worker, WorkerIoScheduler scheduler) in Schedulers())
        {
            for (int id = 0; id < UringIoClass.MaxClasses; id++)
            {
                ref IoClassCounters counters = ref scheduler.Counters(id);
                if (counters.Waited != 0 && UringIoClass.FromId(id) is { } ioClass)
                {
                    measurements.Add(new Measurement<double>((double)counters.WaitTicks / Stopwatch.Frequency,
                        new KeyValuePair<string, object?>(RuntimeTag, runtimeId),
                        new KeyValuePair<string, object?>(WorkerTag, worker.Id),
                        new KeyValuePair<string, object?>(IoClassTag, ioClass.Name)));
                }
            }
        }

        return measurements;
    }

    private static List<Measurement<long>> ObserveProbes()
    {
        var measurements = new List<Measurement<long>>();
        foreach ((object runtimeId, UringWorker worker, WorkerIoScheduler scheduler) in Schedulers())
        {
            measurements.Add(new Measurement<long>(scheduler.ProbeHits,
                new KeyValuePair<string, object?>(RuntimeTag, runtimeId),
                new KeyValuePair<string, object?>(WorkerTag, worker.Id),
                new KeyValuePair<string, object?>(ProbeResultTag, "hit")));
            measurements.Add(new Measurement<long>(scheduler.ProbeMisses,
                new KeyValuePair<string, object?>(RuntimeTag, runtimeId),
                new KeyValuePair<string, object?>(WorkerTag, worker.Id),
                new KeyValuePair<string, object?>(ProbeResultTag, "miss")));
        }

        return measurements;
    }

    private static IEnumerable<(object RuntimeId, UringWorker Worker, WorkerIoScheduler Scheduler)> Schedulers()
    {
        foreach (UringRuntime runtime in UringRuntime.AliveSnapshot())
        {
            object runtimeId = GetRuntimeId(runtime);
            foreach (UringWorker worker in runtime.Workers)
            {
                if (worker.IoScheduler is { } scheduler)
                {
                    yield return (runtimeId, worker, scheduler);
                }
            }
        }
    }

    /// <summary>
    /// Called once per runtime as it starts: creates the instruments if need be, so that listeners (dotnet-counters)
    /// see them from the first runtime on, and gives the runtime its <c>uring.runtime</c> number.
    /// </summary>
    public static void OnRuntimeStarted(UringRuntime runtime) => GetRuntimeId(runtime);

    /// <summary>The number that tags <paramref name="runtime"/>'s measurements (<c>uring.runtime</c>).</summary>
    public static int GetRuntimeId(UringRuntime runtime) =>
        (int)s_runtimeIds.GetValue(runtime, static _ => Interlocked.Increment(ref s_nextRuntimeId));

    private static List<Measurement<long>> Observe(Func<UringWorker, long> read)
    {
        var measurements = new List<Measurement<long>>();
        foreach (UringRuntime runtime in UringRuntime.AliveSnapshot())
        {
            object runtimeId = GetRuntimeId(runtime);
            foreach (UringWorker worker in runtime.Workers)
            {
                measurements.Add(new Measurement<long>(read(worker),
                    new KeyValuePair<string, object?>(RuntimeTag, runtimeId),
                    new KeyValuePair<string, object?>(WorkerTag, worker.Id)));
            }
        }

        return measurements;
    }
}
