namespace UringScheduler.Operations;

/// <summary>What an <see cref="IoOperation"/> asks the kernel to do.</summary>
internal enum IoOpKind : byte
{
    None,
    Nop,
    Read,
    Write,
    ReadV,
    WriteV,
    Fsync,
    FdataSync,
    ReadFixed,
    WriteFixed,
    Timeout,
}
