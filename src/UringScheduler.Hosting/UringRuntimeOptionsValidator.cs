using Microsoft.Extensions.Options;

namespace UringScheduler.Hosting;

/// <summary>
/// Validates the bound <see cref="UringRuntimeOptions"/> with the runtime's own rules
/// (<see cref="UringRuntimeOptions.Validate"/>), so that host start fails naming the configuration key at fault.
/// </summary>
internal sealed class UringRuntimeOptionsValidator : IValidateOptions<UringRuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, UringRuntimeOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The exception's Message carries "(Parameter ...)" and "Actual value was ..." lines; say it in one line.
            string reason = e.Message;
            int cut = reason.IndexOf(" (Parameter '", StringComparison.Ordinal);
            if (cut >= 0)
            {
                reason = reason[..cut];
            }

            return ValidateOptionsResult.Fail(
                $"Invalid UringScheduler option '{Microsoft.Extensions.DependencyInjection.UringSchedulerServiceCollectionExtensions.ConfigurationSectionName}:{e.ParamName}' = '{e.ActualValue}': {reason}");
        }
    }
}
