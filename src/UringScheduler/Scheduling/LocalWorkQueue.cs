using System.Runtime.CompilerServices;

namespace UringScheduler.Scheduling;

/// <summary>
/// The worker's own FIFO of ready work: a growable circular buffer touched only by the worker thread, so it needs no
/// synchronization. Work from other threads arrives through the worker's inbox instead.
/// </summary>
internal sealed class LocalWorkQueue
{
    private WorkItem[] _items = new WorkItem[256];
    private int _head;
    private int _count;

    public int Count => _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(in WorkItem item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        _items[(_head + _count) & (_items.Length - 1)] = item;
        _count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out WorkItem item)
    {
        if (_count == 0)
        {
            item = default;
            return false;
        }

        item = _items[_head];
        _items[_head] = default; // drop the references so the GC can collect finished work
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
        return true;
    }

    /// <summary>A snapshot of the queued items (for the debugger's view of scheduled tasks).</summary>
    public WorkItem[] ToArray()
    {
        var result = new WorkItem[_count];
        for (int i = 0; i < _count; i++)
        {
            result[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        return result;
    }

    private void Grow()
    {
        var bigger = new WorkItem[_items.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = bigger;
        _head = 0;
    }
}
