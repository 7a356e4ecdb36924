using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace UringScheduler.Hosting;

/// <summary>
/// Ties the <see cref="UringRuntime"/> singleton and the per-core services to the host's life cycle.
/// </summary>
/// <remarks>
/// It is a lifecycle service so that the runtime exists before any hosted service's <c>StartAsync</c>
/// (<see cref="StartingAsync"/>) and outlives every hosted service's <c>StopAsync</c> (<see cref="StoppedAsync"/>),
/// whatever the order of registration. Per-core services start and stop in <see cref="StartAsync"/> and
/// <see cref="StopAsync"/>, at this service's place in the host's order.
/// </remarks>
internal sealed class UringRuntimeHostedService : IHostedLifecycleService
{
    private readonly IServiceProvider _services;
    private readonly PerCoreServiceRegistration[] _registrations;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly IOptions<HostOptions>? _hostOptions;
    private readonly ILogger _logger;
    private UringRuntime? _runtime;
    private PerCoreServiceRunner[] _runners = [];

    public UringRuntimeHostedService(IServiceProvider services, IEnumerable<PerCoreServiceRegistration> registrations)
    {
        _services = services;
        _registrations = registrations.ToArray();
        _lifetime = services.GetService<IHostApplicationLifetime>();
        _hostOptions = services.GetService<IOptions<HostOptions>>();
        _logger = (ILogger?)services.GetService<ILoggerFactory>()?.CreateLogger(Log.Category) ?? NullLogger.Instance;
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _runtime = _services.GetRequiredService<UringRuntime>();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        UringRuntime runtime = _runtime ??= _services.GetRequiredService<UringRuntime>();
        var runners = new PerCoreServiceRunner[_registrations.Length];
        for (int i = 0; i < runners.Length; i++)
        {
            runners[i] = new PerCoreServiceRunner(_registrations[i].ServiceType, _services, _logger, OnFaulted);
            runners[i].Start(runtime);
        }

        _runners = runners;
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Cancel all first, then wait: the services of different types stop in parallel.
        foreach (PerCoreServiceRunner runner in _runners)
        {
            runner.RequestStop();
        }

        foreach (PerCoreServiceRunner runner in _runners)
        {
            await runner.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_runtime is not UringRuntime runtime)
        {
            return;
        }

        // DisposeAsync cancels what is in flight and waits for the kernel to give every buffer back. Past the host's
        // shutdown timeout we stop waiting (the host must be able to exit) but never abandon buffers: the runtime
        // goes on stopping in the background, and the container's disposal waits for the same task.
        Task dispose = runtime.DisposeAsync().AsTask();
        try
        {
            await dispose.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.RuntimeStopTimeout(_logger);
        }
    }

    private void OnFaulted(PerCoreServiceRunner runner, UringWorker worker, Exception exception)
    {
        Log.PerCoreServiceFaulted(_logger, runner.ServiceName, worker.Id, exception);
        BackgroundServiceExceptionBehavior behavior = _hostOptions?.Value.BackgroundServiceExceptionBehavior ?? BackgroundServiceExceptionBehavior.StopHost;
        if (behavior == BackgroundServiceExceptionBehavior.StopHost && _lifetime is not null)
        {
            Log.PerCoreServiceStoppingHost(_logger, runner.ServiceName, worker.Id, exception);

            // Not on the worker: StopApplication runs the ApplicationStopping callbacks inline, and they may block or
            // dispose things that the worker must not wait for.
            IHostApplicationLifetime lifetime = _lifetime;
            ThreadPool.UnsafeQueueUserWorkItem(static l => l.StopApplication(), lifetime, preferLocal: false);
        }
    }
}
