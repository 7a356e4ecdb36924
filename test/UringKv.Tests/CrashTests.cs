using System.Collections.Concurrent;
using System.Text;

namespace UringKv.Tests;

/// <summary>The server as a child process: killed with SIGKILL under pipelined write load, stopped with SIGTERM.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CrashTests
{
    [Test]
    public async Task SigkillUnderLoad_KeepsEveryAcknowledgedWrite()
    {
        using var folder = new TempFolder();
        var acknowledged = new ConcurrentDictionary<string, string>();
        var sent = new ConcurrentDictionary<string, string>();
        using (ServerProcess server = await ServerProcess.StartAsync(folder.Path, "always"))
        {
            using var stop = new CancellationTokenSource();
            Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => Write(server, w, acknowledged, sent, stop.Token))).ToArray();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (acknowledged.Count < 3000 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            server.Kill(); // mid-load: the writers still have batches in flight
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.That(acknowledged.Count, Is.GreaterThan(100), "the load did not run");
        TestContext.Out.WriteLine($"{acknowledged.Count} writes acknowledged, {sent.Count} sent before SIGKILL");

        using (ServerProcess server = await ServerProcess.StartAsync(folder.Path, "always"))
        {
            Dictionary<string, string?> found = ReadAll(server, sent.Keys);
            foreach ((string key, string value) in acknowledged)
            {
                Assert.That(found[key], Is.EqualTo(value), $"acknowledged {key} is lost or wrong");
            }

            foreach ((string key, string value) in sent)
            {
                // Sent but not acknowledged: absent, or exactly what was sent; never anything else.
                Assert.That(found[key], Is.Null.Or.EqualTo(value), key);
            }

            Assert.That(await server.TerminateAsync(), Is.EqualTo(0));
        }
    }

    [Test]
    public async Task Sigterm_FlushesAndCloses_EvenWithoutFsync()
    {
        using var folder = new TempFolder();
        using (ServerProcess server = await ServerProcess.StartAsync(folder.Path, "no"))
        {
            using var c = new RespConnection(server.EndPoint);
            var pipeline = new MemoryStream();
            for (int i = 0; i < 500; i++)
            {
                pipeline.Write(RespConnection.Encode("SET", $"term:{i}", $"v{i}"));
            }

            c.Send(pipeline.ToArray());
            for (int i = 0; i < 500; i++)
            {
                Assert.That(c.ReadReply(), Is.EqualTo("+OK"));
            }

            Assert.That(await server.TerminateAsync(), Is.EqualTo(0));
            Assert.That(server.Output, Does.Contain("UringKv stopped"));
        }

        using (ServerProcess server = await ServerProcess.StartAsync(folder.Path, "no"))
        {
            using var c = new RespConnection(server.EndPoint);
            Assert.That(c.Call("DBSIZE"), Is.EqualTo(":500"));
            Assert.That(c.Call("GET", "term:499"), Is.EqualTo("$v499"));
            Assert.That(await server.TerminateAsync(), Is.EqualTo(0));
        }
    }

    // One connection writing pipelined batches of 50 SETs of unique keys until the server dies or the test stops it.
    private static void Write(ServerProcess server, int writer, ConcurrentDictionary<string, string> acknowledged, ConcurrentDictionary<string, string> sent, CancellationToken stop)
    {
        var random = new Random(writer);
        try
        {
            using var c = new RespConnection(server.EndPoint);
            for (int batch = 0; batch < 10_000 && !stop.IsCancellationRequested; batch++)
            {
                var keys = new List<(string Key, string Value)>();
                var request = new MemoryStream();
                for (int i = 0; i < 50; i++)
                {
                    string key = $"crash:{writer}:{batch}:{i}";
                    string value = $"{key}:" + new string((char)('a' + random.Next(26)), random.Next(1, 300));
                    keys.Add((key, value));
                    sent[key] = value;
                    request.Write(RespConnection.Encode("SET", key, value));
                }

                c.Send(request.ToArray());
                foreach ((string key, string value) in keys)
                {
                    if (c.ReadReply() != "+OK")
                    {
                        return;
                    }

                    acknowledged[key] = value;
                }
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException)
        {
            // The server was killed.
        }
    }

    private static Dictionary<string, string?> ReadAll(ServerProcess server, ICollection<string> keys)
    {
        var found = new Dictionary<string, string?>();
        using var c = new RespConnection(server.EndPoint);
        foreach (string[] chunk in keys.Chunk(500))
        {
            var request = new MemoryStream();
            foreach (string key in chunk)
            {
                request.Write(RespConnection.Encode("GET", key));
            }

            c.Send(request.ToArray());
            foreach (string key in chunk)
            {
                string reply = c.ReadReply();
                Assert.That(reply, Does.StartWith("$"), key);
                found[key] = reply == "$nil" ? null : reply[1..];
            }
        }

        return found;
    }
}
