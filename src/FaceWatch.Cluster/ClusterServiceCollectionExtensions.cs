using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FaceWatch.Cluster;

public static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ClusterOptions"/> from the <c>Cluster</c> section: unknown keys rejected, validated at start.
    /// Only the options so far; the lease manager and node registry are not wired into the daemon yet (docs/cluster.md).
    /// </summary>
    public static IServiceCollection AddFaceWatchClusterOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // unknown keys fail naming the key, before the binder's message names .NET types
        services.AddOptions<ClusterOptions>()
            .Configure(_ => ThrowIfUnknownKeys(configuration.GetSection(ClusterOptions.SectionName)))
            .Bind(configuration.GetSection(ClusterOptions.SectionName), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>());
        return services;
    }

    internal static readonly IReadOnlySet<string> Keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Nats", "Node", "Site", "Capacity", "LeaseSeconds", "HeartbeatSeconds", "NodeTtlSeconds",
    };

    internal static readonly IReadOnlySet<string> NatsKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Url", "Replicas" };

    internal static void ThrowIfUnknownKeys(IConfigurationSection section)
    {
        var unknown = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (!Keys.Contains(child.Key))
            {
                unknown.Add($"{child.Path}: unknown setting");
            }
            else if (child.Key.Equals("Nats", StringComparison.OrdinalIgnoreCase))
            {
                unknown.AddRange(child.GetChildren().Where(c => !NatsKeys.Contains(c.Key)).Select(c => $"{c.Path}: unknown setting"));
            }
        }

        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(ClusterOptions.SectionName, typeof(ClusterOptions), unknown);
        }
    }
}
