using System.Diagnostics.CodeAnalysis;

namespace UringScheduler.Hosting;

/// <summary>One <c>AddPerCoreService&lt;TService&gt;()</c> call, found by the hosted service in the container.</summary>
internal sealed class PerCoreServiceRegistration([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type serviceType)
{
    // Instances are created with ActivatorUtilities: the trimmer must keep the type's public constructors.
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)]
    public Type ServiceType { get; } = serviceType;
}
