using Microsoft.Extensions.Logging;
using Tsavorite.core;

namespace UringScheduler.Tsavorite;

/// <summary>
/// Plugs <see cref="UringDevice"/> into Garnet with one line, for the main log, the object log, the append-only file
/// and checkpoints:
/// <code>
/// garnetOptions.DeviceFactoryCreator = new UringNamedDeviceFactoryCreator(runtime);
/// </code>
/// </summary>
public sealed class UringNamedDeviceFactoryCreator : INamedDeviceFactoryCreator
{
    private readonly UringRuntime _runtime;
    private readonly UringDeviceOptions? _options;
    private readonly ILogger? _logger;
    private readonly List<UringNamedDeviceFactory> _factories = [];

    /// <summary>Creates the creator.</summary>
    /// <param name="runtime">The runtime whose workers serve every device; it must outlive the Garnet server.</param>
    /// <param name="options">Settings of every device, or null for the defaults.</param>
    /// <param name="logger">Where the devices log.</param>
    public UringNamedDeviceFactoryCreator(UringRuntime runtime, UringDeviceOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        _options = options;
        _logger = logger;
    }

    /// <inheritdoc/>
    public INamedDeviceFactory Create(string baseName)
    {
        var factory = new UringNamedDeviceFactory(baseName, _runtime, _options, _logger);
        lock (_factories)
        {
            _factories.Add(factory);
        }

        return factory;
    }

    /// <summary>Reads and writes completed so far by the devices made through this creator that are still alive.</summary>
    public (long Reads, long Writes) CompletedOperations()
    {
        long reads = 0, writes = 0;
        lock (_factories)
        {
            foreach (UringNamedDeviceFactory factory in _factories)
            {
                lock (factory.Devices)
                {
                    foreach (WeakReference<UringDevice> reference in factory.Devices)
                    {
                        if (reference.TryGetTarget(out UringDevice? device))
                        {
                            reads += device.CompletedReads;
                            writes += device.CompletedWrites;
                        }
                    }
                }
            }
        }

        return (reads, writes);
    }
}
