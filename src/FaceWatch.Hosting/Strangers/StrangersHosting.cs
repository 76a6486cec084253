using FaceWatch.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting.Strangers;

/// <summary>
/// The <c>Strangers</c> section (strictly bound, validated at start) and <see cref="IStrangerBook"/>, always registered
/// so review surfaces can depend on it: the <see cref="StrangerStore"/> and its recorder when enabled, else
/// <see cref="DisabledStrangerBook"/> (nothing kept, nothing written, no subscription to the events).
/// </summary>
public static class StrangersHosting
{
    public static IServiceCollection AddFaceWatchStrangers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSection<StrangerOptions>(configuration, StrangerOptions.SectionName);
        services.AddSingleton<IValidateOptions<StrangerOptions>, StrangerOptionsValidator>();
        if (ConfigurationChecks.IsTrue(configuration, $"{StrangerOptions.SectionName}:{nameof(StrangerOptions.Enabled)}"))
        {
            services.TryAddSingleton<StrangerStore>();
            services.TryAddSingleton<IStrangerBook>(sp => sp.GetRequiredService<StrangerStore>());
            services.AddHostedService<StrangerRecorder>();
        }
        else
        {
            services.TryAddSingleton<IStrangerBook>(DisabledStrangerBook.Instance);
        }

        return services;
    }

    /// <summary>Best faces per <c>unknown</c> visit the pipeline keeps (<c>PipelineSettings.StrangerFaces</c>): 0 when off.</summary>
    public static int FacesPerVisit(StrangerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled ? options.CropsPerVisit : 0;
    }
}
