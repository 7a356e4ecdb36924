using System.Diagnostics.Metrics;
using System.Reflection;

namespace UringScheduler.Diagnostics;

/// <summary>
/// The runtime's metrics: one static <see cref="Meter"/> named <c>UringScheduler</c>, readable with
/// <c>dotnet-counters monitor --counters UringScheduler -p PID</c> or any <see cref="MeterListener"/> (OpenTelemetry).
/// </summary>
/// <remarks>
/// <para>
/// Instruments (names and units are stable; see docs/hosting.md). Every measurement but the batch-size histogram is
/// observed from counters the workers keep anyway, so they cost the hot path nothing; they carry the tags
/// <c>uring.runtime</c> (a number given to each runtime in creation order, from 1) and <c>uring.worker</c> (the worker id):
/// </para>
/// <list type="table">
/// <listheader><term>name</term><description>kind, unit: meaning</description></listheader>
/// <item><term><c>uring.operations.completed</c></term><description>ObservableCounter, <c>{operation}</c>: operations completed by the worker.</description></item>
/// <item><term><c>uring.operations.in_flight</c></term><description>ObservableUpDownCounter, <c>{operation}</c>: operations submitted and not yet completed (read racily).</description></item>
/// <item><term><c>uring.submit.calls</c></term><description>ObservableCounter, <c>{call}</c>: <c>io_uring_enter</c> calls (0 on the fallback backend).</description></item>
/// <item><term><c>uring.submit.batch_size</c></term><description>Histogram, <c>{operation}</c>: SQEs handed to the kernel by one <c>io_uring_enter</c> that submitted any; tagged by <c>uring.worker</c> only.</description></item>
/// <item><term><c>uring.wakeups</c></term><description>ObservableCounter, <c>{wakeup}</c>: eventfd writes by other threads to wake a sleeping worker.</description></item>
/// <item><term><c>uring.loop.stalls</c></term><description>ObservableCounter, <c>{stall}</c>: loop turns longer than <see cref="UringRuntimeOptions.StallThreshold"/>.</description></item>
/// <item><term><c>uring.loop.turns</c></term><description>ObservableCounter, <c>{turn}</c>: loop turns run.</description></item>
/// <item><term><c>uring.socket.connections_accepted</c></term><description>ObservableCounter, <c>{connection}</c>: connections accepted by the worker's ring.</description></item>
/// <item><term><c>uring.socket.bytes_received</c></term><description>ObservableCounter, <c>By</c>: bytes received by socket requests on the worker.</description></item>
/// <item><term><c>uring.socket.bytes_sent</c></term><description>ObservableCounter, <c>By</c>: bytes sent by socket requests on the worker.</description></item>
/// <item><term><c>uring.io.queued</c>, <c>uring.io.in_flight</c></term><description>ObservableUpDownCounter, <c>{operation}</c>: file operations waiting for device capacity, and on a device, by <c>uring.io.class</c>.</description></item>
/// <item><term><c>uring.io.completed</c>, <c>uring.io.waited</c></term><description>ObservableCounter, <c>{operation}</c>: file operations to a device completed, and those that had to wait for capacity, by <c>uring.io.class</c>.</description></item>
/// <item><term><c>uring.io.queue_wait</c></term><description>ObservableCounter, <c>s</c>: time waited for device capacity, by <c>uring.io.class</c>.</description></item>
/// <item><term><c>uring.io.page_cache_probes</c></term><description>ObservableCounter, <c>{operation}</c>: buffered reads tried on the page cache first, by <c>uring.io.probe_result</c> (<c>hit</c>, <c>miss</c>).</description></item>
/// </list>
/// <para>Observable instruments report the runtimes that are alive (created and not being disposed); they are created by
/// <see cref="RuntimeInstruments"/>, which knows the runtimes, while this class stays usable from the engines below.</para>
/// </remarks>
internal static class UringMetrics
{
    /// <summary>The meter's name, also the name <c>dotnet-counters</c> takes.</summary>
    public const string MeterName = "UringScheduler";

    public const string RuntimeTag = "uring.runtime";
    public const string WorkerTag = "uring.worker";

    public const string OperationsCompletedName = "uring.operations.completed";
    public const string OperationsInFlightName = "uring.operations.in_flight";
    public const string SubmitCallsName = "uring.submit.calls";
    public const string SubmitBatchSizeName = "uring.submit.batch_size";
    public const string WakeupsName = "uring.wakeups";
    public const string LoopStallsName = "uring.loop.stalls";
    public const string LoopTurnsName = "uring.loop.turns";
    public const string ConnectionsAcceptedName = "uring.socket.connections_accepted";
    public const string BytesReceivedName = "uring.socket.bytes_received";
    public const string BytesSentName = "uring.socket.bytes_sent";
    public const string ReceiveBufferExhaustionsName = "uring.socket.receive_buffer_exhaustions";
    public const string IoClassTag = "uring.io.class";
    public const string ProbeResultTag = "uring.io.probe_result";
    public const string IoQueuedName = "uring.io.queued";
    public const string IoInFlightName = "uring.io.in_flight";
    public const string IoCompletedName = "uring.io.completed";
    public const string IoWaitedName = "uring.io.waited";
    public const string IoQueueWaitName = "uring.io.queue_wait";
    public const string IoPageCacheProbesName = "uring.io.page_cache_probes";

    // Boxed worker ids, made once: recording the histogram with a tag must not box per call.
    private static readonly object[] s_boxedWorkerIds = Enumerable.Range(0, 1024).Select(i => (object)i).ToArray();

    public static readonly Meter Meter = new(MeterName, typeof(UringMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    private static readonly Histogram<int> s_submitBatchSize = Meter.CreateHistogram<int>(
        SubmitBatchSizeName, "{operation}", "Submission queue entries handed to the kernel by one io_uring_enter call",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] });

    /// <summary>Records the size of one submission batch. Worker thread; allocation-free.</summary>
    public static void RecordSubmitBatch(int submitted, int workerId)
    {
        if (s_submitBatchSize.Enabled)
        {
            object id = (uint)workerId < (uint)s_boxedWorkerIds.Length ? s_boxedWorkerIds[workerId] : workerId;
            s_submitBatchSize.Record(submitted, new KeyValuePair<string, object?>(WorkerTag, id));
        }
    }
}
