using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using UringKv.Commands;
using UringKv.Storage;
using UringKv.Transport;
using UringScheduler;

namespace UringKv.Server;

/// <summary>
/// The per-core part of the server, one instance per worker: it opens the worker's shard, accepts connections and
/// serves them on this worker, and at the end closes them and then the shard.
/// </summary>
internal sealed class ShardService(KvServer server, ILoggerFactory loggerFactory) : IPerCoreService
{
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = loggerFactory.CreateLogger("UringKv");

    public async Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken)
    {
        ShardStore? store = null;
        try
        {
            try
            {
                store = new ShardStore(worker.Id, worker, server.StoreOptions, _logger);
                await store.OpenAsync();
                server.ShardOpened(store);
            }
            catch (Exception e)
            {
                server.StartFailed(e);
                throw;
            }

            try
            {
                await server.Ready.WaitAsync(stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested || server.Ready.IsFaulted)
            {
                return;
            }

            await ServeAsync(worker, store, stoppingToken);
        }
        finally
        {
            // No shard closes before every worker has stopped its connections: they may still forward to it.
            server.WorkerDrained();
            await server.Drained;
            if (store is not null)
            {
                await store.CloseAsync();
                await server.ShardClosedAsync(store);
            }
        }
    }

    private async Task ServeAsync(UringWorker worker, ShardStore store, CancellationToken stoppingToken)
    {
        var dispatcher = new CommandDispatcher(server, worker.Id);
        var connections = new Dictionary<ClientConnection, Task>();
        Task maintenance = store.RunMaintenanceAsync(stoppingToken);
        IKvListener listener = server.Listener!;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                IKvConnection transport;
                try
                {
                    transport = await listener.AcceptAsync(stoppingToken);
                }
                catch (SocketException e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Out of descriptors, a connection reset before it was accepted...: the listener goes on.
                    Log.AcceptFailed(_logger, worker.Id, e);
                    await worker.DelayAsync(TimeSpan.FromMilliseconds(50), stoppingToken);
                    continue;
                }

                var client = new ClientState(server.NextClientId(), transport.RemoteEndPoint?.ToString() ?? "?");
                var connection = new ClientConnection(transport, dispatcher, client);
                store.Statistics.Connections++;
                Task run = RunConnectionAsync(connection, connections, stoppingToken);
                if (!run.IsCompleted)
                {
                    connections[connection] = run; // removed by the connection itself when it ends
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && stoppingToken.IsCancellationRequested)
        {
        }

        // Receives were cancelled with the token; replies already started are still written, for a while.
        Task all = Task.WhenAll(connections.Values);
        if (await Task.WhenAny(all, Task.Delay(s_closeGrace)) != all)
        {
            foreach (ClientConnection connection in connections.Keys.ToArray())
            {
                connection.Abort();
            }
        }

        await all;
        await maintenance;
    }

    private async Task RunConnectionAsync(ClientConnection connection, Dictionary<ClientConnection, Task> connections, CancellationToken stoppingToken)
    {
        server.ClientConnected();
        try
        {
            await connection.RunAsync(stoppingToken);
        }
        catch (Exception e)
        {
            Log.ConnectionFailed(_logger, connection.Client.Id, e);
        }
        finally
        {
            server.ClientDisconnected();
            connections.Remove(connection);
        }
    }
}
