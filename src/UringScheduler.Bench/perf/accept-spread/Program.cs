// How a UringListener spreads connections over the workers. Every worker keeps an accept pending; a plain client
// opens the connections in bursts of 64 concurrent connects and holds them open; each worker counts what it accepted.
//   dotnet run -c Release --project src/UringScheduler.Bench/perf/accept-spread -- WORKERS Shared|PerWorker [ROUNDS]
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using UringScheduler;

int workers = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
UringListenerDistribution distribution = args.Length > 1 ? Enum.Parse<UringListenerDistribution>(args[1]) : UringListenerDistribution.Shared;
int rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
foreach (int connections in new[] { 64, 1000 })
{
    for (int round = 1; round <= rounds; round++)
    {
        await using var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = workers });
        await using var listener = UringListener.Bind(runtime, new IPEndPoint(IPAddress.Loopback, 0), new UringListenerOptions { Backlog = 4096, Distribution = distribution });
        int[] counts = new int[workers];
        var accepted = new ConcurrentBag<UringSocket>();
        using var stop = new CancellationTokenSource();
        Task[] loops = runtime.Workers.Select(worker => worker.RunAsync(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await listener.AcceptAsync(stop.Token));
                    counts[worker.Id]++;
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        var clients = new List<Socket>();
        for (int i = 0; i < connections; i += 64)
        {
            List<Socket> burst = Enumerable.Range(0, Math.Min(64, connections - i)).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToList();
            await Task.WhenAll(burst.Select(c => c.ConnectAsync(listener.LocalEndPoint)));
            clients.AddRange(burst);
        }

        while (Volatile.Read(ref counts[0]) + counts.Skip(1).Sum() < connections)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(loops);
        Console.WriteLine($"{distribution} workers={workers} connections={connections} round={round}: per worker [{string.Join(", ", counts)}]");
        clients.ForEach(c => c.Dispose());
        foreach (UringSocket socket in accepted)
        {
            socket.Dispose();
        }
    }
}
