using System.CommandLine;
using System.Globalization;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Methods;

namespace UringScheduler.Bench.Cli;

/// <summary>The command line of <c>uring-bench</c> (System.CommandLine), and its translation into <see cref="BenchOptions"/>.</summary>
internal sealed class CommandLine
{
    private readonly Option<string> _cases = new("--cases")
    {
        Description = "Comma-separated cases METHOD_N; METHOD is uring, mmap, pread, randomaccess, nop or mixed (uring reads plus a background O_DIRECT writer), N the number of loops",
        DefaultValueFactory = _ => BenchOptions.DefaultCases,
    };

    private readonly Option<double> _duration = new("--duration")
    {
        Description = "Measured seconds per case (after the warm-up)",
        DefaultValueFactory = _ => 10,
    };

    private readonly Option<double> _warmup = new("--warmup")
    {
        Description = "Warm-up seconds per case, not measured",
        DefaultValueFactory = _ => 2,
    };

    private readonly Option<int> _workers = new("--workers")
    {
        Description = "Worker threads (rings) of the runtime for uring, nop and mixed cases",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    private readonly Option<int> _files = new("--files")
    {
        Description = "Number of data files",
        DefaultValueFactory = _ => DataSetSpec.DefaultFileCount,
    };

    private readonly Option<string> _fileSize = new("--file-size")
    {
        Description = "Size of each data file: 64K, 256M, 1G... Default: sized for the machine (1/16 of its memory over 8 files, 16M to 128M)",
        DefaultValueFactory = _ => SizeParser.Format(DefaultSizing.FileSize()),
    };

    private readonly Option<string> _blockSize = new("--block-size")
    {
        Description = "Bytes per read, a multiple of 512",
        DefaultValueFactory = _ => DataSetSpec.DefaultBlockSize.ToString(CultureInfo.InvariantCulture),
    };

    private readonly Option<string?> _data = new("--data")
    {
        Description = "Folder of the data set; generated once, reused while valid. Default: a folder under the temp directory named after the shape",
    };

    private readonly Option<bool> _direct = new("--direct")
    {
        Description = "Open files with O_DIRECT (uring, pread, randomaccess; mmap ignores it)",
    };

    private readonly Option<bool> _verify = new("--verify")
    {
        Description = "Check the pattern of every block read (the default)",
    };

    private readonly Option<bool> _noVerify = new("--no-verify")
    {
        Description = "Do not check blocks",
    };

    private readonly Option<bool> _noFastPath = new("--no-fast-path")
    {
        Description = "uring cases: plain UringRandomAccess reads into pinned arrays, without registered files and buffers",
    };

    private readonly Option<int> _submitBatch = new("--submit-batch")
    {
        Description = "uring, nop and mixed cases: most SQEs per io_uring_enter (UringRuntimeOptions.MaxSubmitBatch); 0, the default, is no limit",
    };

    private readonly Option<string> _ioScheduler = new("--io-scheduler")
    {
        Description = "on or off: the device-aware I/O scheduler (UringRuntimeOptions.IoScheduler.Enabled) of the runtime of uring, nop and mixed cases",
        DefaultValueFactory = _ => "on",
    };

    private readonly Option<string?> _memoryLimit = new("--memory-limit")
    {
        Description = "Run the cases inside a memory cgroup of this size (e.g. 256M), after dropping the data set from the page cache, so reads go to the device (root, cgroup memory controller)",
    };

    private readonly Option<bool> _probeDevice = new("--probe-device")
    {
        Description = "Instead of cases: O_DIRECT random reads on the data set's device at depths 1 to 512 (scheduler off), then the recommended IoScheduler.DeviceCapacity",
    };

    private readonly Option<double> _latencyGoal = new("--latency-goal")
    {
        Description = "--probe-device: p99 latency goal in milliseconds; deeper queues whose p99 exceeds it are not recommended",
        DefaultValueFactory = _ => 2,
    };

    private readonly Option<double> _ioLatencyGoal = new("--io-latency-goal")
    {
        Description = "uring, nop and mixed cases: UringRuntimeOptions.IoScheduler.LatencyGoal in milliseconds (each device's limit adapts to the reads' time on the device); 0, the default, keeps the limit at the capacity",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<int> _deviceCapacity = new("--device-capacity")
    {
        Description = "uring, nop and mixed cases: UringRuntimeOptions.IoScheduler.DeviceCapacity (operations in flight per device); 0, the default, takes half the device's request queue",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<string?> _json = new("--json")
    {
        Description = "Write the results as JSON here. Default: REPORT/results.json",
    };

    private readonly Option<string?> _report = new("--report")
    {
        Description = "Write heatmaps, the comparison chart and report.md into this folder. Default: artifacts/bench in the repository",
    };

    public CommandLine()
    {
        Root = new RootCommand("uring-bench: random aligned block reads over a set of files, closed loop: io_uring (UringScheduler) against mmap, pread and RandomAccess")
        {
            _cases, _duration, _warmup, _workers, _files, _fileSize, _blockSize, _data, _direct, _verify, _noVerify, _noFastPath, _submitBatch, _ioScheduler, _memoryLimit,
            _probeDevice, _latencyGoal, _ioLatencyGoal, _deviceCapacity, _json, _report,
        };
    }

    public RootCommand Root { get; }

    /// <summary>Turns a parse without syntax errors into validated options; throws <see cref="UsageException"/> for bad values.</summary>
    public BenchOptions Bind(ParseResult result, IReadOnlyList<string> arguments)
    {
        IReadOnlyList<CaseSpec> cases = CaseSpec.ParseList(result.GetValue(_cases) ?? BenchOptions.DefaultCases);

        double duration = result.GetValue(_duration);
        if (!(duration > 0) || double.IsInfinity(duration))
        {
            throw new UsageException($"--duration: must be a positive number of seconds, not {duration.ToString(CultureInfo.InvariantCulture)}");
        }

        double warmup = result.GetValue(_warmup);
        if (!(warmup >= 0) || double.IsInfinity(warmup))
        {
            throw new UsageException($"--warmup: must be zero or a positive number of seconds, not {warmup.ToString(CultureInfo.InvariantCulture)}");
        }

        int workers = result.GetValue(_workers);
        if (workers < 1)
        {
            throw new UsageException($"--workers: must be at least 1, not {workers}");
        }

        int files = result.GetValue(_files);
        if (files < 1)
        {
            throw new UsageException($"--files: must be at least 1, not {files}");
        }

        string blockText = result.GetValue(_blockSize) ?? string.Empty;
        if (!SizeParser.TryParse(blockText, out long blockSize) || blockSize % 512 != 0 || blockSize > (64 << 20))
        {
            throw new UsageException($"--block-size: '{blockText}' is not a multiple of 512 bytes up to 64M (e.g. 4096)");
        }

        string sizeText = result.GetValue(_fileSize) ?? string.Empty;
        if (!SizeParser.TryParse(sizeText, out long fileSize))
        {
            throw new UsageException($"--file-size: cannot parse '{sizeText}' (expected a size such as 64K, 256M or 1G)");
        }

        if (fileSize < blockSize || fileSize % blockSize != 0)
        {
            throw new UsageException($"--file-size: {sizeText} is not a whole number of {blockSize}-byte blocks");
        }

        int submitBatch = result.GetValue(_submitBatch);
        if (submitBatch < 0)
        {
            throw new UsageException($"--submit-batch: must be 0 (no limit) or positive, not {submitBatch}");
        }

        string ioSchedulerText = (result.GetValue(_ioScheduler) ?? "on").Trim().ToLowerInvariant();
        bool ioScheduler = ioSchedulerText switch
        {
            "on" => true,
            "off" => false,
            _ => throw new UsageException($"--io-scheduler: expected on or off, not '{ioSchedulerText}'"),
        };

        long? memoryLimit = null;
        if (result.GetValue(_memoryLimit) is { } limitText)
        {
            if (!SizeParser.TryParse(limitText, out long limit) || limit < (16L << 20))
            {
                throw new UsageException($"--memory-limit: '{limitText}' is not a size of at least 16M (e.g. 256M)");
            }

            memoryLimit = limit;
        }

        double latencyGoal = result.GetValue(_latencyGoal);
        double ioLatencyGoal = result.GetValue(_ioLatencyGoal);
        if (ioLatencyGoal < 0)
        {
            throw new UsageException($"--io-latency-goal: must be 0 or a positive number of milliseconds, not {ioLatencyGoal.ToString(CultureInfo.InvariantCulture)}");
        }

        int deviceCapacity = result.GetValue(_deviceCapacity);
        if (deviceCapacity < 0)
        {
            throw new UsageException($"--device-capacity: must be 0 (from the device) or positive, not {deviceCapacity}");
        }

        if (!(latencyGoal > 0) || double.IsInfinity(latencyGoal))
        {
            throw new UsageException($"--latency-goal: must be a positive number of milliseconds, not {latencyGoal.ToString(CultureInfo.InvariantCulture)}");
        }

        bool probe = result.GetValue(_probeDevice);
        if (probe && memoryLimit is not null)
        {
            throw new UsageException("--probe-device: reads with O_DIRECT, so --memory-limit does not apply to it");
        }

        // The probe measures many depths: shorter steps unless asked otherwise.
        if (probe && result.GetResult(_duration) is null or { Implicit: true })
        {
            duration = 1.5;
        }

        if (probe && result.GetResult(_warmup) is null or { Implicit: true })
        {
            warmup = 0.5;
        }

        string dataDirectory = result.GetValue(_data) is { Length: > 0 } data
            ? Path.GetFullPath(data)
            : DataSetSpec.DefaultDirectory(files, fileSize, (int)blockSize);

        string reportDirectory = result.GetValue(_report) is { Length: > 0 } report
            ? Path.GetFullPath(report)
            : Path.Combine(RepositoryRoot.Find(), "artifacts", "bench");

        string jsonPath = result.GetValue(_json) is { Length: > 0 } json
            ? Path.GetFullPath(json)
            : Path.Combine(reportDirectory, probe ? "probe.json" : "results.json");

        return new BenchOptions
        {
            Cases = cases,
            Duration = TimeSpan.FromSeconds(duration),
            Warmup = TimeSpan.FromSeconds(warmup),
            Workers = workers,
            Data = new DataSetSpec(dataDirectory, files, fileSize, (int)blockSize),
            Direct = result.GetValue(_direct),
            Verify = !result.GetValue(_noVerify),
            FastPath = !result.GetValue(_noFastPath),
            SubmitBatch = submitBatch,
            IoScheduler = ioScheduler,
            IoLatencyGoal = TimeSpan.FromMilliseconds(ioLatencyGoal),
            DeviceCapacity = deviceCapacity,
            MemoryLimit = memoryLimit,
            AddMemoryLimitedRegime = arguments.Count == 0,
            ProbeDevice = probe,
            LatencyGoal = TimeSpan.FromMilliseconds(latencyGoal),
            JsonPath = jsonPath,
            ReportDirectory = reportDirectory,
            Arguments = arguments,
        };
    }
}
