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
        "<prefix>/<camera>/unknown",
        "<discovery_prefix>/binary_sensor/<node>/<camera>_stranger/config",
        "<discovery_prefix>/event/<node>/<camera>_unknown/config",
        "<prefix>/people/<person>",
        "<discovery_prefix>/binary_sensor/<node>/person_<person>/config",
        "<discovery_prefix>/sensor/<node>/person_<person>_camera/config",
    ];

    /// <summary>The Home Assistant components FaceWatch publishes discovery configs of.</summary>
    public static readonly IReadOnlyList<string> Components = ["sensor", "binary_sensor", "event"];

    private readonly string _prefix;
    private readonly string _discoveryPrefix;

    public MqttTopics(string prefix, string discoveryPrefix = "homeassistant")
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentException.ThrowIfNullOrEmpty(discoveryPrefix);
        _prefix = prefix;
        _discoveryPrefix = discoveryPrefix;
        Node = NodeId(prefix);
        Status = prefix + "/status";
    }

    /// <summary>
    /// Home Assistant node id of the prefix, different for every prefix (see <see cref="NodeId"/>), so two FaceWatch
    /// instances with different prefixes never share discovery topics.
    /// </summary>
    public string Node { get; }

    /// <summary>The topic prefix (first level(s) of every topic this instance publishes).</summary>
    public string Prefix => _prefix;

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

    /// <summary>Discovery config of a camera's "stranger in view" binary sensor.</summary>
    public string DiscoveryStranger(string camera) => $"{_discoveryPrefix}/binary_sensor/{Node}/{DiscoveryId(camera)}_stranger/config";

    /// <summary>Discovery config of a camera's event entity fed by <see cref="Unknown"/>.</summary>
    public string DiscoveryUnknownEvent(string camera) => $"{_discoveryPrefix}/event/{Node}/{DiscoveryId(camera)}_unknown/config";

    /// <summary><c>&lt;prefix&gt;/&lt;camera&gt;/unknown</c>: one message per stranger's arrival (not retained).</summary>
    public string Unknown(string camera) => Camera(camera, "/unknown");

    /// <summary><c>&lt;prefix&gt;/people/&lt;person&gt;</c>: an enrolled person's presence (retained).</summary>
    public string Person(string person) => string.Concat(_prefix, "/people/", SanitizeSegment(person));

    /// <summary>Discovery config of a person's presence binary sensor.</summary>
    public string DiscoveryPresence(string person) => $"{_discoveryPrefix}/binary_sensor/{Node}/person_{PersonId(person)}/config";

    /// <summary>Discovery config of a person's "last camera" sensor.</summary>
    public string DiscoveryPersonCamera(string person) => $"{_discoveryPrefix}/sensor/{Node}/person_{PersonId(person)}_camera/config";

    /// <summary>Match every discovery config this instance may have published (to find ones of removed cameras and people).</summary>
    public IReadOnlyList<string> DiscoveryFilters => [.. Components.Select(c => $"{_discoveryPrefix}/{c}/{Node}/+/config")];

    /// <summary>Stable id of a person's device and entities in Home Assistant: keyed by node and person, never by machine.</summary>
    public string PersonUniqueId(string person, string entity) => $"facewatch_{Node}_person_{PersonId(person)}_{entity}";

    public string PersonDeviceId(string person) => $"facewatch_{Node}_person_{PersonId(person)}";

    /// <summary>A person's id in discovery topics and unique ids, one-to-one like <see cref="NodeId"/> (<c>Alice</c>, <c>Bob Smith</c> -> <c>Bob_Smith_&lt;hash&gt;</c>).</summary>
    public static string PersonId(string person) => NodeId(person);

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

    /// <summary>
    /// An id Home Assistant accepts in discovery topics and unique ids: [A-Za-z0-9_-]. Accented letters lose their
    /// accents (<c>Tür</c> -> <c>Tur</c>, <c>café</c> -> <c>cafe</c>), everything else becomes '_'. Not one-to-one:
    /// the camera options refuse two cameras with the same id.
    /// </summary>
    public static string DiscoveryId(string? name) =>
        ReplaceWithUnderscore(FoldToAscii(name), static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>
    /// The node id of a topic prefix, one-to-one: a prefix of only [A-Za-z0-9-] is its own node id (<c>facewatch</c>);
    /// any other gets its <see cref="DiscoveryId"/> plus '_' and a hash of the exact prefix (<c>site/one</c> ->
    /// <c>site_one_3f2a..</c>, <c>site_one</c> -> <c>site_one_9c41..</c>), so prefixes that differ only in characters
    /// HA ids cannot hold never share a node. (A plain id holds no '_'; a hashed one always does.)
    /// </summary>
    public static string NodeId(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (prefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            return prefix;
        }

        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(prefix));
        return DiscoveryId(prefix) + "_" + Convert.ToHexStringLower(hash, 0, 5);
    }

    /// <summary>True for a topic at or under the prefix (<c>prefix</c> itself or <c>prefix/...</c>).</summary>
    public static bool IsUnder(string topic, string prefix) =>
        topic.StartsWith(prefix, StringComparison.Ordinal) && (topic.Length == prefix.Length || topic[prefix.Length] == '/');

    // Latin-1 and Latin Extended-A letters with diacritics and their base letters (the build uses invariant
    // globalization, so string.Normalize cannot do this).
    private const string Accented = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž";
    private const string Unaccented = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZz";

    private static string? FoldToAscii(string? name)
    {
        if (name is null || name.All(char.IsAscii))
        {
            return name;
        }

        var folded = new System.Text.StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            var i = Accented.IndexOf(c, StringComparison.Ordinal);
            if (i >= 0)
            {
                folded.Append(Unaccented[i]);
                continue;
            }

            folded.Append(c switch
            {
                'ß' => "ss", 'æ' => "ae", 'Æ' => "AE", 'ø' => "o", 'Ø' => "O", 'œ' => "oe", 'Œ' => "OE", 'ł' => "l", 'Ł' => "L",
                'đ' => "d", 'Đ' => "D", 'þ' => "th", 'Þ' => "Th", 'ð' => "d", 'Ð' => "D",
                _ => c.ToString(),
            });
        }

        return folded.ToString();
    }

    /// <summary>
    /// A prefix may have several levels (<c>home/facewatch</c>) but no wildcards, control characters or empty levels,
    /// and may not start with '$' (<c>$SYS</c> and other '$' topics are the broker's: it refuses publishes there).
    /// </summary>
    public static bool IsValidPrefix(string prefix) =>
        prefix.Length > 0
        && prefix[0] != '$'
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
