// EchoServer: a TCP server that echoes every byte it receives on each connection, per core, on one of two engines:
//
//   dotnet run -c Release --project samples/EchoServer -- --port N --engine uring|uring-leased|sockets [--workers N]
//
// `uring` serves connections on the library's rings (UringListener, UringSocket); `sockets` is the same server written
// the ordinary .NET way on System.Net.Sockets. Once it accepts connections it prints one line containing `ready` and
// the port (the real one with --port 0). On SIGINT or SIGTERM it stops accepting, closes its connections and prints
// one `stats:` line with what it served and what that cost the process since `ready`, for benchmarks to divide by
// the requests their client made.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EchoServer;

EchoOptions options;
try
{
    options = EchoOptions.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(EchoOptions.Usage);
    return 1;
}

var stopRequested = new TaskCompletionSource<PosixSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    // Cancel the default (terminate the process): the server stops itself so that it can report.
    context.Cancel = true;
    stopRequested.TrySetResult(context.Signal);
}

using PosixSignalRegistration onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

await using IEchoEngine engine = options.Engine switch
{
    "uring" => new UringEchoEngine(leased: false),
    "uring-leased" => new UringEchoEngine(leased: true),
    _ => new SocketsEchoEngine(),
};
var endPoint = new IPEndPoint(options.Bind, options.Port);
try
{
    engine.Start(endPoint, options.Workers, options.Backlog);
}
catch (SocketException e)
{
    Console.Error.WriteLine($"cannot listen on {endPoint}: {e.Message}");
    return 1;
}

ProcessCounters start = ProcessCounters.Take();
var local = (IPEndPoint)engine.LocalEndPoint;
Console.WriteLine($"EchoServer ready: engine={engine.Name} endpoint={local} port={local.Port} workers={options.Workers} pid={Environment.ProcessId}");

PosixSignal signal = await stopRequested.Task;
EchoTotals totals = await engine.StopAsync();
ProcessCounters used = ProcessCounters.Take() - start;
TimeSpan elapsed = Stopwatch.GetElapsedTime(start.Timestamp);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"stats: engine={engine.Name} signal={signal} connections={totals.Connections} bytes={totals.Bytes} " +
    $"threadpool_items={used.ThreadPoolItems} allocated_bytes={used.AllocatedBytes} " +
    $"cpu_ms={used.CpuTime.TotalMilliseconds:F1} seconds={elapsed.TotalSeconds:F3}"));
return 0;
