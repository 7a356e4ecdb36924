using UringScheduler.Operations;

namespace UringScheduler.IoScheduling;

/// <summary>What the I/O scheduler needs of its worker: who it is, and a way to hand a request to the engine.</summary>
internal interface IDeviceDispatcher
{
    int WorkerId { get; }

    /// <summary>Gives a request that holds its device unit to the kernel. Worker thread.</summary>
    void SubmitToEngine(IoOperation op);
}
