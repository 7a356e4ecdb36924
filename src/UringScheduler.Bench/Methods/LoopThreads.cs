namespace UringScheduler.Bench.Methods;

/// <summary>N dedicated threads for the blocking methods (mmap, pread): one closed loop each, as in the seed.</summary>
internal sealed class LoopThreads
{
    // Loops use little stack; 512 threads × 256 KiB keeps the reservation modest.
    private const int StackSize = 256 * 1024;

    private readonly List<Thread> _threads = [];
    private readonly List<Exception> _failures = [];
    private readonly ManualResetEventSlim _gate = new(initialState: false);

    public void Start(int count, string name, Action<int> body)
    {
        for (int i = 0; i < count; i++)
        {
            int index = i;
            Thread thread = new(
                () =>
                {
                    try
                    {
                        _gate.Wait();
                        body(index);
                    }
                    catch (Exception e)
                    {
                        lock (_failures)
                        {
                            _failures.Add(e);
                        }
                    }
                },
                StackSize)
            {
                IsBackground = true,
                Name = $"{name}-{index}",
            };
            _threads.Add(thread);
        }

        // Every thread waits at the gate, so starting the next one does not compete with those already running.
        foreach (Thread thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Opens the gate: all loops start together.</summary>
    public void Release() => _gate.Set();

    public bool Join(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        foreach (Thread thread in _threads)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (!thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                return false;
            }
        }

        lock (_failures)
        {
            if (_failures.Count > 0)
            {
                throw new AggregateException(_failures);
            }
        }

        return true;
    }
}
