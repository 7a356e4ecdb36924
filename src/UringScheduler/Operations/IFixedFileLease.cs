namespace UringScheduler.Operations;

/// <summary>
/// A file's entry in a ring's registered-file table, leased by each request that names it: the slot is not given back
/// while a lease is held, so a slot number can never be reused under a request that still names it.
/// </summary>
internal interface IFixedFileLease
{
    /// <summary>The slot in the ring's registered-file table.</summary>
    int Slot { get; }

    /// <summary>A request that named the slot has completed.</summary>
    void Release();
}
