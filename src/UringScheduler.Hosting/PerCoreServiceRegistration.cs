namespace UringScheduler.Hosting;

/// <summary>One <c>AddPerCoreService&lt;TService&gt;()</c> call, found by the hosted service in the container.</summary>
internal sealed class PerCoreServiceRegistration(Type serviceType)
{
    public Type ServiceType { get; } = serviceType;
}
