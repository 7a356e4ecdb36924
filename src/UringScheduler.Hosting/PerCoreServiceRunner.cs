using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UringScheduler.Hosting;

/// <summary>Runs one per-core service type: an instance on every worker, a shared stopping token.</summary>
internal sealed class PerCoreServiceRunner
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)]
    private readonly Type _serviceType;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly Action<PerCoreServiceRunner, UringWorker, Exception> _onFaulted;
    private readonly CancellationTokenSource _stopping = new();
    private Task[] _loops = [];

    public PerCoreServiceRunner([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type serviceType, IServiceProvider services, ILogger logger, Action<PerCoreServiceRunner, UringWorker, Exception> onFaulted)
    {
        _serviceType = serviceType;
        _services = services;
        _logger = logger;
        _onFaulted = onFaulted;
    }

    public string ServiceName => _serviceType.FullName ?? _serviceType.Name;

    public void Start(UringRuntime runtime)
    {
        IReadOnlyList<UringWorker> workers = runtime.Workers;
        var loops = new Task[workers.Count];
        for (int i = 0; i < loops.Length; i++)
        {
            UringWorker worker = workers[i];
            loops[i] = worker.RunAsync(() => RunOnWorkerAsync(worker));
        }

        _loops = loops;
        Log.PerCoreServiceStarted(_logger, ServiceName, loops.Length);
    }

    public void RequestStop()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (AggregateException e)
        {
            // A callback registered on the stopping token threw; the services are stopping all the same.
            _logger.LogDebug(e, "A stopping-token callback of {Service} threw", ServiceName);
        }
    }

    /// <summary>Waits for every instance to return; past <paramref name="cancellationToken"/>, logs and returns.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.PerCoreServiceStopTimeout(_logger, ServiceName, _loops.Count(t => !t.IsCompleted));
        }
    }

    // Runs on the worker: the instance is made here so that its constructor, its loop and its disposal all see the
    // worker as UringWorker.Current. Nothing escapes: faults are reported through _onFaulted, not the task, so that
    // the core's WorkFaulted event does not report them a second time.
    private async Task RunOnWorkerAsync(UringWorker worker)
    {
        object? instance = null;
        try
        {
            var service = (IPerCoreService)ActivatorUtilities.CreateInstance(_services, _serviceType);
            instance = service;
            await service.ExecuteAsync(worker, _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The normal way for a loop to end once the host stops.
        }
        catch (Exception e)
        {
            _onFaulted(this, worker, e);
        }

        try
        {
            if (instance is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else if (instance is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
        catch (Exception e)
        {
            Log.PerCoreServiceDisposeFailed(_logger, ServiceName, worker.Id, e);
        }
    }
}
