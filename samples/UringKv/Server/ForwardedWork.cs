namespace UringKv.Server;

/// <summary>
/// Work one worker hands to another through a <see cref="ShardChannel"/>: a request to run on the shard that owns
/// its key, or a reply on its way back to the worker that asked.
/// </summary>
internal abstract class ForwardedWork
{
    /// <summary>Runs on the worker the work was sent to. Never throws: failures travel in the reply.</summary>
    public abstract void Run();
}
