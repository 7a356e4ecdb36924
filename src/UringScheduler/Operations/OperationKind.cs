namespace UringScheduler.Operations;

/// <summary>Numbers the kinds of operation (the classes derived from <see cref="IoOperation"/>) as they are first used, to index per-kind pools.</summary>
internal static class OperationKind
{
    private static int s_count;

    /// <summary>Kinds numbered so far.</summary>
    public static int Count => Volatile.Read(ref s_count);

    internal static int Next() => Interlocked.Increment(ref s_count) - 1;
}

/// <summary>The number of the operation kind <typeparamref name="T"/>.</summary>
internal static class OperationKind<T>
    where T : IoOperation
{
    public static readonly int Index = OperationKind.Next();
}
