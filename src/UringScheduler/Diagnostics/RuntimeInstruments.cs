using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
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
