namespace FaceWatch.Tests.Architecture;

/// <summary>
/// The arrows of the house, written once. Rooms are ordered bottom to top; a room may use only rooms below it, minus
/// the exclusions. The stage rooms come from the numbered folders of <c>src/FaceWatch.Pipeline</c>, so the order a
/// newcomer reads in <c>ls</c> is the order the build enforces.
/// </summary>
internal static class ArchitectureRules
{
    /// <summary>Shared low-level rooms (project FaceWatch.Core), bottom first.</summary>
    public static readonly string[] CoreRooms = ["Core.Text", "Core.Numerics", "Core.Health", "Core.Configuration", "Core.Imaging", "Core.Models"];

    /// <summary>Above the stages: model fetching, cluster mode (NATS connection, camera ownership, shared gallery, event stream), MQTT, windows and snapshots, remembered strangers and their review, the composition root; then the web view and the executable.</summary>
    public static readonly string[] HostRooms = ["Hosting.Models", "Hosting.Cluster", "Hosting.Mqtt", "Hosting.LiveView", "Hosting.Strangers", "Hosting", "Web", "App"];

    /// <summary>Rooms a room must not use although they are below it.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Excluded = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // The web view reads what it shows through interfaces of the core and the pipeline, never through the host; the
        // one exception is the stranger review (Hosting.Strangers: the IStrangerBook contract and StrangerActions).
        ["Web"] = ["Hosting", "Hosting.Models", "Hosting.Cluster", "Hosting.Mqtt", "Hosting.LiveView"],
    };

    /// <summary>External namespaces (prefixes) the stage library and the core must not use: no hosted services, no web, no converter, no broker.</summary>
    public static readonly string[] ForbiddenBelowHosting =
    [
        "Microsoft.Extensions.Hosting.IHostedService", "Microsoft.Extensions.Hosting.BackgroundService", "Microsoft.AspNetCore.", "MQTTnet.Server.", "Google.Protobuf.",
    ];

    /// <summary>The stage rooms in pipeline order, from <c>src/FaceWatch.Pipeline/NN-Name</c>.</summary>
    public static IReadOnlyList<string> StageRooms() =>
    [
        .. Directory.GetDirectories(Path.Combine(TestPaths.RepoRoot, "src", "FaceWatch.Pipeline"))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(IsStageFolder)
            .Order(StringComparer.Ordinal)
            .Select(f => "Pipeline." + f[3..]),
    ];

    /// <summary>Rooms that stand alone: the converter (used only by model fetching and the verbs) and the cluster library (leases, registry, hashing over NATS).</summary>
    public static readonly string[] Standalone = ["ModelConversion", "Cluster"];

    public static IReadOnlyList<string> Order() => [.. CoreRooms, .. Standalone, .. StageRooms(), .. HostRooms];

    public static bool IsStageFolder(string name) => name.Length > 3 && char.IsAsciiDigit(name[0]) && char.IsAsciiDigit(name[1]) && name[2] == '-';

    /// <summary>Why <paramref name="from"/> may not use <paramref name="to"/>, or null when it may.</summary>
    public static string? Violation(string from, string to, IReadOnlyList<string> order)
    {
        var a = IndexOf(order, from);
        var b = IndexOf(order, to);
        if (a < 0)
        {
            return $"{from} is in no rule (add it to ArchitectureRules)";
        }

        if (b < 0)
        {
            return $"{to} is in no rule (add it to ArchitectureRules)";
        }

        if (Standalone.Contains(from, StringComparer.Ordinal) || b > a || (b == a && from != to))
        {
            return $"{from} may not use {to}: it is above it";
        }

        if (Excluded.TryGetValue(from, out var excluded) && excluded.Contains(to, StringComparer.Ordinal))
        {
            return $"{from} may not use {to}";
        }

        return to == "ModelConversion" && !from.StartsWith("Hosting", StringComparison.Ordinal) && from != "App"
            ? $"{from} may not use the converter: model fetching lives in Hosting.Models"
            : null;
    }

    private static int IndexOf(IReadOnlyList<string> order, string room)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == room)
            {
                return i;
            }
        }

        return -1;
    }
}
