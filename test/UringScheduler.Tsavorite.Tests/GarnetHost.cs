using System.Net;
using Garnet;
using Garnet.server;
using StackExchange.Redis;

namespace UringScheduler.Tsavorite.Tests;

/// <summary>An embedded Garnet server on 127.0.0.1 whose storage goes through <see cref="UringDevice"/>, and a client for it.</summary>
internal sealed class GarnetHost : IDisposable
{
    private readonly GarnetServer _server;

    public GarnetHost(string directory, UringRuntime runtime, bool recover, bool aof)
    {
        Port = TestRuntime.FreeLoopbackPort();
        Creator = new UringNamedDeviceFactoryCreator(runtime);
        var options = new GarnetServerOptions
        {
            EndPoints = [new IPEndPoint(IPAddress.Loopback, Port)],
            EnableStorageTier = true,
            LogDir = Path.Combine(directory, "log"),
            CheckpointDir = Path.Combine(directory, "checkpoint"),
            // A small memory budget, so most of the data set lives on the device.
            LogMemorySize = "256k",
            PageSize = "16k",
            SegmentSize = "1m",
            IndexMemorySize = "64k",
            Recover = recover,
            EnableAOF = aof,
            QuietMode = true,
            DeviceFactoryCreator = Creator,
        };
        _server = new GarnetServer(options);
        _server.Start();
        Connection = ConnectionMultiplexer.Connect($"127.0.0.1:{Port},allowAdmin=true,connectTimeout=10000,syncTimeout=20000");
    }

    public int Port { get; }

    public UringNamedDeviceFactoryCreator Creator { get; }

    public ConnectionMultiplexer Connection { get; }

    public IDatabase Database => Connection.GetDatabase();

    public void Dispose()
    {
        Connection.Dispose();
        _server.Dispose();
    }
}
