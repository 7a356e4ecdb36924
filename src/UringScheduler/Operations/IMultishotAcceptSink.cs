namespace UringScheduler.Operations;

/// <summary>Takes the connections a multishot accept delivers, on the owner's thread.</summary>
internal interface IMultishotAcceptSink
{
    /// <summary>A connection was accepted as descriptor <paramref name="fd"/>, which the sink now owns.</summary>
    void OnAccepted(int fd);
}
