using FaceWatch.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FaceWatch.Hosting.Cluster;

/// <summary>
/// Cluster mode's composition: the <c>Cluster</c> options always (checked at start), and, only when
/// <c>Cluster:Nats:Url</c> is set, the shared <see cref="ClusterConnection"/> and the parts that use it. A single box
/// registers nothing else and runs exactly as without this section.
/// </summary>
public static class ClusterHosting
{
    public static IServiceCollection AddFaceWatchCluster(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddFaceWatchClusterOptions(configuration);
        var options = new ClusterOptions();
        configuration.GetSection(ClusterOptions.SectionName).Bind(options);
        if (!options.Enabled)
        {
            return services;
        }

        services.TryAddSingleton<ClusterConnection>();
        // Each cluster part adds itself here, one line each: camera ownership, gallery, event stream, presence.
        return services;
    }
}
