using System.Globalization;
using Microsoft.Extensions.Options;

namespace FaceWatch.Cluster;

/// <summary>Rules of <see cref="ClusterOptions"/>; every error names its key and the allowed range.</summary>
public sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var nats = options.Nats;
        if (nats is null)
        {
            errors.Add("Cluster:Nats must not be null.");
        }
        else
        {
            if (nats.Url is { } url && NatsUrl.Problem(url) is { } problem)
            {
                errors.Add($"Cluster:Nats:Url {problem}.");
            }

            if (nats.Replicas is < 1 or > 5)
            {
                errors.Add("Cluster:Nats:Replicas must be between 1 and 5 (1 on a single server, 3 or 5 on a JetStream cluster).");
            }
        }

        // the name is part of KV keys and of what other nodes compare: printable, no surrounding spaces
        if (string.IsNullOrWhiteSpace(options.Node) || options.Node != options.Node.Trim() || options.Node.Any(char.IsControl) || options.Node.Length > 128)
        {
            errors.Add("Cluster:Node must be 1 to 128 printable characters without leading or trailing spaces (default: the host name).");
        }

        if (string.IsNullOrWhiteSpace(options.Site) || options.Site != options.Site.Trim() || options.Site.Any(char.IsControl) || options.Site.Length > 128)
        {
            errors.Add("Cluster:Site must be 1 to 128 printable characters without leading or trailing spaces (default: default).");
        }

        Range(errors, "Cluster:Capacity", options.Capacity, 0.01, 1000);
        Range(errors, "Cluster:LeaseSeconds", options.LeaseSeconds, 1, 600);
        Range(errors, "Cluster:HeartbeatSeconds", options.HeartbeatSeconds, 0.1, 60);
        Range(errors, "Cluster:NodeTtlSeconds", options.NodeTtlSeconds, 0.5, 3600);

        if (options.HeartbeatSeconds >= options.LeaseSeconds / 3)
        {
            errors.Add(Invariant($"Cluster:HeartbeatSeconds ({options.HeartbeatSeconds}) must be less than Cluster:LeaseSeconds / 3 ({options.LeaseSeconds / 3:0.###}): a node that beats slower than it renews its leases looks dead while it owns cameras."));
        }

        if (options.NodeTtlSeconds < 2 * options.HeartbeatSeconds)
        {
            errors.Add(Invariant($"Cluster:NodeTtlSeconds ({options.NodeTtlSeconds}) must be at least 2 x Cluster:HeartbeatSeconds ({2 * options.HeartbeatSeconds:0.###}): one late heartbeat must not drop a live node."));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, double value, double min, double max)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            errors.Add(Invariant($"{key} must be between {min} and {max}."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
