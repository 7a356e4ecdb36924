using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace UringScheduler.Operations;

/// <summary>
/// The awaitable half of an operation: a reusable <see cref="IValueTaskSource"/> that resumes its awaiter inline when
/// the awaiter's captured context is the completing thread's own (<see cref="IInlineResumeContext"/>).
/// <see cref="ManualResetValueTaskSourceCore{TResult}"/> always posts to a captured context, which would cost every
/// operation a queue round trip on the worker; inline resume is what the design exists for.
/// </summary>
/// <remarks>
/// The result is published to other threads through the interlocked exchange on the continuation. Reading the result
/// (<c>GetResult</c>) ends the incarnation: <see cref="OnConsumed"/> runs and the source may be reused at once.
/// </remarks>
internal abstract class OperationCompletionSource : IValueTaskSource<int>, IValueTaskSource<long>, IValueTaskSource
{
    private static readonly Action<object?> s_completedSentinel = static _ => Debug.Fail("The completed sentinel must never be invoked.");
    private static readonly SendOrPostCallback s_postedInvoke = static s => ((OperationCompletionSource)s!).InvokeContinuation();
    private static readonly Action<object?> s_queuedInvoke = static s => ((OperationCompletionSource)s!).InvokeContinuation();
    private static readonly ContextCallback s_contextInvoke = static s => ((OperationCompletionSource)s!).InvokeContinuationCore();

    private Action<object?>? _continuation;
    private object? _continuationState;
    private ExecutionContext? _executionContext;
    private object? _schedulingContext;
    private long _result;
    private Exception? _error;
    private volatile bool _completed;
    private short _version;

    internal ValueTask<int> AsValueTaskOfInt() => new(this, _version);

    internal ValueTask<long> AsValueTaskOfLong() => new(this, _version);

    internal ValueTask AsValueTask() => new(this, _version);

    /// <summary>The token of the current incarnation, for a derived source that exposes another result type.</summary>
    protected short Version => _version;

    /// <summary>Called once the awaiter has read the outcome: the incarnation is over and the source may be reused.</summary>
    protected abstract void OnConsumed();

    /// <summary>Ends the incarnation with <paramref name="result"/> and resumes the awaiter (inline when allowed).</summary>
    protected void SetResult(long result)
    {
        _result = result;
        SignalCompletion();
    }

    /// <summary>Ends the incarnation with <paramref name="error"/> and resumes the awaiter (inline when allowed).</summary>
    protected void SetException(Exception error)
    {
        _error = error;
        SignalCompletion();
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        if (!_completed)
        {
            return ValueTaskSourceStatus.Pending;
        }

        return _error switch
        {
            null => ValueTaskSourceStatus.Succeeded,
            OperationCanceledException => ValueTaskSourceStatus.Canceled,
            _ => ValueTaskSourceStatus.Faulted,
        };
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ValidateToken(token);

        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            _executionContext = ExecutionContext.Capture();
        }

        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            SynchronizationContext? sc = SynchronizationContext.Current;
            if (sc is not null && sc.GetType() != typeof(SynchronizationContext))
            {
                _schedulingContext = sc;
            }
            else
            {
                TaskScheduler ts = TaskScheduler.Current;
                if (ts != TaskScheduler.Default)
                {
                    _schedulingContext = ts;
                }
            }
        }

        _continuationState = state;

        // Publish the continuation; if the completion won the race, the sentinel is already there and we resume now,
        // but never inline from inside OnCompleted (the awaiter expects to return first).
        Action<object?>? previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (previous is not null)
        {
            Debug.Assert(ReferenceEquals(previous, s_completedSentinel), "OnCompleted was called twice.");
            _continuation = continuation;
            DispatchContinuation(allowInline: false);
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => (int)GetResultCore(token);

    long IValueTaskSource<long>.GetResult(short token) => GetResultCore(token);

    void IValueTaskSource.GetResult(short token) => GetResultCore(token);

    /// <summary>Reads the outcome (throwing the error, if any) and ends the incarnation.</summary>
    protected long GetResultCore(short token)
    {
        ValidateToken(token);
        if (!_completed)
        {
            ThrowHelper.ThrowInvalidOperationException_OperationNotCompleted();
        }

        long result = _result;
        Exception? error = _error;
        ResetCompletion();
        OnConsumed();
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SignalCompletion()
    {
        _completed = true;
        Action<object?>? continuation = Volatile.Read(ref _continuation) ?? Interlocked.CompareExchange(ref _continuation, s_completedSentinel, null);
        if (continuation is not null)
        {
            DispatchContinuation(allowInline: true);
        }
    }

    private void DispatchContinuation(bool allowInline)
    {
        object? scheduling = _schedulingContext;
        if (scheduling is null)
        {
            // No context was captured: ConfigureAwait(false), or a caller outside any worker that had none. Either way
            // the code does not belong on this thread; it resumes on the ThreadPool, as the BCL's would.
            ThreadPool.UnsafeQueueUserWorkItem(s_queuedInvoke, this, preferLocal: false);
            return;
        }

        if (scheduling is IInlineResumeContext own && own.IsCurrentThread)
        {
            if (allowInline)
            {
                InvokeContinuation();
            }
            else
            {
                own.EnqueueLocal(s_queuedInvoke, this);
            }

            return;
        }

        if (scheduling is SynchronizationContext sc)
        {
            sc.Post(s_postedInvoke, this);
        }
        else
        {
            _ = Task.Factory.StartNew(s_queuedInvoke, this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, (TaskScheduler)scheduling);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void InvokeContinuation()
    {
        if (_executionContext is null)
        {
            InvokeContinuationCore();
        }
        else
        {
            ExecutionContext.Run(_executionContext, s_contextInvoke, this);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void InvokeContinuationCore()
    {
        // The continuation reads the result, which ends the incarnation: take what is needed first.
        Action<object?> continuation = _continuation!;
        object? state = _continuationState;
        continuation(state);
    }

    private void ResetCompletion()
    {
        _version++;
        _completed = false;
        _continuation = null;
        _continuationState = null;
        _executionContext = null;
        _schedulingContext = null;
        _result = 0;
        _error = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ValidateToken(short token)
    {
        if (token != _version)
        {
            ThrowHelper.ThrowInvalidOperationException_TokenMismatch();
        }
    }
}
