namespace UringScheduler;

/// <summary>A receiver that ran out of receive buffers and goes on when one is returned to its group.</summary>
internal interface IReceiveBufferWaiter
{
    /// <summary>A buffer was returned to the group; false when this waiter no longer wants one (its socket was disposed). Owner thread.</summary>
    bool OnBufferAvailable();
}
