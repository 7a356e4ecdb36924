using System.Threading.Tasks.Sources;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// One pending accept of a worker's multishot acceptor: the operation core's completion source (inline resume on the
/// worker), whose result, a descriptor, becomes the connection when the awaiter reads it. Reused through the
/// acceptor's pool once read.
/// </summary>
internal sealed class AcceptWait(MultishotAcceptor acceptor) : OperationCompletionSource, IValueTaskSource<UringSocket>
{
    public MultishotAcceptor Owner => acceptor;

    /// <summary>The token of the <see cref="UringListener.AcceptAsync"/> call this wait serves.</summary>
    public CancellationToken Token { get; private set; }

    public CancellationTokenRegistration Registration { get; set; }

    public ValueTask<UringSocket> Start(CancellationToken token)
    {
        Token = token;
        return new ValueTask<UringSocket>(this, Version);
    }

    public void Complete(int fd) => SetResult(fd);

    public void Fail(Exception error) => SetException(error);

    UringSocket IValueTaskSource<UringSocket>.GetResult(short token) => acceptor.Adopt((int)GetResultCore(token));

    protected override void OnConsumed()
    {
        Token = default;
        Registration = default;
        acceptor.ReturnWait(this);
    }
}
