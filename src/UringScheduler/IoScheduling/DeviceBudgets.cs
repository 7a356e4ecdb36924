using Microsoft.Extensions.Logging;
using UringScheduler.Diagnostics;

namespace UringScheduler.IoScheduling;

/// <summary>The capacities of the devices a runtime's workers use, made on a device's first use and shared by all workers.</summary>
internal sealed class DeviceBudgets
{
    private readonly Lock _lock = new();
    private readonly int _configuredCapacity;
    private readonly int _workerCount;
    private readonly Action<int, int> _wake;
    private readonly ILogger _logger;
    private readonly long _latencyGoalTicks;
    private DeviceBudget?[] _byDevice = [];

    /// <param name="configuredCapacity">Operations in flight per device; 0 takes each device's default.</param>
    /// <param name="workerCount">The runtime's workers.</param>
    /// <param name="wake">Wakes worker (first argument) to serve its queue for the device numbered by the second.</param>
    /// <param name="logger">Where each device's capacity is logged on its first use.</param>
    /// <param name="latencyGoal">The reads' latency goal the devices' limits adapt to; zero for none.</param>
    public DeviceBudgets(int configuredCapacity, int workerCount, Action<int, int> wake, ILogger logger, TimeSpan latencyGoal = default)
    {
        _latencyGoalTicks = (long)(latencyGoal.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _logger = logger;
        _configuredCapacity = configuredCapacity;
        _workerCount = workerCount;
        _wake = wake;
    }

    /// <summary>The budget of <paramref name="device"/> on this runtime. Any thread.</summary>
    public DeviceBudget Of(BlockDevice device)
    {
        DeviceBudget?[] table = Volatile.Read(ref _byDevice);
        if ((uint)device.Index < (uint)table.Length && table[device.Index] is { } budget)
        {
            return budget;
        }

        lock (_lock)
        {
            table = _byDevice;
            if ((uint)device.Index < (uint)table.Length && table[device.Index] is { } made)
            {
                return made;
            }

            var grown = new DeviceBudget?[Math.Max(table.Length, device.Index + 1)];
            table.CopyTo(grown, 0);
            int index = device.Index;
            var created = new DeviceBudget(device, _configuredCapacity > 0 ? _configuredCapacity : device.DefaultCapacity, _workerCount, worker => _wake(worker, index), _latencyGoalTicks);
            grown[index] = created;
            Volatile.Write(ref _byDevice, grown);
            Log.IoDeviceScheduled(_logger, device.ToString(), device.RequestQueueDepth, device.HardwareQueues, created.Capacity,
                _configuredCapacity > 0 ? "configured" : "half the device's request queue", created.ProbeLimit);
            return created;
        }
    }
}
