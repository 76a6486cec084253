using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceWatch.Cluster;
using FaceWatch.Configuration;
using Microsoft.Extensions.Configuration;
using NATS.Client.Core;

namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch cluster status [--json]</c>: asks the cluster (the node registry and the lease buckets on NATS), not a
/// local process, which nodes are alive and who owns which camera. Same settings as the daemon (<c>Cluster</c> section).
/// </summary>
internal static class ClusterCommand
{
    private const string Verb = "cluster status";

    /// <summary>How long the first connection may take before the server counts as unreachable.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print {\"nodes\": [...], \"cameras\": [...]} as JSON." };
        var status = new Command("status", "Print the cluster's nodes (site, capacity, version, gallery, heartbeat age) and cameras (owner, epoch), read from NATS.") { json };
        status.SetAction(async (parseResult, ct) =>
        {
            var configuration = FaceWatchConfiguration.Build(parseResult.GetValue(CommonOptions.Config));
            var options = configuration.GetSection(ClusterOptions.SectionName).Get<ClusterOptions>() ?? new ClusterOptions();
            if (!options.Enabled)
            {
                Console.Error.WriteLine($"facewatch {Verb}: Cluster:Nats:Url is not set (e.g. \"Cluster\": {{ \"Nats\": {{ \"Url\": \"nats://host:4222\" }} }} or FACEWATCH_Cluster__Nats__Url).");
                return 2;
            }

            if (new ClusterOptionsValidator().Validate(null, options) is { Failed: true } invalid)
            {
                Console.Error.WriteLine($"facewatch {Verb}: {VerbConsole.Safe(invalid.FailureMessage)}");
                return 2;
            }

            var cameras = configuration.GetSection("Cameras").GetChildren().Select(c => c["Name"]).OfType<string>().ToList();
            return await RunAsync(options, cameras, parseResult.GetValue(json), ct).ConfigureAwait(false);
        });

        var command = new Command("cluster", "Cluster mode (NATS JetStream): inspect the cluster.");
        command.Subcommands.Add(status);
        return command;
    }

    private static async Task<int> RunAsync(ClusterOptions options, IReadOnlyList<string> cameras, bool json, CancellationToken ct)
    {
        var url = NatsUrl.Redact(options.Nats.Url);
        var connection = new NatsConnection(new NatsOpts { Url = options.Nats.Url!, Name = "facewatch-cluster-status", ConnectTimeout = ConnectTimeout, RequestTimeout = ConnectTimeout });
        await using (connection.ConfigureAwait(false))
        {
            ClusterStatusReport report;
            try
            {
                await connection.ConnectAsync().AsTask().WaitAsync(ConnectTimeout * 2, ct).ConfigureAwait(false);
                report = await ClusterStatus.ReadAsync(connection, options.Site, cameras, TimeProvider.System, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NatsException or TimeoutException or InvalidOperationException)
            {
                Console.Error.WriteLine($"facewatch {Verb}: cannot read the cluster at Cluster:Nats:Url = {url}: {VerbConsole.Safe(NatsUrl.Redact(e.Message))}");
                return 1;
            }

            if (json)
            {
                WriteJson(report);
            }
            else
            {
                WriteText(report, url);
            }

            return 0;
        }
    }

    private static void WriteJson(ClusterStatusReport report)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("nodes");
            foreach (var n in report.Nodes)
            {
                w.WriteStartObject();
                w.WriteString("name", n.Name);
                w.WriteString("site", n.Site);
                w.WriteNumber("capacity", n.Capacity);
                w.WriteString("version", n.Version);
                w.WriteString("galleryVersion", n.GalleryVersion);
                w.WriteString("heartbeatUtc", n.HeartbeatUtc);
                w.WriteNumber("heartbeatAgeSeconds", Math.Round(n.HeartbeatAge.TotalSeconds, 1));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("cameras");
            foreach (var c in report.Cameras)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("site", c.Site);
                w.WriteString("owner", c.Owner);
                if (c.Epoch is { } epoch)
                {
                    w.WriteNumber("epoch", epoch);
                }
                else
                {
                    w.WriteNull("epoch");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }

    private static void WriteText(ClusterStatusReport report, string url)
    {
        Console.WriteLine($"Cluster at {url}");
        Console.WriteLine($"Nodes ({report.Nodes.Count}):");
        foreach (var n in report.Nodes)
        {
            var age = n.HeartbeatAge.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            Console.WriteLine($"  {VerbConsole.Safe(n.Name),-20} site {VerbConsole.Safe(n.Site),-12} capacity {n.Capacity.ToString(CultureInfo.InvariantCulture),-5} version {VerbConsole.Safe(n.Version),-10} gallery {VerbConsole.Safe(n.GalleryVersion ?? "-"),-12} heartbeat {age} s ago");
        }

        Console.WriteLine($"Cameras ({report.Cameras.Count}):");
        foreach (var c in report.Cameras)
        {
            var owner = c.Owner is null ? "(nobody)" : $"{VerbConsole.Safe(c.Owner)} (epoch {c.Epoch?.ToString(CultureInfo.InvariantCulture)})";
            Console.WriteLine($"  {VerbConsole.Safe(c.Name),-20} site {VerbConsole.Safe(c.Site),-12} owner {owner}");
        }
    }
}
