using FaceWatch.Core.Configuration;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.Identity;

/// <summary>The rules between <see cref="IdentityOptions"/> keys that ranges alone cannot state.</summary>
public sealed class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (ConfigurationChecks.AnnotationFailures(options, IdentityOptions.SectionName).Any())
        {
            return ValidateOptionsResult.Success; // a value out of its range is reported as such; comparing it to others adds only noise (Window=0)
        }

        var failures = new List<string>();
        if (options.MinObservations > options.Window)
        {
            failures.Add($"{IdentityOptions.SectionName}:MinObservations: {options.MinObservations} is more than {IdentityOptions.SectionName}:Window ({options.Window}): no name could ever be decided");
        }

        if (options.MinUnknownObservations > options.Window)
        {
            failures.Add($"{IdentityOptions.SectionName}:MinUnknownObservations: {options.MinUnknownObservations} is more than {IdentityOptions.SectionName}:Window ({options.Window}): unknown could never be decided");
        }

        if (options.StrongRun > options.Window)
        {
            failures.Add($"{IdentityOptions.SectionName}:StrongRun: {options.StrongRun} is more than {IdentityOptions.SectionName}:Window ({options.Window})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
