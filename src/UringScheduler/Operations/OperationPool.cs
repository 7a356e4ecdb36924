namespace UringScheduler.Operations;

/// <summary>
/// One owner's free operations, a stack per kind of request, so that renting on the owner's thread allocates nothing
/// in steady state. Owner thread only.
/// </summary>
internal sealed class OperationPool
{
    private const int MaxPerKind = 4096;

    private readonly IOperationOwner _owner;
    private Stack<IoOperation>[] _free = [];

    public OperationPool(IOperationOwner owner)
    {
        _owner = owner;
    }

    /// <summary>A free operation of kind <typeparamref name="T"/>, whose number is <paramref name="kind"/>, or a new one that will come back here.</summary>
    /// <remarks>
    /// The caller passes the kind's number, read where <typeparamref name="T"/> is known exactly: inside this method's
    /// code, shared by every kind, a generic static would cost a lookup per call. A stack holds only operations of its
    /// kind, so the cast cannot fail.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public T Rent<T>(int kind)
        where T : IoOperation, new()
    {
        Stack<IoOperation>[] free = _free;
        if ((uint)kind < (uint)free.Length && free[kind].TryPop(out IoOperation? op))
        {
            return System.Runtime.CompilerServices.Unsafe.As<T>(op);
        }

        return IoOperation.Create<T>(_owner, pooled: true);
    }

    /// <summary>Takes back an operation whose outcome was read.</summary>
    public void Return(IoOperation op)
    {
        int kind = op.KindIndex;
        if ((uint)kind >= (uint)_free.Length)
        {
            int old = _free.Length;
            Array.Resize(ref _free, OperationKind.Count);
            for (int i = old; i < _free.Length; i++)
            {
                _free[i] = new Stack<IoOperation>();
            }
        }

        Stack<IoOperation> stack = _free[kind];
        if (stack.Count < MaxPerKind)
        {
            stack.Push(op);
        }
        else
        {
            op.FreeNative();
        }
    }
}
