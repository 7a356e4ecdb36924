namespace UringScheduler.Operations;

/// <summary>Told when a file's file system refuses <c>RWF_NOWAIT</c>, so that its reads stop trying the page cache first.</summary>
internal interface INoWaitRefusal
{
    void OnNoWaitRefused();
}
