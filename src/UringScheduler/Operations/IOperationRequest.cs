namespace UringScheduler.Operations;

/// <summary>
/// The typed arguments of one kind of request, as the caller gives them; <see cref="ApplyTo"/> writes them into a
/// rented operation of that kind. A struct per kind, so that issuing a request allocates nothing.
/// </summary>
/// <typeparam name="TOperation">The kind of operation that carries the request to the kernel.</typeparam>
internal interface IOperationRequest<in TOperation>
    where TOperation : IoOperation
{
    void ApplyTo(TOperation operation);
}
