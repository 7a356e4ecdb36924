using UringScheduler.Operations;

namespace UringScheduler.Files;

/// <summary>
/// One file's entry in one worker's registered-file table. Worker thread only. The slot is given back only when the
/// file is closed and no operation that uses it is in flight or queued, so a slot number can never be reused under a
/// request that still names it.
/// </summary>
internal sealed class FileSlot : IFixedFileLease
{
    private int _inFlight;
    private bool _closing;

    public FileSlot(UringWorker worker, int slot)
    {
        Worker = worker;
        Slot = slot;
    }

    public UringWorker Worker { get; }

    /// <summary>The slot index, or -1 when the file could not be registered in this worker's ring (it then goes by fd).</summary>
    public int Slot { get; private set; }

    public bool IsUsable => Slot >= 0 && !_closing;

    /// <summary>An operation will name this slot.</summary>
    public void OnOperationStarted() => _inFlight++;

    /// <summary>That operation's completion arrived.</summary>
    void IFixedFileLease.Release()
    {
        if (--_inFlight == 0 && _closing)
        {
            Unregister();
        }
    }

    /// <summary>The file is closing: release the slot now, or when the last operation on it ends.</summary>
    public void Close()
    {
        _closing = true;
        if (_inFlight == 0)
        {
            Unregister();
        }
    }

    private void Unregister()
    {
        if (Slot >= 0)
        {
            Worker.Engine.UnregisterFile(Slot);
            Slot = -1;
        }
    }
}
