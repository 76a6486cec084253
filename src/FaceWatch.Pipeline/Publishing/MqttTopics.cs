namespace FaceWatch.Pipeline.Publishing;

/// <summary>
/// Every topic FaceWatch publishes, built in one place. Camera names become topic segments through
/// <see cref="SanitizeSegment"/>; Home Assistant ids through <see cref="DiscoveryId"/> (stricter: HA allows [A-Za-z0-9_-]).
/// </summary>
public sealed class MqttTopics
{
    /// <summary>The topic kinds under the prefix, as written in docs/mqtt.md.</summary>
    public static readonly IReadOnlyList<string> Kinds =
    [
        "<prefix>/status",
        "<prefix>/<camera>/status",
        "<prefix>/<camera>/events",
        "<prefix>/<camera>/people",
        "<prefix>/<camera>/snapshot",
        "<discovery_prefix>/sensor/<node>/<camera>_last_person/config",
        "<discovery_prefix>/sensor/<node>/<camera>_people/config",
    ];

    private readonly string _prefix;
    private readonly string _discoveryPrefix;

    public MqttTopics(string prefix, string discoveryPrefix = "homeassistant")
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentException.ThrowIfNullOrEmpty(discoveryPrefix);
        _prefix = prefix;
        _discoveryPrefix = discoveryPrefix;
        Node = DiscoveryId(prefix);
        Status = prefix + "/status";
    }

    /// <summary>Home Assistant node id: the prefix made safe as an id, so two FaceWatch instances with different prefixes never collide.</summary>
    public string Node { get; }

    /// <summary><c>&lt;prefix&gt;/status</c>: <c>online</c>/<c>offline</c>, retained, last will.</summary>
    public string Status { get; }

    public string CameraStatus(string camera) => Camera(camera, "/status");

    public string Events(string camera) => Camera(camera, "/events");

    public string People(string camera) => Camera(camera, "/people");

    public string Snapshot(string camera) => Camera(camera, "/snapshot");

    /// <summary>Discovery config of the "last identified person" sensor of a camera.</summary>
    public string DiscoveryLastPerson(string camera) => $"{_discoveryPrefix}/sensor/{Node}/{DiscoveryId(camera)}_last_person/config";

    /// <summary>Discovery config of the "people in view" count sensor of a camera.</summary>
    public string DiscoveryPeople(string camera) => $"{_discoveryPrefix}/sensor/{Node}/{DiscoveryId(camera)}_people/config";

    /// <summary>Matches every discovery config this instance may have published (to find ones of removed cameras).</summary>
    public string DiscoveryFilter => $"{_discoveryPrefix}/sensor/{Node}/+/config";

    /// <summary>Stable id of a camera's device and sensors in Home Assistant.</summary>
    public string UniqueId(string camera, string sensor) => $"facewatch_{Node}_{DiscoveryId(camera)}_{sensor}";

    public string DeviceId(string camera) => $"facewatch_{Node}_{DiscoveryId(camera)}";

    private string Camera(string camera, string kind) => string.Concat(_prefix, "/", SanitizeSegment(camera), kind);

    /// <summary>
    /// Makes a name safe as one topic segment: '/', '+', '#', whitespace and control characters become '_';
    /// an empty or blank name becomes <c>_</c>. Everything else (letters of any script, '-', '.') is kept.
    /// </summary>
    public static string SanitizeSegment(string? name) =>
        ReplaceWithUnderscore(name, static c => !(c is '/' or '+' or '#' || char.IsWhiteSpace(c) || char.IsControl(c)));

    /// <summary>An id Home Assistant accepts in discovery topics and unique ids: [A-Za-z0-9_-], everything else '_'.</summary>
    public static string DiscoveryId(string? name) =>
        ReplaceWithUnderscore(name, static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>A prefix may have several levels (<c>home/facewatch</c>) but no wildcards, control characters or empty levels.</summary>
    public static bool IsValidPrefix(string prefix) =>
        prefix.Length > 0
        && prefix.Split('/').All(s => s.Length > 0)
        && !prefix.Any(c => c is '+' or '#' || char.IsControl(c));

    /// <summary>
    /// The trimmed name with every character <paramref name="keep"/> rejects made '_' (a blank name is <c>_</c>).
    /// Returns the trimmed name itself when nothing needs replacing: camera topics are built on every event.
    /// </summary>
    private static string ReplaceWithUnderscore(string? name, Func<char, bool> keep)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "_";
        }

        var trimmed = name.Trim();
        foreach (var c in trimmed)
        {
            if (!keep(c))
            {
                return string.Create(trimmed.Length, (trimmed, keep), static (span, state) =>
                {
                    for (var i = 0; i < span.Length; i++)
                    {
                        var ch = state.trimmed[i];
                        span[i] = state.keep(ch) ? ch : '_';
                    }
                });
            }
        }

        return trimmed;
    }
}
