using System.Globalization;

namespace UringScheduler.Soak;

/// <summary>The command line: <c>uring-soak [--duration SECONDS] [--backend auto|iouring|fallback] [--json PATH] [--workers N] [--seed N]</c>.</summary>
internal sealed class SoakOptions
{
    public const string Usage =
        "usage: uring-soak [--duration SECONDS] [--backend auto|iouring|fallback] [--json PATH] [--workers N] [--seed N] [--mixes LIST]\n" +
        "  --duration  seconds of load after start-up (default 60)\n" +
        "  --backend   UringRuntimeOptions.Backend (default auto)\n" +
        "  --json      also write the figures to PATH\n" +
        "  --workers   worker count (default: one per CPU)\n" +
        "  --seed      seed of the random choices (default: from the clock; printed)\n" +
        "  --mixes     only these loop families, comma separated (default: all): " + AllMixesText;

    /// <summary>The loop families, as <c>--mixes</c> names them.</summary>
    public static readonly string[] AllMixes = ["read", "write", "vectored", "cancel", "timeout", "delay", "churn", "hop", "echo", "foreign"];

    private const string AllMixesText = "read,write,vectored,cancel,timeout,delay,churn,hop,echo,foreign";

    public double DurationSeconds { get; private set; } = 60;

    public UringBackend Backend { get; private set; } = UringBackend.Auto;

    public string? JsonPath { get; private set; }

    public int Workers { get; private set; } = Environment.ProcessorCount;

    public int Seed { get; private set; } = Environment.TickCount;

    /// <summary>The loop families to run (for narrowing a finding down to one kind of operation).</summary>
    public IReadOnlySet<string> Mixes { get; private set; } = new HashSet<string>(AllMixes, StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>; null with <paramref name="error"/> set when they are wrong.</summary>
    public static SoakOptions? Parse(string[] args, out string? error)
    {
        var options = new SoakOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                error = "";
                return null;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value";
                return null;
            }

            string value = args[++i];
            switch (name)
            {
                case "--duration":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds <= 0 || seconds > 7 * 24 * 3600)
                    {
                        error = $"--duration must be a positive number of seconds, got '{value}'";
                        return null;
                    }

                    options.DurationSeconds = seconds;
                    break;
                case "--backend":
                    switch (value.ToLowerInvariant())
                    {
                        case "auto":
                            options.Backend = UringBackend.Auto;
                            break;
                        case "iouring" or "io_uring" or "io-uring":
                            options.Backend = UringBackend.IoUring;
                            break;
                        case "fallback":
                            options.Backend = UringBackend.Fallback;
                            break;
                        default:
                            error = $"--backend must be auto, iouring or fallback, got '{value}'";
                            return null;
                    }

                    break;
                case "--json":
                    options.JsonPath = value;
                    break;
                case "--workers":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int workers) || workers < 1 || workers > 1024)
                    {
                        error = $"--workers must be from 1 to 1024, got '{value}'";
                        return null;
                    }

                    options.Workers = workers;
                    break;
                case "--seed":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed))
                    {
                        error = $"--seed must be an integer, got '{value}'";
                        return null;
                    }

                    options.Seed = seed;
                    break;
                case "--mixes":
                    string[] mixes = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    string? unknown = mixes.FirstOrDefault(m => !AllMixes.Contains(m, StringComparer.Ordinal));
                    if (mixes.Length == 0 || unknown is not null)
                    {
                        error = $"--mixes takes a comma-separated list of {AllMixesText}, got '{value}'";
                        return null;
                    }

                    options.Mixes = new HashSet<string>(mixes, StringComparer.Ordinal);
                    break;
                default:
                    error = $"unknown option '{name}'";
                    return null;
            }
        }

        return options;
    }

    /// <summary>The warm-up before the first sample: a tenth of the run, from 3 to 30 seconds.</summary>
    public TimeSpan WarmUp => TimeSpan.FromSeconds(Math.Clamp(DurationSeconds / 10, Math.Min(3, DurationSeconds / 2), 30));
}
