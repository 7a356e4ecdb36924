using UringScheduler.Diagnostics;
using UringScheduler.Operations;
using UringScheduler.Scheduling;

namespace UringScheduler;

// The worker's receive buffers for leased socket receives: made on first use, on the worker thread (a provided buffer
// ring is registered with this worker's ring), and closed when the worker stops.
public sealed partial class UringWorker
{
    private ReceiveBufferGroup? _receiveBuffers;
    private bool _receiveBuffersExhaustedLogged;

    /// <summary>Times a leased receive on this worker found every receive buffer lent out.</summary>
    internal long ReceiveBufferExhaustions => _receiveBuffers?.Exhaustions ?? 0;

    /// <summary>This worker's receive buffers, made on first use. Worker thread only.</summary>
    internal ReceiveBufferGroup ReceiveBuffers => _receiveBuffers ??= CreateReceiveBuffers();

    private ReceiveBufferGroup CreateReceiveBuffers()
    {
        ThrowIfStopping();
        ReceiveBufferGroup group = _engine.CreateReceiveBuffers(this, Runtime.Options.ReceiveBufferCount, Runtime.Options.ReceiveBufferSize);
        Log.ReceiveBuffersCreated(_logger, Id, group.Count, group.BufferSize, group.IsKernelRing ? "a provided buffer ring (multishot receives)" : "a free list (single-shot receives)");
        return group;
    }

    /// <summary>Logs, once per worker, that leased receives ran out of buffers (the meter counts every time).</summary>
    internal void OnReceiveBuffersExhausted()
    {
        if (!_receiveBuffersExhaustedLogged)
        {
            _receiveBuffersExhaustedLogged = true;
            Log.ReceiveBuffersExhausted(_logger, Id, _receiveBuffers!.Count, _receiveBuffers.BufferSize);
        }
    }

    private void CloseReceiveBuffers() => _receiveBuffers?.Close(requestsInFlight: _slab.InFlight > 0);
}
