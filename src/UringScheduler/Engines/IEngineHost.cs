using UringScheduler.Operations;

namespace UringScheduler.Engines;

/// <summary>What an engine reports to the worker that drives it: the narrow upward direction of the engine layer.</summary>
internal interface IEngineHost
{
    /// <summary>The worker's id, for metrics.</summary>
    int WorkerId { get; }

    /// <summary>The final completion of <paramref name="operation"/> was reaped (it has left the slab). Worker thread.</summary>
    void OnCompleted(IoOperation operation);

    /// <summary>A completion arrived from outside the kernel's queues (a fallback I/O thread): wake the worker if it sleeps. Any thread.</summary>
    void OnExternalCompletion();
}
