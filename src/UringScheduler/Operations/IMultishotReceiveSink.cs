namespace UringScheduler.Operations;

/// <summary>Takes the data a multishot receive delivers, one provided buffer per completion, on the owner's thread.</summary>
internal interface IMultishotReceiveSink
{
    /// <summary><paramref name="length"/> bytes arrived in provided buffer <paramref name="bufferId"/>, which the sink now holds.</summary>
    void OnReceived(ushort bufferId, int length);
}
