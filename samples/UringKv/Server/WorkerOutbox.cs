using UringScheduler;

namespace UringKv.Server;

/// <summary>
/// What one worker sends to the other workers during a loop turn, held per receiver and sent once the turn's ready
/// work has run: the requests a turn forwards to a shard travel together (one post, one wake-up), and so do the
/// replies a shard sends back to a worker. Used only on its own worker.
/// </summary>
internal sealed class WorkerOutbox
{
    private static readonly SendOrPostCallback s_flush = static s => ((WorkerOutbox)s!).Flush();

    private readonly UringWorker _worker;
    private readonly List<ForwardedWork>[] _staged;
    private readonly ShardChannel?[] _channels;
    private bool _flushPosted;

    public WorkerOutbox(UringWorker worker, IReadOnlyList<UringWorker> workers)
    {
        _worker = worker;
        _staged = new List<ForwardedWork>[workers.Count];
        _channels = new ShardChannel?[workers.Count];
        for (int i = 0; i < workers.Count; i++)
        {
            _staged[i] = [];
            _channels[i] = workers[i] == worker ? null : new ShardChannel(workers[i]);
        }
    }

    /// <summary>Queues <paramref name="work"/> for worker <paramref name="target"/>; sent at the end of this turn.</summary>
    public void Send(int target, ForwardedWork work)
    {
        _staged[target].Add(work);
        if (!_flushPosted)
        {
            // Posted from the worker itself, the flush runs after the work already queued: the rest of this turn.
            _flushPosted = true;
            _worker.SynchronizationContext.Post(s_flush, this);
        }
    }

    private void Flush()
    {
        _flushPosted = false;
        for (int i = 0; i < _staged.Length; i++)
        {
            if (_staged[i].Count > 0)
            {
                _channels[i]!.Send(_staged[i]);
            }
        }
    }
}
