using System.Globalization;
using System.Net;

namespace EchoServer;

/// <summary>The command line: <c>--port N --engine uring|uring-leased|sockets [--workers N] [--bind ADDR] [--backlog N]</c>.</summary>
internal sealed record EchoOptions(IPAddress Bind, int Port, string Engine, int Workers, int Backlog)
{
    public const string Usage =
        "usage: EchoServer --port N --engine uring|uring-leased|sockets [--workers N] [--bind ADDR] [--backlog N]\n" +
        "  --port N        TCP port; 0 picks a free one (printed in the ready line)\n" +
        "  --engine E      uring: the library's sockets on the rings; uring-leased: the same, receiving into buffers\n" +
        "                  lent by the worker (multishot receive); sockets: System.Net.Sockets on the ThreadPool\n" +
        "  --workers N     uring: ring workers; sockets: accept loops (default: one per CPU the process may use)\n" +
        "  --bind ADDR     address to listen on (default 127.0.0.1)\n" +
        "  --backlog N     listen backlog (default 1024)";

    /// <summary>Parses <paramref name="args"/>; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static EchoOptions Parse(string[] args)
    {
        IPAddress bind = IPAddress.Loopback;
        int? port = null;
        string? engine = null;
        int workers = Environment.ProcessorCount;
        int backlog = 1024;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{name} needs a value");
            switch (name)
            {
                case "--port":
                    port = Number(name, Value(), 0, 65535);
                    break;
                case "--engine":
                    engine = Value();
                    if (engine is not ("uring" or "uring-leased" or "sockets"))
                    {
                        throw new FormatException($"--engine takes uring, uring-leased or sockets, not '{engine}'");
                    }

                    break;
                case "--workers":
                    workers = Number(name, Value(), 1, 1024);
                    break;
                case "--bind":
                    string address = Value();
                    bind = IPAddress.TryParse(address, out IPAddress? parsed) ? parsed : throw new FormatException($"--bind takes an IP address, not '{address}'");
                    break;
                case "--backlog":
                    backlog = Number(name, Value(), 1, 65535);
                    break;
                default:
                    throw new FormatException($"unknown option '{name}'");
            }
        }

        return new EchoOptions(
            bind,
            port ?? throw new FormatException("--port is required"),
            engine ?? throw new FormatException("--engine is required"),
            workers,
            backlog);
    }

    private static int Number(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{name} takes a whole number from {min} to {max}, not '{text}'");
}
