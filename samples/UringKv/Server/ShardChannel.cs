using UringScheduler;

namespace UringKv.Server;

/// <summary>
/// The way from one worker to another: work is added in batches by the sending worker and run in arrival order by
/// the receiving worker. A batch costs one lock and, when the receiver has not been told yet, one post (and so at
/// most one wake-up); everything added before the receiver drains rides on that post.
/// </summary>
internal sealed class ShardChannel(UringWorker target)
{
    private static readonly SendOrPostCallback s_drain = static s => ((ShardChannel)s!).Drain();

    private readonly Lock _lock = new();
    private List<ForwardedWork> _incoming = [];
    private List<ForwardedWork> _draining = [];
    private bool _scheduled;

    /// <summary>Moves every item of <paramref name="batch"/> to the receiver, keeping their order, and empties it.</summary>
    public void Send(List<ForwardedWork> batch)
    {
        bool post;
        lock (_lock)
        {
            _incoming.AddRange(batch);
            post = !_scheduled;
            _scheduled = true;
        }

        batch.Clear();
        if (post)
        {
            target.SynchronizationContext.Post(s_drain, this);
        }
    }

    // On the receiving worker, the only thread that swaps or reads _draining.
    private void Drain()
    {
        List<ForwardedWork> batch;
        lock (_lock)
        {
            batch = _incoming;
            _incoming = _draining;
            _draining = batch;
            _scheduled = false;
        }

        for (int i = 0; i < batch.Count; i++)
        {
            batch[i].Run();
        }

        batch.Clear();
    }
}
