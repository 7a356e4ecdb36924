using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UringScheduler;
using UringScheduler.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers UringScheduler with a generic host: the runtime, its configuration, and per-core services.</summary>
public static class UringSchedulerServiceCollectionExtensions
{
    /// <summary>The configuration section <see cref="AddUringScheduler"/> binds: <c>UringScheduler</c>.</summary>
    public const string ConfigurationSectionName = "UringScheduler";

    /// <summary>
    /// Registers a <see cref="UringRuntime"/> singleton that starts with the host and is disposed gracefully when it stops.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The options are bound from the <c>UringScheduler</c> configuration section (keys are the property names of
    /// <see cref="UringRuntimeOptions"/>), then <paramref name="configure"/> runs, so code has the last word. They are
    /// validated when the host starts: an invalid value fails the start with an
    /// <see cref="OptionsValidationException"/> naming the key.
    /// </para>
    /// <para>
    /// The runtime is created with the host's <see cref="ILoggerFactory"/> before any hosted service starts, and
    /// disposed after every hosted service has stopped, within <c>HostOptions.ShutdownTimeout</c>: operations in flight
    /// are cancelled and their completions awaited. If the timeout passes first, a warning is logged and the host goes on
    /// stopping while the runtime finishes in the background.
    /// </para>
    /// <para>Calling this more than once adds each <paramref name="configure"/> but registers the runtime once.</para>
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options in code, after configuration binding; optional.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddUringScheduler(this IServiceCollection services, Action<UringRuntimeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddUringSchedulerCore(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }

    /// <summary>
    /// Runs <typeparamref name="TService"/> on every worker of the hosted <see cref="UringRuntime"/>: one instance per
    /// worker, created from the container on that worker, its <see cref="IPerCoreService.ExecuteAsync"/> started with
    /// <see cref="UringWorker.RunAsync(Func{Task})"/>.
    /// </summary>
    /// <remarks>
    /// Registers the runtime as <see cref="AddUringScheduler"/> does if that has not been done. When the host stops,
    /// the stopping token is cancelled and the instances are awaited before the runtime is disposed. A failed
    /// instance is logged and handled like a failed <c>BackgroundService</c>: with
    /// <see cref="BackgroundServiceExceptionBehavior.StopHost"/> (the default) the host stops, with
    /// <see cref="BackgroundServiceExceptionBehavior.Ignore"/> the other instances go on. Registering the same type
    /// twice runs it once.
    /// </remarks>
    /// <typeparam name="TService">The per-core service; its constructor may take services from the container.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddPerCoreService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(this IServiceCollection services)
        where TService : class, IPerCoreService
    {
        ArgumentNullException.ThrowIfNull(services);
        AddUringSchedulerCore(services);
        if (!services.Any(d => d.ServiceType == typeof(PerCoreServiceRegistration) && d.ImplementationInstance is PerCoreServiceRegistration r && r.ServiceType == typeof(TService)))
        {
            services.AddSingleton(new PerCoreServiceRegistration(typeof(TService)));
        }

        return services;
    }

    private static void AddUringSchedulerCore(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(UringRuntimeHostedService)))
        {
            return;
        }

        // Bound through IConfiguration only if the container has one, so that a bare ServiceCollection works too.
        services.AddOptions<UringRuntimeOptions>()
            .Configure<IServiceProvider>(static (options, provider) =>
                provider.GetService<IConfiguration>()?.GetSection(ConfigurationSectionName).Bind(options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UringRuntimeOptions>, UringRuntimeOptionsValidator>());

        services.TryAddSingleton(static provider => new UringRuntime(
            provider.GetRequiredService<IOptions<UringRuntimeOptions>>().Value,
            provider.GetService<ILoggerFactory>()));

        services.AddSingleton<UringRuntimeHostedService>();
        services.AddHostedService(static provider => provider.GetRequiredService<UringRuntimeHostedService>());
    }
}
