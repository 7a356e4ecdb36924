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

    /// <summary>A free operation of kind <typeparamref name="T"/>, or a new one that will come back here.</summary>
    public T Rent<T>()
        where T : IoOperation, new()
    {
        int kind = OperationKind<T>.Index;
        Stack<IoOperation>[] free = _free;
        if ((uint)kind < (uint)free.Length && free[kind].TryPop(out IoOperation? op))
        {
            return (T)op;
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
